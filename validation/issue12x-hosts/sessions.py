#!/usr/bin/env python3
"""Per QEMU thread (over 0.03 of a core) and per session, CPU over a run's iteration 1 (from
`migrate` to its end in iterations.csv), as fractions of a core, from the scheduler sampler's
RUN.sched.csv (../issue12-driver-rate/sched_watch.py: kind T per QEMU thread, cumulative
schedstat ns on a CPU and waiting runnable; S per other session, CPU ticks and processes in
state R; L the machine). A session whose processes exited in the window shows negative CPU
(their ticks leave with them). Usage: sessions.py RUN_DIR [RUN_DIR...] -> shares.txt"""
import csv,json,sys,collections
for run in sys.argv[1:]:
    s=json.load(open(run+'/summary.json')); t0=s['t_migrate_cmd_unix']
    its=list(csv.DictReader(open(run+'/iterations.csv'))); t1=t0+float(its[0]['t_last_sample_s'])
    S=collections.defaultdict(dict); L={}; T=collections.defaultdict(dict)
    for r in csv.DictReader(open(run+'.sched.csv')):
        t=float(r['t'])
        if r['kind']=='S': S[r['a']][t]=(int(r['b']),int(r['c']))
        elif r['kind']=='L': L[t]=(int(r['a']),int(r['b']))
        elif r['kind']=='T': T[(r['a'],r['b'],r['c'])][t]=(int(r['d']),int(r['e']))
    ts=sorted(L); a=max(t for t in ts if t<=t0); b=min(t for t in ts if t>=t1); w=b-a
    inwin=[t for t in ts if a<=t<=b]
    print('##',run.split('/')[-1],'iteration 1 %.2f s, machine busy %.2f'%(t1-t0,(L[b][1]-L[a][1])/100/w))
    q=0
    for k,v in T.items():
        st=[t for t in v if t<=b]
        if not st: continue
        e=v[max(st)]; s0=v[a] if a in v else (0,0)
        cpu=(e[0]-s0[0])/1e9/w; wait=(e[1]-s0[1])/1e9/w; q+=cpu
        if cpu>0.03: print('  %s %s cpu %.3f wait %.3f'%(k[0],k[2],cpu,wait))
    print('  QEMU session %.2f'%q)
    for sid,v in sorted(S.items()):
        if a in v and b in v:
            cpu=(v[b][0]-v[a][0])/100/w; nr=sum(v[t][1] for t in inwin if t in v)/len(inwin)
            if cpu>0.02 or nr>0.05: print('  session %s cpu %.2f running %.2f'%(sid,cpu,nr))
