/**
 * One throughput row of `npm run bench`, in its own process so that its peak RSS is its own:
 * `node throughput-child.js <memoryGiB> <workingSetGiB> <pairs>` prints one JSON line.
 *
 * The engine (`simulateRun`, setup included) and its speed-of-light loop alternate `pairs`
 * times in this process, so both see the same neighbours on a shared machine. The loop
 * draws the same random stream as the engine's writer (one `nextInt` per uniform write),
 * maps it through the writer's own extents to the same pfns, and sets one bit per write in
 * a bitmap of the guest's size: the same page range and the same cache and TLB footprint
 * as the cheapest possible write path.
 */
import { Rng } from '../../src/core/rng.js';
import { simulateRun } from '../../src/core/simulation.js';
import { GuestMemory } from '../../src/core/guest-memory.js';
import { BuddyAllocator } from '../../src/core/buddy-allocator.js';
import { buildInitialLayout } from '../../src/core/layout.js';
import { Writer } from '../../src/core/workload-sources.js';
import { throughputWorkload } from './bench-workload.js';

const memoryGiB = Number(process.argv[2]);
const workingSetGiB = Number(process.argv[3]);
const pairs = Number(process.argv[4] ?? 3);
const workload = throughputWorkload(memoryGiB, workingSetGiB);
const guest = workload.guest;
const spec = workload.phases[0].writes[0];
const totalPages = guest.memoryBytes / guest.pageSizeBytes;

function cpuSecSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

// The engine first, alone: peak RSS after it is the engine's own (the loop's setup below
// builds a layout of the same size).
const engineWall: number[] = [];
const engineCpu: number[] = [];
let simulatedSec = 0;
let totalBytes = 0;
const runEngine = (): void => {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = simulateRun(workload, null);
  engineWall.push(Number(process.hrtime.bigint() - started) / 1e9);
  engineCpu.push(cpuSecSince(cpu));
  simulatedSec = workload.migration.startSec + result.summary.totalTimeSec;
  totalBytes = result.summary.totalBytes;
};
runEngine();
const maxRssBytes = process.resourceUsage().maxRSS * 1024;

// The writer's extents, from the same layout and the same stream (its constructor draws them).
let starts: Int32Array;
{
  const memory = new GuestMemory(totalPages, 1);
  const buddy = new BuddyAllocator(totalPages, guest.maxOrder);
  buildInitialLayout(guest, workload.seed, memory, buddy);
  const writer = new Writer(spec, 'phases[0].writes[0]', 'writer:0:0', workload.seed, 0, Infinity, guest.pageSizeBytes, memory.allocated, totalPages);
  starts = (writer as unknown as { extentStarts: Int32Array }).extentStarts;
}
const extentPages = spec.extentBytes / guest.pageSizeBytes;
const shift = 31 - Math.clz32(extentPages);
const mask = extentPages - 1;
const workingSetPages = Math.floor(spec.workingSetBytes / guest.pageSizeBytes);
// Every write the engine makes: even arrivals at the writer's rate until the run ends.
const writes = Math.floor(spec.ratePagesPerSec * simulatedSec);
const words = new Uint32Array(Math.ceil(totalPages / 32));

const lightWall: number[] = [];
const lightCpu: number[] = [];
const denseCpu: number[] = [];
const runLight = (): void => {
  // The writer's generator, seeded as the engine seeds it (the engine's stream first draws
  // its extent sample, so the pfns are the same distribution, not the same sequence).
  const rng = new Rng(workload.seed, 'writer:0:0');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < writes; i++) {
    const index = rng.nextInt(workingSetPages);
    const pfn = starts[index >>> shift] + (index & mask);
    words[pfn >>> 5] |= 1 << (pfn & 31);
  }
  lightWall.push(Number(process.hrtime.bigint() - started) / 1e9);
  lightCpu.push(cpuSecSince(cpu));
  // The same loop over a dense range (pfn = working-set index, as the first loop
  // did): what the same writes cost when the hot set is contiguous, for comparison only.
  const dense = new Rng(workload.seed, 'writer:0:0');
  const denseStart = process.cpuUsage();
  for (let i = 0; i < writes; i++) {
    const pfn = dense.nextInt(workingSetPages);
    words[pfn >>> 5] |= 1 << (pfn & 31);
  }
  denseCpu.push(cpuSecSince(denseStart));
};
runLight();
for (let k = 1; k < pairs; k++) {
  runEngine();
  runLight();
}
let set = 0;
for (let w = 0; w < words.length; w++) if (words[w] !== 0) set++;
console.log(
  JSON.stringify({
    memoryGiB,
    workingSetGiB,
    pairs,
    writes,
    simulatedSec,
    totalBytes,
    engineWall,
    engineCpu,
    lightWall,
    lightCpu,
    denseCpu,
    maxRssBytes,
    bytesPerPage: maxRssBytes / totalPages,
    lightWordsTouched: set,
  }),
);
