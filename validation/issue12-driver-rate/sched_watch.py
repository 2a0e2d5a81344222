#!/usr/bin/env python3
"""issue 12: who shares the host's CPU with the guest's vCPU during a migration.

Every PERIOD s (default 0.05) while it runs, appends to OUT (CSV):
- one row per QEMU thread (kind T): the role (src/dst, from the command line's -D <dir>/<role>-trace.log),
  tid, comm, /proc/PID/task/TID/schedstat: time on a CPU and time waiting runnable
  (run_delay), both ns, cumulative, and the CPU it last ran on;
- one row per session (kind S) other than the QEMUs' own: CPU ticks (utime + stime of its
  processes, cumulative; CLK_TCK per s), how many of its processes are in state R and the
  CPUs those last ran on. With
  sched_autogroup_enabled each session is a CFS group of its own: CPU is shared between
  groups first, then between the threads of a group;
- one row (kind L) with /proc/loadavg's running count and the machine's busy CPU ticks (/proc/stat).
Run it in a session of its own (setsid) so it is not in the QEMUs' group. Stops after
MAX_S s or when killed. Usage: setsid python3 sched_watch.py OUT [PERIOD] [MAX_S]"""
import os, sys, time
out = open(sys.argv[1], "w")
period = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
max_s = float(sys.argv[3]) if len(sys.argv) > 3 else 300
me = os.getsid(0)
out.write("kind,t,a,b,c,d,e,f\n")
qemu = {}     # pid -> role, or None when not QEMU
t_end = time.time() + max_s
while time.time() < t_end:
    t = time.time()
    rows = []
    la = open("/proc/loadavg").read().split()
    cpu = open("/proc/stat").readline().split()
    busy = sum(int(x) for x in cpu[1:4]) + sum(int(x) for x in cpu[6:9])
    rows.append(f"L,{t:.4f},{la[3].split('/')[0]},{busy},,,")
    sess = {}
    qsid = set()
    for p in os.listdir("/proc"):
        if not p.isdigit(): continue
        pid = int(p)
        if pid not in qemu:
            try:
                cmd = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            role = None
            if cmd and cmd[0].endswith(b"qemu-system-x86_64") and b"-D" in cmd:
                role = os.path.basename(cmd[cmd.index(b"-D") + 1].decode()).split("-")[0]
            qemu[pid] = role
        try:
            s = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        f = s[s.rindex(")") + 2:].split()
        sid = int(f[3])
        if sid == me: continue
        if qemu[pid]:
            qsid.add(sid)
            try:
                tids = os.listdir(f"/proc/{p}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    st = open(f"/proc/{p}/task/{tid}/stat").read()
                    run, wait, _ = open(f"/proc/{p}/task/{tid}/schedstat").read().split()
                except OSError:
                    continue
                comm = st[st.index("(") + 1:st.rindex(")")].replace(",", " ")
                cpu = st[st.rindex(")") + 2:].split()[36]
                rows.append(f"T,{t:.4f},{qemu[pid]},{tid},{comm},{run},{wait},{cpu}")
        e = sess.setdefault(sid, [0, 0])
        e[0] += int(f[11]) + int(f[12])
        if f[0] == "R":
            e[1] += 1
            e.append(f[36])
    for sid, e in sess.items():
        rows.append(f"S,{t:.4f},{sid},{e[0]},{e[1]},{int(sid in qsid)},{' '.join(e[2:])}")
    out.write("\n".join(rows) + "\n")
    d = t + period - time.time()
    if d > 0: time.sleep(d)
