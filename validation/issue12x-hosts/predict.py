#!/usr/bin/env python3
"""The destination's share and the bulk stage's length each run would get from max-min
fairness over the 2 cores (as src/core/host-cpu.ts computes it), counting the other jobs
as the load average's threads (the model with `otherLoad` only), as the sessions' running
processes one by one, or session by session (autogroup, `otherSessions`: one entity per
session, wanting min(its running processes, 2)); the QEMUs' threads one by one: the vCPU
0.10, the migration thread 0.044, the source's main thread 0.05 (shares.txt), the
destination 12.6 us a normal page at the 128 MiB/s cap (32 700 pages/s: 0.41 of a core).
The other sessions' mean running processes are shares.txt's. Prints a Markdown table."""
def waterfill(cores, demands):
    # max-min: returns level L such that sum(min(d, L)) = cores (or inf if all fit)
    ds = sorted(demands); rem = cores; n = len(ds)
    for i, d in enumerate(ds):
        if d * (n - i) > rem: return rem / (n - i)
        rem -= d
    return float('inf')
runs = {  # other sessions' mean running processes; real bulk s; load at migrate
 'rep1':      ([0.98, 0.91], 6.14, 3.64),
 'spin1x4':   ([1.0, 4.0], 6.22, 5.24),
 'spin1x4_b': ([0.8, 0.97, 4.0], 6.16, 6.82),
 'spin4x1':   ([0.99, 1, 1, 1, 1], 9.52, 5.15),
 'spin4x1_b': ([0.68, 0.97, 0.69, 1, 1, 1, 1], 8.58, 9.45),
 'load_c':    ([0.98, 0.70, 0.98], 8.22, 9.49),
}
cap = 32700; pages = 200500
qemu_small = [0.10, 0.044, 0.05]   # vCPU, migration thread, source main (QMP)
print('| run | other sessions (running) | load | real bulk s | by the load average\'s threads: dst share, bulk s | by running process: dst share, bulk s | by session: dst share, bulk s |')
print('|---|---|---|---|---|---|---|')
for name, (sess, real, load) in runs.items():
    c = 12.6e-6; d = c * cap
    out = []
    for mode in ('load', 'thread', 'session'):
        ents = []
        for r in ([load] if mode == 'load' else sess):
            if mode in ('load', 'thread'):
                ents += [1.0] * int(r) + ([r - int(r)] if r - int(r) > 0 else [])
            else:
                ents.append(min(r, 2.0))
        L = waterfill(2.0, ents + qemu_small + [1.0])  # the destination as a whole-core thread when held
        share = min(1.0, L)
        alloc = min(d, share) if d <= waterfill(2.0, ents + qemu_small + [d]) else share
        rate = min(cap, share / c) if d > waterfill(2.0, ents + qemu_small + [d]) else cap
        out.append('%.2f, %.1f' % (min(share, d) if rate == cap else share, pages / rate))
    print('| %s | %s | %.2f | %.2f | %s | %s | %s |' % (name, ' '.join('%.2f' % r for r in sess), load, real, out[0], out[1], out[2]))
