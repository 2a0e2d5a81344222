/**
 * One scaling point of `npm run bench`, in its own process so that its peak RSS is its own:
 * `node scale-child.js <memoryGiB> <none|free-page-hint>` prints one JSON line.
 */
import { simulateRun } from '../../src/core/simulation.js';
import { benchWorkload } from './bench-workload.js';

const memoryGiB = Number(process.argv[2]);
const hints = process.argv[3] ?? 'none';
const workload = benchWorkload(memoryGiB, hints);
const started = process.hrtime.bigint();
const cpuStarted = process.cpuUsage();
const result = simulateRun(workload, workload.hints[0] ?? null);
const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
// CPU seconds (user + system) as well: on a shared machine wall time includes waiting for a core.
const cpuUsed = process.cpuUsage(cpuStarted);
const cpuSec = (cpuUsed.user + cpuUsed.system) / 1e6;
// maxRSS is in KiB.
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ memoryGiB, hints, wallSec, cpuSec, maxRssBytes, totalBytes: result.summary.totalBytes }));
