#!/usr/bin/env python3
"""issue 14 sidecar: while migrate.py runs, sample every QEMU thread's CPU time (utime+stime
from /proc/PID/task/TID/stat, clock ticks) every 100 ms and write, when each QEMU exits, its
last sample per thread to <run dir>/cpu-threads.csv (role, tid, comm, utime_s, stime_s).
The run dir comes from the QEMU command line's `-D <dir>/<role>-trace.log`."""
import os, time, sys
TCK = os.sysconf("SC_CLK_TCK")
last = {}   # pid -> (out, role, {tid: (comm, ut, st)})
def scan():
    seen = set()
    for p in os.listdir("/proc"):
        if not p.isdigit(): continue
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
        except OSError: continue
        if not cmd or not cmd[0].endswith(b"qemu-system-x86_64"): continue
        try: d = cmd[cmd.index(b"-D") + 1].decode()
        except (ValueError, IndexError): continue
        out, role = os.path.dirname(d), os.path.basename(d).split("-")[0]
        pid = int(p); seen.add(pid)
        ent = last.setdefault(pid, (out, role, {}))
        try: tids = os.listdir(f"/proc/{p}/task")
        except OSError: continue
        for t in tids:
            try: s = open(f"/proc/{p}/task/{t}/stat").read()
            except OSError: continue
            comm = s[s.index("(")+1:s.rindex(")")]
            f = s[s.rindex(")")+2:].split()
            ent[2][int(t)] = (comm, int(f[11]) / TCK, int(f[12]) / TCK)
    for pid in list(last):
        if pid not in seen:
            out, role, th = last.pop(pid)
            try:
                new = not os.path.exists(f"{out}/cpu-threads.csv")
                with open(f"{out}/cpu-threads.csv", "a") as fh:
                    if new: fh.write("role,tid,comm,utime_s,stime_s\n")
                    for tid, (comm, ut, st) in sorted(th.items()):
                        fh.write(f"{role},{tid},{comm.replace(',', ' ')},{ut:.2f},{st:.2f}\n")
            except OSError as e: print(e, file=sys.stderr)
while True:
    scan(); time.sleep(0.1)
