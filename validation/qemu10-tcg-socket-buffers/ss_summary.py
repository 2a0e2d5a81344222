#!/usr/bin/env python3
"""Bytes between QEMU's migration source and destination, from ss_watch.sh's samples.

For each sample: the migration connection's Send-Q on the source's socket (written, not yet
acknowledged: notsent + in flight) plus Recv-Q on the destination's (received, not yet read
by QEMU), and the buffer sizes autotuning reached (skmem tb on the source, rb on the
destination). Prints the distribution over the samples while the stream is busy."""
import re, sys

def samples(path):
    t = None; cur = []
    for line in open(path):
        if line.startswith('T '):
            if t is not None: yield t, cur
            t = int(line.split()[1]); cur = []
        else:
            cur.append(line.rstrip('\n'))
    if t is not None: yield t, cur

def parse(lines):
    socks = []
    i = 0
    while i < len(lines):
        m = re.match(r'^\s*(\d+)\s+(\d+)\s+(\S+):(\d+)\s+(\S+):(\d+)', lines[i])
        if m and i + 1 < len(lines):
            info = lines[i + 1]
            sk = re.search(r'skmem:\(r(\d+),rb(\d+),t(\d+),tb(\d+)', info)
            sent = re.search(r'bytes_sent:(\d+)', info)
            recv = re.search(r'bytes_received:(\d+)', info)
            socks.append(dict(recvq=int(m[1]), sendq=int(m[2]), lport=int(m[4]), rport=int(m[6]),
                              rb=int(sk[2]) if sk else 0, tb=int(sk[4]) if sk else 0,
                              sent=int(sent[1]) if sent else 0, recv=int(recv[1]) if recv else 0))
            i += 2
        else:
            i += 1
    return socks

def main(path, csv_out=None):
    rows = []
    for t, lines in samples(path):
        socks = parse(lines)
        if not socks: continue
        src = max(socks, key=lambda s: s['sent'])          # the source's end: it sends the stream
        if src['sent'] < 1 << 20: continue
        dst = [s for s in socks if s['lport'] == src['rport'] and s['rport'] == src['lport']]
        if not dst: continue
        dst = dst[0]
        rows.append((t, src['sendq'], dst['recvq'], src['tb'], dst['rb'], src['sent']))
    if csv_out:
        with open(csv_out, 'w') as f:
            f.write('t_ms,src_send_q,dst_recv_q,src_send_buffer,dst_recv_buffer,src_bytes_sent\n')
            for r in rows:
                f.write(f'{(r[0] - rows[0][0]) / 1e6:.1f},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]}\n')
    busy = [r for r in rows if r[1] + r[2] > 0]
    if not busy:
        print(path, 'no busy samples'); return
    inflight = sorted(r[1] + r[2] for r in busy)
    q = lambda p: inflight[min(len(inflight) - 1, int(p * len(inflight)))]
    print(f'{path}: {len(rows)} samples with the stream, {len(busy)} with bytes queued')
    print(f'  in flight (src Send-Q + dst Recv-Q), bytes: median {q(0.5)}, p90 {q(0.9)}, max {inflight[-1]}')
    print(f'  src Send-Q max {max(r[1] for r in busy)}, dst Recv-Q max {max(r[2] for r in busy)}')
    print(f'  src send buffer (tb) max {max(r[3] for r in rows)}, dst receive buffer (rb) max {max(r[4] for r in rows)}, final {rows[-1][4]}')

# ss_summary.py SS.TXT [--csv OUT.csv] ...
args = sys.argv[1:]
while args:
    p = args.pop(0)
    out = args.pop(1) if len(args) > 1 and args[0] == '--csv' else None
    if out: args.pop(0)
    main(p, out)
