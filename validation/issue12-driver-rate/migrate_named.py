#!/usr/bin/env python3
"""The testbed's migrate.py (/work/testbed) with QEMU's thread names on
(`-name ROLE,debug-threads=on`), so that /proc/PID/task/TID/comm says which thread is the
vCPU (CPU 0/TCG), the iothread (IO io0), the migration thread (live_migration) and the
multifd channels (mig/src/send_N, mig/dst/recv_N). Same arguments as migrate.py."""
import sys
sys.path.insert(0, "/work/testbed")
import migrate

_qemu_cmd = migrate.qemu_cmd
def qemu_cmd(a, role, out, port):
    c = _qemu_cmd(a, role, out, port)
    c[c.index("-name") + 1] = f"{role},debug-threads=on"
    return c
migrate.qemu_cmd = qemu_cmd
migrate.main()
