#!/usr/bin/env python3
"""issue 12: the host each recorded run actually had, as a migsim `host:` section, and the
workload that replays the run on it (validation/issue12-driver-rate/workloads/<scenario>.yaml,
<scenario> the run directory's name before `_hints-on_rep1`, as `migsim calibrate` maps it).

The rule, over iteration 1 (from the sample at or before `migrate` to the one at or after the
end of iteration 1 in iterations.csv, as shares.py), from sched_watch.py's rows:
- `otherCpu` = the machine's busy CPU (L rows, /proc/stat) minus the QEMUs' session's (the S
  row with the QEMU flag: both QEMUs, the driver polling QMP), in cores, 2 decimals: what
  everything else on the host took (other sessions, kernel threads, the sampler; processes
  that exited in the window included, whose ticks leave the per-session sums);
- `cores: 2` (the build VM); no `otherLoad`.
Printed beside it, not used: the session count the earlier rule gave (`otherSessions`, and
`otherLoad` as their mean running processes): sessions other than the QEMUs', session 0 and
the sampler's, that had a mean of at least 0.1 running processes (state R) or took at least
0.05 of a core, each counted as max(its running processes, its CPU) (a process whose main
thread sleeps while its other threads run is not in state R: spin_threads.js counts 0).
Neither is the 1-minute load average (summary.json host_loadavg_at_migrate), which lags a
minute and counts the testbed's own previous runs.

Also prints, per run, the vCPU's share of a core: over iteration 1 (schedstat, as shares.py)
and while the driver hints (timeline.py: from the first step until the driver meets the sender).

The template is the calibration workload of the same case (workloads/qemu/multifd_garbage.yaml
for multifd_garbage_*, workloads/qemu/garbage.yaml for baseline_garbage_*); only its trailing
`host:` section (and the comment above it) is replaced.

Usage (from the repository root):
  python3 validation/issue12-driver-rate/hosts.py validation/issue12-driver-rate/runs/*/ [--write]
  node bin/migsim.js calibrate validation/issue12-driver-rate/runs --workloads validation/issue12-driver-rate/workloads
"""
import collections, csv, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import timeline  # noqa: E402

TEMPLATES = {"multifd_garbage": "workloads/qemu/multifd_garbage.yaml", "baseline_garbage": "workloads/qemu/garbage.yaml"}
RAN = 0.1       # mean running processes for a session to count as one that ran ...
RAN_CPU = 0.05  # ... or cores it took


def host_of(run):
    summ = json.load(open(f"{run}/summary.json"))
    t0 = summ["t_migrate_cmd_unix"]
    its = list(csv.DictReader(open(f"{run}/iterations.csv")))
    t1 = t0 + float(its[0]["t_last_sample_s"])
    S = collections.defaultdict(dict); L = {}; T = collections.defaultdict(dict)
    for r in csv.DictReader(open(timeline.sched_path(run))):
        t = float(r["t"])
        if r["kind"] == "S": S[r["a"]][t] = (int(r["c"]), r["d"] == "1", int(r["b"]))
        elif r["kind"] == "L": L[t] = int(r["b"])
        elif r["kind"] == "T" and r["a"] == "src": T[r["b"]][t] = int(r["d"])
    ts = sorted(L)
    a = max(t for t in ts if t <= t0); b = min(t for t in ts if t >= t1)
    win = [t for t in ts if a <= t <= b]
    w = b - a
    sessions = []; qemu_cpu = 0.0
    for sid, s in S.items():
        if a not in s or b not in s: continue
        cpu = (s[b][2] - s[a][2]) / 100 / w
        if any(v[1] for v in s.values()):
            qemu_cpu += cpu
            continue
        if sid == "0": continue
        running = sum(s[t][0] for t in win if t in s) / len(win)
        if running >= RAN or cpu >= RAN_CPU: sessions.append(max(running, cpu))
    other_cpu = (L[b] - L[a]) / 100 / w - qemu_cpu
    # The vCPU: named `CPU 0/TCG`, or in the first run (unnamed threads) the source's pid + 4.
    names = {}
    for r in csv.DictReader(open(timeline.sched_path(run))):
        if r["kind"] == "T" and r["a"] == "src": names[r["b"]] = r["c"]
    vcpu = [tid for tid, c in names.items() if c == "CPU 0/TCG"] or [str(summ["pids"]["src"] + 4)]
    v = T[vcpu[0]]
    def at(t):
        st = [x for x in v if x <= t]
        return v[max(st)] if st else 0
    hints = run.rstrip("/").endswith("_hints-on_rep1")
    first, meet, hint_cpu = timeline.main(run, show=False) if hints else (0.0, None, 0.0)
    return dict(other_cpu=round(other_cpu, 2), load=round(sum(sessions), 2), sessions=len(sessions), each=sorted(sessions, reverse=True),
                vcpu_it1=(at(b) - at(a)) / 1e9 / (b - a), vcpu_hinting=hint_cpu / (meet - first) if meet else None, hinting_s=meet,
                it1_s=t1 - t0, it1_mib=float(its[0]["d_transferred_MiB"]),
                total_mib=summ["final_query_migrate"]["ram"]["transferred"] / 2**20, load1=summ["host_loadavg_at_migrate"][0])


def write_workload(run, scenario, h):
    case = next(c for c in TEMPLATES if scenario.startswith(c + "_"))
    text = open(os.path.join(ROOT, TEMPLATES[case])).read()
    cut = text.find("\n# The host both QEMUs ran on")
    if cut < 0: cut = len(text.rstrip("\n"))
    body = text[:cut].rstrip("\n") + "\n"
    body = body.replace("\nname: ", f"\nname: driver-rate-{scenario.replace('_', '-')}  # was: ", 1)
    host = [f"# The host this run had during iteration 1 (hosts.py's rule, from sched.csv): the machine's",
            f"# busy CPU minus the QEMUs' session's, {h['other_cpu']} of a core. By session it was",
            f"# {h['sessions']} other sessions, {' '.join(f'{x:.2f}' for x in h['each']) or 'none'} (max of running processes, CPU);",
            f"# the 1-minute load average at migrate was {h['load1']:.2f}.",
            "host:", "  cores: 2", f"  otherCpu: {h['other_cpu']}"]
    header = (f"# GENERATED by validation/issue12-driver-rate/hosts.py --write: the workload of {TEMPLATES[case]}\n"
              f"# on the host run {os.path.basename(run)} recorded. Do not edit; re-run the script.\n")
    os.makedirs(os.path.join(HERE, "workloads"), exist_ok=True)
    with open(os.path.join(HERE, "workloads", f"{scenario}.yaml"), "w") as f:
        f.write(header + body + "\n".join(host) + "\n")


def main(argv):
    write = "--write" in argv
    runs = [r.rstrip("/") for r in argv if r != "--write"]
    print("| run | otherCpu | other sessions (max of running processes, CPU) | load at migrate | iteration 1 s / MiB | total MiB | vCPU over iteration 1 | vCPU while hinting (until s) |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        name = os.path.basename(run)
        scenario = name.rsplit("_hints-", 1)[0]
        h = host_of(run)
        print(f"| {scenario} | {h['other_cpu']:.2f} | {' '.join(f'{x:.2f}' for x in h['each']) or '-'} | {h['load1']:.2f} | "
              f"{h['it1_s']:.2f} / {h['it1_mib']:.1f} | {h['total_mib']:.1f} | {h['vcpu_it1']:.2f} | " +
              (f"{h['vcpu_hinting']:.2f} ({h['hinting_s']:.2f}) |" if h['hinting_s'] else "hints off |"))
        if write: write_workload(run, scenario, h)


if __name__ == "__main__":
    main(sys.argv[1:])
