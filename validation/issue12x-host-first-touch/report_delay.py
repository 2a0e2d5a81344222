#!/usr/bin/env python3
"""issue 12 (wt-12x): how soon this VM's kernel reports freed memory to its hypervisor. Holds
SIZE MiB of touched huge pages (hold.c), frees them at once, and prints when the page_reporting
module's reported_kib (machine-wide) grows, for 5 s. Usage: report_delay.py [SIZE_MIB]"""
import os, subprocess, sys, time
here = os.path.dirname(os.path.abspath(__file__))
subprocess.run(["cc", "-O2", "-o", "/tmp/hold", f"{here}/hold.c"], check=True)
rk = lambda: int(open("/sys/module/page_reporting/parameters/reported_kib").read())
p = subprocess.Popen(["/tmp/hold", sys.argv[1] if len(sys.argv) > 1 else "1024"], stdout=subprocess.PIPE, text=True)
print(p.stdout.readline().strip(), "MiB")
time.sleep(0.5)
r0, t0 = rk(), time.time()
p.send_signal(10); p.wait()
last = r0
while time.time() - t0 < 5:
    r = rk()
    if r != last: print(f"{time.time() - t0:.3f} s after the free: reported +{(r - r0) / 1024:.0f} MiB"); last = r
    time.sleep(0.01)
