#!/bin/bash
# spinrun.sh NAME S P migrate.py-args...: one testbed run (from /work/testbed, under the
# QEMU lock) beside S sessions of P spinning processes each (spin.sh; each session is a CFS
# autogroup of its own), with the scheduler sampled (../issue12-driver-rate/sched_watch.py,
# in a session of its own). The spinners are killed by their pids when the run ends.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${W:-$(cd "$HERE/../issue12-driver-rate" && pwd)}
cd /work/testbed
name=$1; S=$2; P=$3; shift 3
out=results/issue12x-hosts/$name
mkdir -p results/issue12x-hosts
pids=$(mktemp)
flock /work/.qemu.lock bash -c "
  $HERE/spin.sh $S $P $pids
  echo \"\$(date -u +%T) spinners \$(wc -l < $pids) load \$(cut -d' ' -f1-3 /proc/loadavg)\"
  setsid python3 $W/sched_watch.py $out.sched.csv 0.05 240 & WP=\$!
  python3 $W/migrate_named.py --out $out $* 2>&1 | tail -1
  kill \$WP
  for p in \$(cat $pids); do kill \$p; done"
rm -f "$pids"
echo "$(date -u +%T) $out load $(cut -d' ' -f1-3 /proc/loadavg)"
