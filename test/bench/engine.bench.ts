/**
 * `npm run bench`: how fast the engine is, measured in one run, as ratios (never asserted).
 * 1. Per guest size (THROUGHPUT_ROWS), in its own process (throughput-child.ts): the full
 *    engine (setup, writes, tracking, sender) alternating with a speed-of-light loop over
 *    the same pages (the writer's generator and extents, one bit set per write in a bitmap
 *    of the guest's size); CPU and wall seconds, the fastest of each, their ratio, peak RSS.
 * 2. Host bytes per guest page and wall time for 1, 16, 256 and 1024 GiB guests with the
 *    same rates, hinted and unhinted, each in a fresh process so peak RSS is its own.
 * Writes results/bench.csv and prints a table.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { GiB } from './bench-workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/**
 * Throughput rows (issue 15): the guest size, the writer's working set, and how many
 * engine/loop pairs alternate in the row's process (the fastest of each counts, so a busy
 * neighbour on the shared box counts less). 4 GiB with a 64 MiB hot set sits in cache; at
 * 64 GiB, 256 GiB and 1 TiB the 64 GiB hot set is 32768 2 MiB extents over the guest.
 */
const THROUGHPUT_ROWS: { memoryGiB: number; workingSetGiB: number; pairs: number }[] = [
  { memoryGiB: 4, workingSetGiB: 1 / 16, pairs: 9 },
  { memoryGiB: 64, workingSetGiB: 64, pairs: 3 },
  { memoryGiB: 256, workingSetGiB: 64, pairs: 2 },
  { memoryGiB: 1024, workingSetGiB: 64, pairs: 2 },
];

interface ThroughputRow {
  memoryGiB: number;
  workingSetGiB: number;
  pairs: number;
  writes: number;
  totalBytes: number;
  engineWall: number[];
  engineCpu: number[];
  lightWall: number[];
  lightCpu: number[];
  denseCpu: number[];
  maxRssBytes: number;
  bytesPerPage: number;
}

function throughputRow(memoryGiB: number, workingSetGiB: number, pairs: number): ThroughputRow {
  const out = execFileSync(process.execPath, [join(here, 'throughput-child.js'), String(memoryGiB), String(workingSetGiB), String(pairs)], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as ThroughputRow;
}

const min = (values: number[]): number => Math.min(...values);
const spread = (values: number[]): string => `${min(values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;

interface ScalePoint {
  memoryGiB: number;
  hints: string;
  wallSec: number;
  cpuSec: number;
  maxRssBytes: number;
  bytesPerPage: number;
  totalBytes: number;
}

function scalePoint(memoryGiB: number, hints: string, workingSetGiB: number | null = null): ScalePoint {
  const args = [join(here, 'scale-child.js'), String(memoryGiB), hints, ...(workingSetGiB === null ? [] : [String(workingSetGiB)])];
  const out = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const point = JSON.parse(out) as Omit<ScalePoint, 'bytesPerPage'>;
  return { ...point, bytesPerPage: point.maxRssBytes / ((memoryGiB * GiB) / 4096) };
}

// MIGSIM_BENCH_SIZES=1,16 limits the scaling table; `none` skips it (throughput only).
const sizesText = process.env.MIGSIM_BENCH_SIZES ?? '1,16,256,1024';
const sizes = sizesText === 'none' ? [] : sizesText.split(',').map(Number);
console.log('migsim bench: engine vs speed of light over the same pages, then scaling');
// MIGSIM_BENCH_THROUGHPUT=4,64 limits the throughput rows to those guest sizes.
const throughputSizes = (process.env.MIGSIM_BENCH_THROUGHPUT ?? '').split(',').filter((x) => x !== '').map(Number);
const rows: string[] = [
  'kind,memory_gib,hints,working_set_gib,wall_s,cpu_s,max_rss_bytes,bytes_per_page,total_bytes,writes_per_s,writes,pairs,light_wall_s,light_cpu_s,dense_cpu_s,ratio_cpu,ratio_wall',
];
console.log('memory  working set  writes      engine cpu s (wall s)        light cpu s (wall s)      dense cpu s  ratio cpu (wall)  peak RSS  B/page');
for (const row of THROUGHPUT_ROWS) {
  if (throughputSizes.length > 0 && !throughputSizes.includes(row.memoryGiB)) continue;
  const r = throughputRow(row.memoryGiB, row.workingSetGiB, row.pairs);
  // The fastest of each: CPU seconds (what the run costs) and wall seconds (what a user waits).
  const ratioCpu = min(r.lightCpu) / min(r.engineCpu);
  const ratioWall = min(r.lightWall) / min(r.engineWall);
  console.log(
    `${String(row.memoryGiB).padStart(5)} GiB ${String(row.workingSetGiB).padStart(7)} GiB ${String(r.writes).padStart(10)}  ${spread(r.engineCpu).padStart(12)} (${spread(r.engineWall)})  ${spread(r.lightCpu).padStart(12)} (${spread(r.lightWall)})  ${spread(r.denseCpu).padStart(11)}  ${(ratioCpu * 100).toFixed(1).padStart(5)}% (${(ratioWall * 100).toFixed(1)}%)  ${(r.maxRssBytes / 2 ** 20).toFixed(0).padStart(5)} MiB ${r.bytesPerPage.toFixed(2).padStart(6)}`,
  );
  rows.push(
    [
      'throughput', row.memoryGiB, 'none', row.workingSetGiB, min(r.engineWall).toFixed(3), min(r.engineCpu).toFixed(3), r.maxRssBytes, r.bytesPerPage.toFixed(3), r.totalBytes,
      (r.writes / min(r.engineCpu)).toFixed(0), r.writes, row.pairs, min(r.lightWall).toFixed(3), min(r.lightCpu).toFixed(3), min(r.denseCpu).toFixed(3), ratioCpu.toFixed(4), ratioWall.toFixed(4),
    ].join(','),
  );
}
console.log('memory   hints            working set   wall s    cpu s   peak RSS    B/page');
const report = (kind: string, memoryGiB: number, hints: string, workingSetGiB: number | null): void => {
  const p = scalePoint(memoryGiB, hints, workingSetGiB);
  const ws = workingSetGiB ?? memoryGiB / 64;
  console.log(
    `${String(memoryGiB).padStart(5)} GiB ${hints.padEnd(15)} ${String(ws).padStart(7)} GiB ${p.wallSec.toFixed(2).padStart(8)} ${p.cpuSec.toFixed(2).padStart(8)} ${(p.maxRssBytes / 2 ** 20).toFixed(0).padStart(7)} MiB ${p.bytesPerPage.toFixed(2).padStart(8)}`,
  );
  rows.push(`${kind},${memoryGiB},${hints},${ws},${p.wallSec.toFixed(3)},${p.cpuSec.toFixed(3)},${p.maxRssBytes},${p.bytesPerPage.toFixed(3)},${p.totalBytes},,,,,,,,`);
};
for (const memoryGiB of sizes) {
  for (const hints of ['none', 'free-page-hint']) report('scale', memoryGiB, hints, null);
}
// The largest guest again with the previous size's working set: the same events on the
// same cache footprint, to separate growth in guest size from growth in the hot set.
if (sizes.length >= 2) {
  const [previous, largest] = sizes.slice(-2);
  report('scale-same-working-set', largest, 'none', previous / 64);
}
if (sizes.length === 0) {
  console.log('no scaling rows: results/bench.csv left as it is');
} else {
  mkdirSync(join(root, 'results'), { recursive: true });
  writeFileSync(join(root, 'results', 'bench.csv'), rows.join('\n') + '\n');
  console.log('wrote results/bench.csv');
}
