#!/usr/bin/env python3
"""issue 12 (wt-12x): an uncapped one-stream hints-on run step by step (STEP s): CPU
(fraction of a core, schedstat time on a CPU) of the source's vCPU (CPU 0/TCG), its
balloon iothread (IO io0), its migration thread (mig/src/main), the destination (all its
threads), the other sessions; the normal and zero pages sent (samples.csv) and the hint
elements the iothread applied (src-trace.log virtqueue_fill on the free-page virtqueue).
Then the same over iteration 1, and the machine's busy CPU (/proc/stat) less the QEMUs'
threads: what everything else took (sessions' CPU misses processes that end between samples).
Usage: timeline.py RUN_DIR [STEP]   (sched_watch.py samples in RUN_DIR.sched.csv or RUN_DIR/sched.csv)"""
import csv, json, os, sys, collections, bisect, re
run = sys.argv[1].rstrip("/"); STEP = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
summ = json.load(open(f"{run}/summary.json")); t0 = summ["t_migrate_cmd_unix"]
sp = f"{run}/sched.csv" if os.path.exists(f"{run}/sched.csv") else f"{run}.sched.csv"
T = collections.defaultdict(dict); S = collections.defaultdict(dict); L = {}
for r in csv.DictReader(open(sp)):
    t = float(r["t"]) - t0
    if r["kind"] == "L": L[t] = int(r["b"])
    if r["kind"] == "T":
        role, comm = r["a"], r["c"]
        g = "dst" if role == "dst" else {"CPU 0/TCG": "vcpu", "IO io0": "io", "mig/src/main": "mig"}.get(comm, "srcrest")
        T[(g, r["b"])][t] = int(r["d"])
    elif r["kind"] == "S" and r["d"] != "1" and r["a"] != "0":
        S[r["a"]][t] = int(r["b"])
def cpu(g, t):
    tot = 0
    for (gg, tid), s in T.items():
        if gg != g: continue
        ts = sorted(s); i = bisect.bisect_right(ts, t) - 1
        if i >= 0: tot += s[ts[i]]
    return tot / 1e9
def other(t):
    tot = 0
    for sid, s in S.items():
        ts = sorted(s); i = bisect.bisect_right(ts, t) - 1
        if i >= 0: tot += s[ts[i]]
    return tot / 100
rows = [r for r in csv.DictReader(open(f"{run}/samples.csv")) if r["status"] == "active"]
st = [float(r["t"]) for r in rows]
def pages(t, k):
    i = bisect.bisect_right(st, t) - 1
    return int(rows[max(i, 0)][k])
hint_vq = None; fills = []
pat = re.compile(r"^(\d+)@([\d.]+):(\S+) ?(.*)$")
for line in open((f"{run}/src-trace.txt" if os.path.exists(f"{run}/src-trace.txt") else f"{run}/src-trace.log")):
    m = pat.match(line.strip())
    if not m: continue
    _, t, name, args = m.groups()
    if name == "virtqueue_pop" and "in_num 1 out_num 0" in args: hint_vq = args.split()[1]
    if name == "virtqueue_fill" and args.split()[1] == hint_vq: fills.append(float(t) - t0)
def hints(a, b): return sum(1 for t in fills if a <= t < b)
its = list(csv.DictReader(open(f"{run}/iterations.csv")))
t1 = float(its[0]["t_last_sample_s"])
print(f"== {run} (load at migrate {summ['host_loadavg_at_migrate'][0]:.2f}); iteration 1 ends {t1:.3f} s")
print("  t_s   vcpu    io   mig   dst  other | normal/s  zero/s  hints/s (blocks)")
t = 0.0
G = ("vcpu", "io", "mig", "dst")
while t < t1 + 0.3:
    b = t + STEP
    sh = [(cpu(g, b) - cpu(g, t)) / STEP for g in G]
    o = (other(b) - other(t)) / STEP
    print(f"{t:5.2f} " + " ".join(f"{x:5.2f}" for x in sh) + f" {o:6.2f} | {(pages(b,'normal')-pages(t,'normal'))/STEP:8.0f} {(pages(b,'duplicate')-pages(t,'duplicate'))/STEP:7.0f} {hints(t,b)/STEP:7.0f}")
    t = b
def busy(t):   # the machine's busy CPU ticks (/proc/stat) at the last sample <= t: short-lived processes too
    ts = sorted(L); i = bisect.bisect_right(ts, t) - 1
    return L[ts[max(i, 0)]] / 100
def window(a, b, name):
    sh = [(cpu(g, b) - cpu(g, a)) / (b - a) for g in G]
    qemu = sum(sh) + (cpu("srcrest", b) - cpu("srcrest", a)) / (b - a)
    print(f"{name}: the machine busy {(busy(b) - busy(a)) / (b - a):.3f} cores, the QEMUs' threads {qemu:.3f}, so everything else {(busy(b) - busy(a)) / (b - a) - qemu:.3f}")
    print(f"{name} [{a:.3f}, {b:.3f}] s: vCPU {sh[0]:.3f}, iothread {sh[1]:.3f}, migration thread {sh[2]:.3f}, destination {sh[3]:.3f}, "
          f"other sessions {(other(b)-other(a))/(b-a):.3f} cores; normal {pages(b,'normal')-pages(a,'normal')}, zero {pages(b,'duplicate')-pages(a,'duplicate')}, "
          f"hint blocks applied {hints(a,b)}")
window(0.0, t1, "iteration 1")
