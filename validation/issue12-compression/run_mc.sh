#!/bin/bash
# multifd-compression runs for migsim issue 12 (wt-12). One at a time under /work/.qemu.lock.
set -uo pipefail
cd /work/testbed
R=results_mc; mkdir -p $R
COMMON="--bw-mib 128 --downtime-ms 100 --poll-ms 5 --multifd-channels 4 --hints off"
for spec in "garbage zlib" "garbage zstd" "dirty zlib" "dirty zstd" "idle zlib" "idle zstd" "idle none"; do
  set -- $spec; wl=$1; m=$2
  extra=""; [ $wl = dirty ] && extra="--wl-report-s 1"
  out=$R/multifd_${m}_${wl}_hints-off
  cmd="python3 migrate_mc.py --out $out --workload $wl $COMMON --multifd-compression $m $extra"
  echo "== $(date +%T) $cmd" | tee -a $R/run.log
  flock /work/.qemu.lock $cmd 2>&1 | tail -2 | tee -a $R/run.log
done
echo "ALL DONE $(date +%T)" >> $R/run.log
