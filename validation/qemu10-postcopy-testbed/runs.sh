#!/bin/bash
# Postcopy runs the calibration does not cover (issue 13): start points and preempt.
cd /tmp/tb13  # a copy of the testbed: migrate.py with migrate-postcopy-preempt.patch, build -> /work/testbed/build
C="--hints off --bw-mib 128 --downtime-ms 100 --poll-ms 5"
# Each line below ran once; the output folders were then copied here (small files only).
run() { name=$1; shift; echo "== $name: python3 migrate.py --out results/$name $C $*"; flock /work/.qemu.lock python3 migrate.py --out results/$name $C "$@" 2>&1 | tail -3; }
run postcopy1_dirty_hints-off_rep1 --workload dirty --postcopy-after-sync 1 --wl-report-s 1
run postcopy4_dirty_hints-off_rep1 --workload dirty --postcopy-after-sync 4 --wl-report-s 1
run postcopy_dirty_preempt_hints-off_rep1 --workload dirty --postcopy-after-sync 2 --postcopy-preempt --wl-report-s 1
run postcopy1_garbage_preempt_hints-off_rep1 --workload garbage --postcopy-after-sync 1 --postcopy-preempt
# Run afterwards on a quieter host (load 4), as rep1 had run at load 10:
run postcopy4_dirty_hints-off_rep2 --workload dirty --postcopy-after-sync 4 --wl-report-s 1
echo done
