#!/bin/bash
# issue 14: uncapped migrations re-measured on the idle machine (same as run_uncapped.sh, output results/uncapped-idle/)
# (max-bandwidth 1 TiB/s = 1048576 MiB/s, i.e. no cap in practice),
# 1/2/4 GiB, idle and garbage (fill = 68% of memory, as the 1 GiB calibration's 700 MiB), hints off/on.
# Usage: ./run_uncapped.sh REP [sizes...]
set -uo pipefail
cd /work/testbed
REP=${1:-1}; shift || true
SIZES=${*:-1024 2048 4096}
for mem in $SIZES; do
  fill=$(( mem * 700 / 1024 ))
  for wl in idle garbage; do
    for h in off on; do
      out="results/uncapped-idle/${mem}mib_${wl}_hints-${h}_rep${REP}"
      [ -f "$out/summary.json" ] && continue
      echo "$(date -u +%T) start $out" >> results/uncapped-idle/run.log
      flock /work/.qemu.lock python3 migrate.py --out "$out" --hints $h --workload $wl \
        --mem-mib $mem --fill-mib $fill --bw-mib 1048576 --downtime-ms 300 --poll-ms 5 \
        2>&1 | tail -1 >> results/uncapped-idle/run.log
      echo "$(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> results/uncapped-idle/run.log
    done
  done
done
