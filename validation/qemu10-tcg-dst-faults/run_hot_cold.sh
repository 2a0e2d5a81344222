#!/bin/bash
# issue 14: is the destination's cost per normal page the host's first touch of memory its
# own host took back? This build machine is a VM whose virtio-balloon negotiated free page
# reporting (VIRTIO_BALLOON_F_REPORTING; page_reporting_order 9): memory it frees is
# reported to the hypervisor after about 2 s (page_reporting_delay) and faults there when
# touched again. A 1 GiB garbage run frees ~2 GiB when its QEMUs exit; an idle run started
# at once reuses that memory (hot), one started after PAUSE seconds gets reported memory
# (cold). Same commands and vmstat/CPU records as run_dst_faults.sh.
# Usage: ./run_hot_cold.sh REP [PAUSE]
set -uo pipefail
cd /work/testbed
REP=${1:-1}; PAUSE=${2:-20}
mkdir -p results/dst-faults
python3 cpu_watch.py & W=$!
run() {  # run <workload> <name>
  local out="results/dst-faults/1024mib_$2_rep$REP"
  flock /work/.qemu.lock bash -c "grep -E '^(pgfault|pgmajfault|thp_|compact_|pgalloc_normal|pgfree)' /proc/vmstat > $out.vmstat-before.txt; \
    python3 migrate.py --out $out --hints off --workload $1 --mem-mib 1024 --fill-mib 700 --bw-mib 1048576 --downtime-ms 300 --poll-ms 5 2>&1 | tail -1; \
    grep -E '^(pgfault|pgmajfault|thp_|compact_|pgalloc_normal|pgfree)' /proc/vmstat > $out.vmstat-after.txt"
  echo "$(date -u +%T) $out load $(cut -d' ' -f1-3 /proc/loadavg)"
}
run garbage garbage_hints-off_before-hot
run idle idle_hints-off_hot
sleep "$PAUSE"
run idle idle_hints-off_cold
sleep 1; kill $W
