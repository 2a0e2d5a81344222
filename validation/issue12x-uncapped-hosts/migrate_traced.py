#!/usr/bin/env python3
"""The testbed's migrate.py (/work/testbed) with QEMU's thread names on
(`-name ROLE,debug-threads=on`, as ../issue12-driver-rate/migrate_named.py) and three more
trace events in <out>/src-trace.log: `ram_save_iterate_big_wait` (a ram_save_iterate call
that ended on MAX_WAIT, 50 ms: the migration thread released bitmap_mutex),
`virtqueue_pop` and `virtqueue_fill` (the balloon's iothread took a free-page-hint element
off the virtqueue, and gave it back after qemu_guest_free_page_hint cleared its bits under
bitmap_mutex). Same arguments as migrate.py."""
import sys
sys.path.insert(0, "/work/testbed")
import migrate

migrate.TRACE_EVENTS = migrate.TRACE_EVENTS + ["ram_save_iterate_big_wait", "virtqueue_pop", "virtqueue_fill"]
_qemu_cmd = migrate.qemu_cmd
def qemu_cmd(a, role, out, port):
    c = _qemu_cmd(a, role, out, port)
    c[c.index("-name") + 1] = f"{role},debug-threads=on"
    return c
migrate.qemu_cmd = qemu_cmd
migrate.main()
