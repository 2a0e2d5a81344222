#!/usr/bin/env python3
"""issue 12: copy a run.sh result from the testbed into runs/ as `migsim calibrate` reads it:
iterations.csv, summary.json, cmdline.txt, samples.csv; guest-premig.txt (the `DUMP_BEGIN
premig` ... `DUMP_END premig` lines and the `WL fill` line of src-console.log); sched.csv
(sched_watch.py's samples from 1 s before `migrate` to 0.5 s after the migration's end).
Usage: collect.py /work/testbed/results/issue12-driver-rate/<case>_hints-<on|off>_<name> runs/<scenario>_hints-<on|off>_rep1"""
import json, os, shutil, sys

src, dst = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
os.makedirs(dst, exist_ok=True)
for f in ("iterations.csv", "summary.json", "cmdline.txt", "samples.csv"):
    shutil.copy(os.path.join(src, f), dst)
lines, inside = [], False
for line in open(os.path.join(src, "src-console.log"), newline=""):
    if line.startswith("DUMP_BEGIN premig"): inside = True
    if inside: lines.append(line)
    if line.startswith("DUMP_END premig"): inside = False
fill = next(l for l in open(os.path.join(src, "src-console.log"), newline="") if l.startswith("WL fill"))
open(os.path.join(dst, "guest-premig.txt"), "w", newline="").write("".join(lines) + fill)
s = json.load(open(os.path.join(src, "summary.json")))
t0 = s["t_migrate_cmd_unix"]; end = t0 + s["final_query_migrate"]["total-time"] / 1e3
rows = open(f"{src}.sched.csv").read().splitlines()
keep = [rows[0]] + [r for r in rows[1:] if t0 - 1 <= float(r.split(",")[1]) <= end + 0.5]
open(os.path.join(dst, "sched.csv"), "w").write("\n".join(keep) + "\n")
print(f"{dst}: {len(keep) - 1} sched.csv rows")
