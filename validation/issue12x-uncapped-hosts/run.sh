#!/bin/bash
# issue 12 (wt-12x): one uncapped one-stream garbage hints-on run of
# ../qemu10-tcg-uncapped-idle (same migrate.py arguments) with every QEMU thread's and
# every other session's CPU sampled every 50 ms (../issue12-driver-rate/sched_watch.py, own
# session) and QEMU's trace of the bitmap mutex's hand-overs (migrate_traced.py).
# Usage: ./run.sh MEM_MIB NAME  -> /work/testbed/results/issue12x-uncapped-hosts/<mem>mib_garbage_hints-on_NAME
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd /work/testbed
MEM=$1; NAME=$2
FILL=$(( MEM * 700 / 1024 ))
out=results/issue12x-uncapped-hosts/${MEM}mib_garbage_hints-on_$NAME
mkdir -p results/issue12x-uncapped-hosts
flock /work/.qemu.lock bash -c "
  setsid python3 $HERE/../issue12-driver-rate/sched_watch.py $out.sched.csv 0.05 240 & W=\$!
  python3 $HERE/migrate_traced.py --out $out --hints on --workload garbage \
    --mem-mib $MEM --fill-mib $FILL --bw-mib 1048576 --downtime-ms 300 --poll-ms 5 2>&1 | tail -1
  kill \$W
"
echo "$(date -u +%T) $out load $(cut -d' ' -f1-3 /proc/loadavg)"
