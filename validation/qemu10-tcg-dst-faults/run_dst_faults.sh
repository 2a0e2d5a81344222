#!/bin/bash
# issue 14: what the host kernel does while QEMU's destination loads pages. Runs two of the
# uncapped-idle cases (1 GiB, hints off: idle and garbage) and records the machine-wide
# /proc/vmstat counters of page faults, THP and compaction before and after each migration
# (<run>.vmstat-before.txt, <run>.vmstat-after.txt beside the run: migrate.py empties its
# folder); the sidecar ../qemu10-tcg-uncapped/cpu_watch.py
# records each QEMU thread's CPU. Usage: ./run_dst_faults.sh REP
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd /work/testbed
REP=${1:-1}
mkdir -p results/dst-faults
python3 cpu_watch.py & W=$!
for wl in idle garbage; do
  out="results/dst-faults/1024mib_${wl}_hints-off_rep$REP"
  [ -f "$out/summary.json" ] && continue
  flock /work/.qemu.lock bash -c "grep -E '^(pgfault|pgmajfault|thp_|compact_|pgalloc_normal|pgfree|numa_hint)' /proc/vmstat > $out.vmstat-before.txt; \
    python3 migrate.py --out $out --hints off --workload $wl --mem-mib 1024 --fill-mib 700 --bw-mib 1048576 --downtime-ms 300 --poll-ms 5 2>&1 | tail -1; \
    grep -E '^(pgfault|pgmajfault|thp_|compact_|pgalloc_normal|pgfree|numa_hint)' /proc/vmstat > $out.vmstat-after.txt"
  echo "$(date -u +%T) $out load $(cut -d' ' -f1-3 /proc/loadavg)"
done
sleep 1; kill $W
