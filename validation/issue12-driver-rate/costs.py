#!/usr/bin/env python3
"""issue 12: what each QEMU thread cost and waited over iteration 1, from sched_watch.py's samples
(schedstat: time on a CPU, time waiting runnable) and iterations.csv. Per run:
- MiB/s: iteration 1's normal pages over its duration (the cap is 128 MiB/s; multifd's
  rate limit lags, 141-148 MiB/s when nothing else bounds it);
- recv us/page: the destination's 4 receive threads' CPU per normal page (the model's
  destinationNormalPageSec is 12.6 us, the idle host's); recv runnable: their time on a CPU
  plus waiting runnable, per thread, as a fraction of the time (near 1: the destination bounds);
- send us/page, send wait: the same for the source's channel threads (model 0.92 us);
- vCPU, iothread: time on a CPU / waiting runnable, fraction of a core;
- iothread gap: the longest stretch of samples in which the source's iothread ran less than
  1 ms per 50 ms while the vCPU ran more than 5 ms (hints queued, none taken off the free-page vq).
Usage: costs.py RUN_DIR [RUN_DIR...]"""
import csv, json, sys, collections, os


def main(run):
    summ = json.load(open(f"{run}/summary.json"))
    t0 = summ["t_migrate_cmd_unix"]
    rows = collections.defaultdict(list)
    for r in csv.DictReader(open(os.path.join(run, "sched.csv"))):
        if r["kind"] == "T":
            rows[(r["a"], r["c"])].append((float(r["t"]) - t0, int(r["d"]), int(r["e"])))
    it1 = next(csv.DictReader(open(f"{run}/iterations.csv")))
    end, normal = float(it1["duration_s"]), int(it1["d_normal"])
    name = os.path.basename(run.rstrip("/"))

    def over(key):
        v = [x for x in rows.get(key, []) if 0 <= x[0] <= end]
        return v if len(v) >= 2 else None

    def totals(keys):
        vs = [over(k) for k in keys]
        if None in vs:
            return None
        span = vs[0][-1][0] - vs[0][0][0]
        cpu = sum((v[-1][1] - v[0][1]) / 1e9 for v in vs)
        wait = sum((v[-1][2] - v[0][2]) / 1e9 for v in vs)
        return cpu, wait, span

    recv = totals([("dst", f"mig/dst/recv_{i}") for i in range(4)])
    send = totals([("src", f"mig/src/send_{i}") for i in range(4)])
    vcpu = totals([("src", "CPU 0/TCG")])
    io = totals([("src", "IO io0")])
    if recv is None or vcpu is None:
        print(f"{name:44s} (threads not named in this run)")
        return
    line = f"{name:44s} {end:5.2f} {normal * 4096 / 2**20 / end:6.1f}"
    line += f" {recv[0] / normal * 1e6 * end / recv[2]:7.1f} {(recv[0] + recv[1]) / 4 / recv[2]:5.2f}"
    line += f" {send[0] / normal * 1e6 * end / send[2]:6.2f} {send[1] / 4 / send[2]:5.2f}"
    line += f"  {vcpu[0] / vcpu[2]:.2f}/{vcpu[1] / vcpu[2]:.2f}  {io[0] / io[2]:.2f}/{io[1] / io[2]:.2f}"
    # The iothread's longest gap while the vCPU ran (hinting runs only).
    v, i = over(("src", "CPU 0/TCG")), over(("src", "IO io0"))
    gap = best = 0.0
    for k in range(1, min(len(v), len(i))):
        dt = v[k][0] - v[k - 1][0]
        if (i[k][1] - i[k - 1][1]) < 1e6 and (v[k][1] - v[k - 1][1]) > 5e6:
            gap += dt
            best = max(best, gap)
        else:
            gap = 0.0
    line += f"  {best:5.2f}"
    print(line)


print(f"{'run':44s} {'it1 s':>5s} {'MiB/s':>6s} {'recv us/page':>7s} {'runnable':>5s} {'send us/page':>6s} {'wait':>5s}  vCPU run/wait  iothread  iothread gap s")
for run in sys.argv[1:]:
    main(run)
