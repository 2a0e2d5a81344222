#!/bin/bash
# issue 12 (wt-12x): one uncapped one-stream garbage run of ../qemu10-tcg-uncapped-idle
# (same migrate.py arguments) with the host kernel's counters and the destination's CPU
# sampled every 20 ms (watch_host.py). PREALLOC=1 starts the destination with -mem-prealloc
# (prealloc-shim/), so its loads take no first-touch fault. POOL_MIB=N holds N MiB of touched
# huge pages (hold.c) from before the guest boots until the source's premig dump (just
# before `migrate`), then frees them: a pool of just-freed memory the host kernel has not yet
# reported to its hypervisor.
# Usage: [POOL_MIB=N] ./run_host.sh MEM_MIB on|off NAME [PREALLOC]
#   -> /work/testbed/results/issue12x-host-first-touch/<mem>mib_garbage_hints-<h>_NAME
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd /work/testbed
MEM=$1; HINTS=$2; NAME=$3; PRE=${4:-0}
FILL=$(( MEM * 700 / 1024 ))
export POOL_MIB=${POOL_MIB:-0}
[ "$POOL_MIB" -gt 0 ] && cc -O2 -o /tmp/hold $HERE/hold.c
out=$PWD/results/issue12x-host-first-touch/${MEM}mib_garbage_hints-${HINTS}_$NAME
mkdir -p results/issue12x-host-first-touch
[ "$PRE" = 1 ] && export PATH=$HERE/prealloc-shim:$PATH
flock /work/.qemu.lock bash -c "
  python3 $HERE/watch_host.py $out 400 & W=\$!
  if [ \"\${POOL_MIB:-0}\" -gt 0 ]; then
    /tmp/hold \$POOL_MIB > /dev/null & H=\$!
    ( until grep -qs '^DUMP_END premig' $out/src-console.log; do sleep 0.005; done
      kill -USR1 \$H; echo \"pool freed \$(date +%s.%N)\" > $out.pool.txt ) &
  fi
  python3 migrate.py --out $out --hints $HINTS --workload garbage \
    --mem-mib $MEM --fill-mib $FILL --bw-mib 1048576 --downtime-ms 300 --poll-ms 5 2>&1 | tail -1
  wait \$W
"
echo "$(date -u +%T) $out load $(cut -d' ' -f1-3 /proc/loadavg)"
