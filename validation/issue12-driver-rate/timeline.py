#!/usr/bin/env python3
"""issue 12: iteration 1 of a hints-on run step by step (~0.1 s): pages the hints cleared
per second (as validation/issue12-placement/hint-clears.py: total - remaining - sent) beside
the CPU (fraction of a core) of the vCPU (CPU 0/TCG), the source's iothread (IO io0), the
destination's receive threads, every other QEMU thread, and other sessions, from
sched_watch.py's samples. Cleared GB/s over the vCPU's share is its whole-core rate.
Usage: timeline.py RUN_DIR [RUN_DIR...] (sched_watch.py's samples in RUN_DIR/sched.csv or RUN_DIR.sched.csv)."""
import csv, json, os, sys, collections, bisect

STEP = 0.1


def sched_path(run):
    """sched_watch.py's samples: RUN_DIR/sched.csv (committed, trimmed) or RUN_DIR.sched.csv (as run.sh writes it)."""
    inside = os.path.join(run, "sched.csv")
    return inside if os.path.exists(inside) else f"{run}.sched.csv"

def main(run, show=True):
    """Prints the table (unless not `show`); returns (t of the first step, t the driver meets the sender, vCPU s until then)."""
    say = print if show else (lambda *a, **k: None)
    summ = json.load(open(f"{run}/summary.json"))
    t0 = summ["t_migrate_cmd_unix"]
    T = collections.defaultdict(dict)
    S = collections.defaultdict(dict)
    for r in csv.DictReader(open(sched_path(run))):
        t = float(r["t"]) - t0
        if r["kind"] == "T":
            key = (r["a"], r["c"] if r["c"] != "qemu-system-x86" else r["b"])
            T[key][t] = T[key].get(t, 0) + int(r["d"])
        elif r["kind"] == "S" and r["d"] != "1": S["other"][t] = S["other"].get(t, 0) + int(r["b"])
    groups = {"vcpu": [("src", "CPU 0/TCG")], "iothread": [("src", "IO io0")],
              "recv": [k for k in T if k[0] == "dst" and k[1].startswith("mig/dst/recv")]}
    if not T[("src", "CPU 0/TCG")]:
        # rep1 ran before the threads had names: the source's pid+4 and pid+2 (as in every
        # named run), the destination's threads born after `migrate`.
        pids = summ["pids"]
        groups["vcpu"] = [("src", str(pids["src"] + 4))]
        groups["iothread"] = [("src", str(pids["src"] + 2))]
        groups["recv"] = [k for k in T if k[0] == "dst" and min(T[k]) > 0]
    named = {k for v in groups.values() for k in v}
    groups["rest"] = [k for k in T if k not in named]
    def cpu(keys, t):   # cumulative ns at the last sample <= t (0 before a thread exists)
        tot = 0
        for k in keys:
            ts = sorted(T[k]); i = bisect.bisect_right(ts, t) - 1
            if i >= 0: tot += T[k][ts[i]]
        return tot / 1e9
    ots = sorted(S["other"])
    def other(t):
        i = bisect.bisect_right(ots, t) - 1
        return S["other"][ots[max(i, 0)]] / 100
    say(f"== {run} (load at migrate {summ['host_loadavg_at_migrate'][0]:.2f})")
    say("   t_s  cleared/s  GB/s   vcpu iothread  recv  rest  other-sessions  GB/s per vcpu core")
    rows = [r for r in csv.DictReader(open(f"{run}/samples.csv")) if r["status"] == "active" and r["dirty-sync-count"] == "1"]
    def cleared_at(r):
        page = int(r["page-size"])
        return int(r["total"]) // page - int(r["remaining"]) // page - int(r["normal"]) - int(r["duplicate"])
    last = None
    driver_bytes = driver_cpu = peak = 0.0
    meet = None
    for r in rows:
        t = float(r["t"])
        if last is not None and t - last[0] < STEP: continue
        page = int(r["page-size"])
        cleared = int(r["total"]) // page - int(r["remaining"]) // page - int(r["normal"]) - int(r["duplicate"])
        if last is not None:
            dt = t - last[0]
            rate = (cleared - last[1]) / dt
            sh = {g: (cpu(ks, t) - cpu(ks, last[0])) / dt for g, ks in groups.items()}
            o = (other(t) - other(last[0])) / dt
            gbs = rate * page / 1e9
            per = f"{gbs / sh['vcpu']:.2f}" if sh["vcpu"] > 0.05 else ""
            # The driver meets the sender when the clears fall below a quarter of their
            # best 0.1 s while the vCPU is not starved (it still hints, but for sent blocks).
            if meet is None and peak > 0 and rate < 0.25 * peak and sh["vcpu"] >= 0.15: meet = last[0]
            peak = max(peak, rate)
            if meet is None:
                driver_bytes += (cleared - last[1]) * page
                driver_cpu += sh["vcpu"] * dt
            say(f"{t:6.2f} {rate:10.0f} {gbs:5.2f}  {sh['vcpu']:5.2f} {sh['iothread']:8.2f} {sh['recv']:5.2f} {sh['rest']:5.2f}  {o:14.2f}  {per}")
        last = (t, cleared)
    say(f"until the driver meets the sender ({meet:.2f} s): {driver_bytes / 1e9:.3f} GB cleared with "
          f"{driver_cpu:.3f} s of vCPU: {driver_bytes / 1e9 / driver_cpu:.2f} GB/s per vCPU core")
    return float(rows[0]["t"]), meet, driver_cpu

if __name__ == "__main__":
    for run in sys.argv[1:]:
        main(run.rstrip("/"))
