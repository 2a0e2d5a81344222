#!/usr/bin/env python3
"""issue 12 (wt-12x): when the balloon's iothread got bitmap_mutex, from migrate_traced.py's
src-trace.log (committed as src-trace.txt). Each free-page-hint element (virtqueue_pop with in_num 1 on the free-page
virtqueue) is applied under bitmap_mutex, then given back (virtqueue_fill); the migration
thread holds the mutex over each ram_save_iterate call, whose end on MAX_WAIT the trace
marks (ram_save_iterate_big_wait). Prints, per window between two such ends (and the
syncs), the hints applied in it, how long after the window's start the first and last of
them landed, and the sender's pages sent in it (samples.csv, interpolated).
Usage: handovers.py RUN_DIR"""
import sys, re, json, csv, bisect, os
run = sys.argv[1].rstrip("/")
summ = json.load(open(f"{run}/summary.json"))
t0 = summ["t_migrate_cmd_unix"]
ev = []
pat = re.compile(r"^(\d+)@([\d.]+):(\S+) ?(.*)$")
hint_vq = None
for line in open((f"{run}/src-trace.txt" if os.path.exists(f"{run}/src-trace.txt") else f"{run}/src-trace.log")):
    m = pat.match(line.strip())
    if not m: continue
    tid, t, name, args = m.groups()
    t = float(t) - t0
    if name == "virtqueue_pop" and "in_num 1 out_num 0" in args:
        hint_vq = args.split()[1]
    ev.append((t, name, args))
bounds = [t for t, n, a in ev if n == "ram_save_iterate_big_wait" or n == "migration_bitmap_sync_start"]
kinds = {t: n for t, n, a in ev if n in ("ram_save_iterate_big_wait", "migration_bitmap_sync_start")}
fills = [t for t, n, a in ev if n == "virtqueue_fill" and a.split()[1] == hint_vq and t > 0]
pops = [t for t, n, a in ev if n == "virtqueue_pop" and a.split()[1] == hint_vq and "in_num 1" in a and t > 0]
rows = [r for r in csv.DictReader(open(f"{run}/samples.csv")) if r["status"] in ("active", "device", "completed")]
st = [float(r["t"]) for r in rows]; sn = [int(r["normal"]) + int(r["duplicate"]) for r in rows]
def sent(t):
    i = bisect.bisect_right(st, t) - 1
    return sn[max(i, 0)]
print(f"== {run}: {len(fills)} hint elements applied, {len(pops)} popped; {len(bounds)} iteration ends/syncs")
edges = [0.0] + bounds + [max(fills + bounds) + 1]
total = 0
for a, b in zip(edges, edges[1:]):
    f = [t for t in fills if a <= t < b]
    total += len(f)
    kind = "sync" if kinds.get(a) == "migration_bitmap_sync_start" else "end"
    first = f"{(f[0] - a) * 1e3:7.2f}" if f else "      -"
    last = f"{(f[-1] - a) * 1e3:7.2f}" if f else "      -"
    print(f"{a:7.3f} {kind:4s} {b - a:6.3f}s  hints {len(f):4d}  first +{first} ms  last +{last} ms  pages sent {sent(b) - sent(a):7d}")
