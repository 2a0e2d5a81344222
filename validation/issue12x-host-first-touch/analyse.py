#!/usr/bin/env python3
"""issue 12 (wt-12x): the destination's CPU per normal page in a run_host.sh run, beside what
the host kernel did meanwhile. From RUN/summary.json (t_migrate_cmd_unix), RUN/samples.csv
(normal and duplicate pages, seconds after migrate) and RUN/host.csv (watch_host.py's
RUN.host.csv, as committed under runs/).
Prints the whole migration's totals, then one row per STEP seconds.
Usage: analyse.py RUN [STEP_S]"""
import csv, json, os, sys
run = sys.argv[1].rstrip("/"); step = float(sys.argv[2]) if len(sys.argv) > 2 else 0.25
t_mig = json.load(open(f"{run}/summary.json"))["t_migrate_cmd_unix"]
hp = f"{run}/host.csv" if os.path.exists(f"{run}/host.csv") else f"{run}.host.csv"
host = [r for r in csv.DictReader(open(hp)) if r["dst_stime_s"]]
smp = [r for r in csv.DictReader(open(f"{run}/samples.csv")) if r["normal"]]

def at(rows, t, key, tkey):
    """the last row at or before t (rows sorted by time)"""
    best = rows[0]
    for r in rows:
        if float(r[tkey]) - (t_mig if tkey == "unix_s" else 0) <= t: best = r
        else: break
    return float(best[key])

def window(a, b):
    h = lambda k, t: at(host, t, k, "unix_s")
    s = lambda k, t: at(smp, t, k, "t")
    n = s("normal", b) - s("normal", a); z = s("duplicate", b) - s("duplicate", a)
    cpu = sum(h(k, b) - h(k, a) for k in ("dst_utime_s", "dst_stime_s"))
    sys_ = h("dst_stime_s", b) - h("dst_stime_s", a)
    thp = h("thp_fault_alloc", b) - h("thp_fault_alloc", a)
    rep = (h("reported_kib", b) - h("reported_kib", a)) / 1024
    free = h("memfree_kib", b) / 1024
    per = (cpu - 0.22e-6 * z) / n * 1e6 if n else float("nan")
    return f"{a:6.2f} {b:6.2f} {n:8.0f} {z:8.0f} {cpu:6.2f} {sys_:6.2f} {per:7.1f} {thp:6.0f} {rep:8.0f} {free:8.0f}"

end = float(smp[-1]["t"])
print("from   to     normal   zero   dstCPU  dstSys us/normal THPflt reported_MiB memfree_MiB")
print(window(0, end), " (whole migration)")
t = 0.0
while t < end:
    print(window(t, min(t + step, end))); t += step
