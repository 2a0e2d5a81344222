#!/usr/bin/env python3
"""issue 12 (wt-12x) sidecar: while one migrate.py run goes, sample every 20 ms what the host
kernel does (machine-wide /proc/vmstat: pgfault, thp_fault_alloc, thp_fault_fallback,
compact_stall; the page_reporting module's reported_kib, memory this VM handed back to its
hypervisor; MemFree) and the destination QEMU's CPU (all threads, user and system), and
write them, with unix time, to OUT.host.csv. The destination is the qemu-system-x86_64
whose `-D` is OUT/dst-trace.log. Stops when that process has gone (or after MAX_S).
Usage: watch_host.py OUT [MAX_S]"""
import os, sys, time
out, max_s = os.path.abspath(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 300
TCK = os.sysconf("SC_CLK_TCK")
KEYS = ["pgfault", "thp_fault_alloc", "thp_fault_fallback", "compact_stall"]

def dst_pid():
    for p in os.listdir("/proc"):
        if not p.isdigit(): continue
        try: cmd = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
        except OSError: continue
        if cmd and cmd[0].endswith(b"qemu-system-x86_64") and f"{out}/dst-trace.log".encode() in cmd:
            return int(p)

def vm():
    v = dict.fromkeys(KEYS, 0)
    for line in open("/proc/vmstat"):
        k, x = line.split()
        if k in v: v[k] = int(x)
    return v

rows, pid, t0, seen = [], None, time.time(), False
while time.time() - t0 < max_s:
    pid = pid or dst_pid()
    ut = st = ""
    if pid:
        try:
            f = open(f"/proc/{pid}/stat").read()
            f = f[f.rindex(")") + 2:].split()
            ut, st = int(f[11]) / TCK, int(f[12]) / TCK
            seen = True
        except OSError:
            if seen: break
    v = vm()
    rk = int(open("/sys/module/page_reporting/parameters/reported_kib").read())
    free = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemFree"))
    rows.append(f"{time.time():.3f},{v['pgfault']},{v['thp_fault_alloc']},{v['thp_fault_fallback']},"
                f"{v['compact_stall']},{rk},{free},{ut},{st}")
    time.sleep(0.02)
with open(out + ".host.csv", "w") as fh:
    fh.write("unix_s,pgfault,thp_fault_alloc,thp_fault_fallback,compact_stall,reported_kib,memfree_kib,dst_utime_s,dst_stime_s\n")
    fh.write("\n".join(rows) + "\n")
