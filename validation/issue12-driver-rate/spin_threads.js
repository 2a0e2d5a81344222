// issue 12: one process of N busy threads (worker_threads spinning), for at most S seconds:
// a competing session whose runnable threads share one process (as a build's node does),
// where run.sh's default load is N processes of one thread each.
// Usage: node spin_threads.js N [S]
import { Worker } from 'node:worker_threads';
const n = Number(process.argv[2] ?? 1);
const s = Number(process.argv[3] ?? 60);
for (let i = 0; i < n; i++) new Worker(`const end = Date.now() + ${s * 1000}; while (Date.now() < end) {}`, { eval: true });
