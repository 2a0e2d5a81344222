#!/bin/bash
# issue 14: how many bytes QEMU's migration socket holds between source and destination
# (the send queue on the source's socket + the receive queue on the destination's), sampled
# with ss during uncapped runs of the uncapped-idle cases. Usage: ./run_socket_buffers.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd /work/testbed
mkdir -p results/socket-buffers
for c in "4096 idle" "2048 garbage"; do
  set -- $c; mem=$1; wl=$2; fill=$(( mem * 700 / 1024 ))
  out="results/socket-buffers/${mem}mib_${wl}_hints-off"
  [ -f "$out/summary.json" ] && continue
  mkdir -p "$out"; rm -f /tmp/ss-stop
  "$HERE/ss_watch.sh" "$out/ss.txt" /tmp/ss-stop &
  flock /work/.qemu.lock python3 migrate.py --out "$out" --hints off --workload $wl \
    --mem-mib $mem --fill-mib $fill --bw-mib 1048576 --downtime-ms 300 --poll-ms 5 2>&1 | tail -1
  touch /tmp/ss-stop; wait
  echo "$(date -u +%T) $out load $(cut -d' ' -f1-3 /proc/loadavg)"
done
