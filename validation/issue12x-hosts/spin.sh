#!/bin/bash
# spin.sh S P PIDFILE: S sessions (setsid: a CFS autogroup each) of P busy-looping processes;
# their pids go to PIDFILE (spinrun.sh kills them by pid). S 0: none.
S=$1; P=$2; F=$3; : > "$F"
for s in $(seq "$S"); do
  setsid bash -c "for i in \$(seq $P); do (while :; do :; done) & echo \$! >> $F; done; wait" &
done
sleep 0.5
