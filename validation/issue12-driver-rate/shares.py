#!/usr/bin/env python3
"""issue 12: who had the host's CPU during a migration's iteration 1 (from `migrate` to the
end of iteration 1 in iterations.csv), from sched_watch.py's samples: per QEMU thread its CPU
(schedstat's time on a CPU) and its time waiting runnable (run_delay) over the window, as
fractions of a core; the QEMUs' session (one CFS autogroup) in all; the other sessions' CPU
and their mean count of running processes. One table row per run.

Threads are named by QEMU (`-name ROLE,debug-threads=on`, migrate_named.py): CPU 0/TCG (the
vCPU), IO io0 (the balloon's iothread), mig/dst/recv_N, mig/src/send_N, mig/src/main. The
first run (rep1) was made before that: there the source's pid+4 is the vCPU and pid+2 the
iothread (the same offsets as every named run), and the destination's threads born after
`migrate` are its receive threads.

Usage: shares.py RUN_DIR...   (samples in RUN_DIR/sched.csv or RUN_DIR.sched.csv)"""
import csv, json, os, sys, collections

GENERIC = "qemu-system-x86"

def sched_path(run):
    inside = os.path.join(run, "sched.csv")
    return inside if os.path.exists(inside) else f"{run}.sched.csv"

def label(role, tid, comm, pid, born_after):
    if comm != GENERIC: return comm
    if role == "src" and tid == pid + 4: return "CPU 0/TCG"
    if role == "src" and tid == pid + 2: return "IO io0"
    if role == "dst" and born_after: return "mig/dst/recv"
    return comm

def shares(run):
    summ = json.load(open(f"{run}/summary.json"))
    t0 = summ["t_migrate_cmd_unix"]
    its = list(csv.DictReader(open(f"{run}/iterations.csv")))
    t1 = t0 + float(its[0]["t_last_sample_s"])
    T = collections.defaultdict(dict); S = collections.defaultdict(dict); L = {}
    for r in csv.DictReader(open(sched_path(run))):
        t = float(r["t"])
        if r["kind"] == "T": T[(r["a"], int(r["b"]), r["c"])][t] = (int(r["d"]), int(r["e"]))
        elif r["kind"] == "S": S[r["a"]][t] = (int(r["b"]), int(r["c"]), r["d"] == "1")
        else: L[t] = int(r["b"])
    ts = sorted(L)
    a = max(t for t in ts if t <= t0); b = min(t for t in ts if t >= t1); w = b - a
    inwin = [t for t in ts if a <= t <= b]
    g = collections.Counter()
    for (role, tid, comm), s in T.items():
        st = [t for t in s if t <= b]
        if not st: continue
        end = s[max(st)]; start = s.get(a, (0, 0))
        name = label(role, tid, comm, summ["pids"][role], a not in s)
        key = {"CPU 0/TCG": "vcpu", "IO io0": "iothread"}.get(name, "recv" if name.startswith("mig/dst/recv") else "rest")
        if role == "dst": key = "recv"   # the destination: its receive threads (multifd) or main thread (one stream); its other threads idle
        g[key] += (end[0] - start[0]) / 1e9 / w
        g[key + "_wait"] += (end[1] - start[1]) / 1e9 / w
    qemu = other = nrun = 0.0
    for sid, s in S.items():
        if a not in s or b not in s: continue
        cpu = max(0, s[b][0] - s[a][0]) / 100 / w     # a session whose process exited can go down: 0
        if s[b][2]: qemu += cpu
        elif sid != "0":
            other += cpu
            nrun += sum(s[t][1] for t in inwin if t in s) / len(inwin)
    return dict(run=os.path.basename(run.rstrip("/")), load=summ["host_loadavg_at_migrate"][0],
                it1_s=t1 - t0, it1_mib=float(its[0]["d_transferred_MiB"]),
                total_mib=summ["final_query_migrate"]["ram"]["transferred"] / 2**20,
                busy=(L[b] - L[a]) / 100 / w, qemu=qemu, other=other, nrun=nrun, **{k: g[k] for k in ('vcpu', 'vcpu_wait', 'iothread', 'iothread_wait', 'recv', 'rest')})

print("| run | load at migrate | iteration 1 s / MiB | total MiB | machine busy | QEMUs' session | other sessions (running) | vCPU (waiting) | iothread (waiting) | destination | rest of the source |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for run in sys.argv[1:]:
    r = shares(run.rstrip("/"))
    print(f"| {r['run']} | {r['load']:.2f} | {r['it1_s']:.2f} / {r['it1_mib']:.1f} | {r['total_mib']:.1f} | {r['busy']:.2f} | {r['qemu']:.2f} | "
          f"{r['other']:.2f} ({r['nrun']:.1f}) | {r['vcpu']:.2f} ({r['vcpu_wait']:.2f}) | {r['iothread']:.2f} ({r['iothread_wait']:.2f}) | "
          f"{r['recv']:.2f} | {r['rest']:.2f} |")
