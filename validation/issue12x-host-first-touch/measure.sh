#!/bin/bash
# issue 12 (wt-12x): the host's first-touch cost per 4 KiB page, with and without
# MADV_HUGEPAGE, for memory just freed by the same process (GAP_MS 0-300) and for memory
# freed GAP_MS ago (1-3 s: time for this kernel's page reporting to hand it back to the
# hypervisor). Writes first-touch.csv (first_touch.c's rows) and host.txt (the machine:
# kernel, THP mode, page_reporting parameters, /proc/buddyinfo before and after).
# Usage: ./measure.sh   (about a minute; run while the testbed is idle: flock)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cc -O2 -Wall -o /tmp/first_touch "$HERE/first_touch.c"
{
  echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# THP enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled), defrag: $(cat /sys/kernel/mm/transparent_hugepage/defrag)"
  for f in /sys/module/page_reporting/parameters/*; do echo "# page_reporting $(basename $f) = $(cat $f)"; done
  echo "# buddyinfo before"; cat /proc/buddyinfo
} > "$HERE/host.txt"
run() { /tmp/first_touch "$@"; }
{
  run 512 1 4 0 thp-reuse
  run 512 1 3 300 thp-gap300ms | tail -n +2
  run 512 1 3 1000 thp-gap1s | tail -n +2
  run 512 1 3 3000 thp-gap3s | tail -n +2
  run 512 0 3 0 4k-reuse | tail -n +2
  run 512 0 3 3000 4k-gap3s | tail -n +2
  run 3072 0 2 3000 4k-3gib-gap3s | tail -n +2
  run 3072 1 2 3000 thp-3gib-gap3s | tail -n +2
} > "$HERE/first-touch.csv"
{ echo "# buddyinfo after"; cat /proc/buddyinfo; } >> "$HERE/host.txt"
column -s, -t < "$HERE/first-touch.csv" | cut -c1-200
