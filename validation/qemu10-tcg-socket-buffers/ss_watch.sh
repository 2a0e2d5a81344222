#!/bin/bash
# Samples every TCP socket on 127.0.0.1 with its queues and buffers (ss -tmni) every ~10 ms
# until the file $2 exists; writes "T <unix ns>" then ss's lines to $1.
# The migration stream is the connection whose Send-Q/Recv-Q move; skmem's rb/tb are the
# receive/send buffer sizes autotuning reached, Recv-Q/Send-Q the bytes queued in them.
out=$1; stop=$2
: > "$out"
while [ ! -e "$stop" ]; do
  echo "T $(date +%s%N)" >> "$out"
  ss -tmni state established '( src 127.0.0.1 )' >> "$out" 2>/dev/null
  sleep 0.01
done
