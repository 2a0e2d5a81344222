/**
 * One scaling point of `npm run bench`, in its own process so that its peak RSS is its own:
 * `node scale-child.js <memoryGiB> <none|free-page-hint> [workingSetGiB]` prints one JSON line.
 */
import { simulateRun } from '../../src/core/simulation.js';
import { benchWorkload, GiB } from './bench-workload.js';

const memoryGiB = Number(process.argv[2]);
const hints = process.argv[3] ?? 'none';
const workload = benchWorkload(memoryGiB, hints);
// Optional: the writer's working set in GiB instead of memory/64 (the cache-footprint row).
if (process.argv[4] !== undefined) workload.phases[0].writes[0].workingSetBytes = Number(process.argv[4]) * GiB;
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
