#!/bin/bash
# issue 12: multifd x4 garbage hints-on (qemu10-tcg-features' multifd_garbage args) with the
# scheduler sampled (sched_watch.py, own session) from before the QEMUs start until they exit,
# and optionally a controlled competing load: SESSIONS sessions (setsid: each its own CFS
# autogroup) of THREADS busy-looping shells each, for at most 60 s.
# With SPIN=threads each session is one process of THREADS busy threads (spin_threads.js: its
# runnable threads in one process, as a build's node), not THREADS one-thread processes.
# HINTS=off makes the hints-off counterpart.
# Usage: [CASE=baseline_garbage ARGS="--workload garbage"] [SPIN=threads] [HINTS=off] ./run.sh NAME [SESSIONS THREADS]
#   -> /work/testbed/results/issue12-driver-rate/${CASE}_hints-${HINTS}_NAME (+ .sched.csv beside it)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd /work/testbed
NAME=$1; SESSIONS=${2:-0}; THREADS=${3:-0}
CASE=${CASE:-multifd_garbage}
HINTS=${HINTS:-on}
if [ "${SPIN:-}" = threads ]; then LOOP="node $HERE/spin_threads.js $THREADS 60"
else LOOP='for t in $(seq 1 '$THREADS'); do timeout 60 bash -c "while :; do :; done" & done; wait'; fi
ARGS=${ARGS:---workload garbage --multifd-channels 4}
out=results/issue12-driver-rate/${CASE}_hints-${HINTS}_$NAME
mkdir -p results/issue12-driver-rate
flock /work/.qemu.lock bash -c "
  S=''
  for s in \$(seq 1 $SESSIONS); do
    setsid bash -c '$LOOP' & S=\"\$S \$!\"
  done
  setsid python3 $HERE/sched_watch.py $out.sched.csv 0.05 240 & W=\$!
  python3 $HERE/migrate_named.py --out $out --hints $HINTS $ARGS \
    --bw-mib 128 --downtime-ms 100 --poll-ms 5 2>&1 | tail -1
  kill \$W
  for p in \$S; do pkill -TERM -s \$p 2>/dev/null; done
"
echo "$(date -u +%T) $out load $(cut -d' ' -f1-3 /proc/loadavg)"
