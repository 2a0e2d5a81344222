#!/usr/bin/env python3
"""Where the free-page hints meet the sender in iteration 1 of real hints-on runs.

For each run directory given, prints every ~0.1 s of iteration 1 (dirty-sync-count 1) from
its samples.csv: pages sent (normal, zero) and pages whose bits the hints cleared, which is
what query-migrate leaves: every page of the bitmap is either still dirty (`remaining`),
sent (`normal` + `duplicate`) or cleared by a hint (qemu_guest_free_page_hint). The
`skipped` field stays 0 in QEMU 10 during the round, so it is not used.

A hint for a block the sender has already passed clears nothing. So when the driver takes
old data from the top down (the free lists' heads after one ascending munmap) and the
sender walks up from pfn 0, the clears run at the driver's rate until the two meet and then
stop, while with the blocks taken in random order they taper off as the sender passes more
of them (docs/model.md §10.2a item 6).

    python3 validation/issue12-placement/hint-clears.py \
        ../shared/calibration/qemu10-tcg-features/multifd_garbage_hints-on_rep{1,2} \
        ../shared/calibration/qemu10-tcg-1gib/garbage_hints-on_rep{1,2}
"""
import csv
import os
import sys

STEP_SEC = 0.1


def main(dirs):
    for d in dirs:
        rows = list(csv.DictReader(open(os.path.join(d, 'samples.csv'))))
        print(f'== {os.path.basename(os.path.normpath(d))}')
        print('   t_s    normal     zero  cleared_by_hints  cleared_per_s')
        last_t = None
        last_cleared = 0
        for r in rows:
            if r['status'] != 'active' or r['dirty-sync-count'] != '1':
                continue
            t = float(r['t'])
            if last_t is not None and t - last_t < STEP_SEC:
                continue
            page = int(r['page-size'])
            total = int(r['total']) // page
            normal = int(r['normal'])
            zero = int(r['duplicate'])
            cleared = total - int(r['remaining']) // page - normal - zero
            rate = '' if last_t is None else f'{(cleared - last_cleared) / (t - last_t):13.0f}'
            print(f'{t:6.2f} {normal:9d} {zero:8d} {cleared:17d}  {rate}')
            last_t, last_cleared = t, cleared


if __name__ == '__main__':
    main(sys.argv[1:])
