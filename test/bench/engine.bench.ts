/**
 * `npm run bench`: how fast the engine is, measured in one run, as ratios (never asserted).
 * 1. Simulated page writes per second of the full engine (writes, tracking, sender) against
 *    a speed-of-light loop that draws the same PRNG numbers and sets the same bits; each
 *    the fastest of THROUGHPUT_REPEATS runs, so a busy neighbour on a shared box counts less.
 * 2. Host bytes per guest page and wall time for 1, 16, 256 and 1024 GiB guests with the
 *    same rates, hinted and unhinted, each in a fresh process so peak RSS is its own.
 * Writes results/bench.csv and prints a table.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { simulateRun } from '../../src/core/simulation.js';
import { benchWorkload, GiB } from './bench-workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/**
 * Repetitions of each throughput measurement; the fastest counts (the machine may be
 * shared). Engine and speed-of-light runs alternate, so both see the same neighbours.
 */
const THROUGHPUT_REPEATS = 9;

function throughput(): { engineWritesPerSec: number; lightWritesPerSec: number; writes: number } {
  const workload = benchWorkload(4, 'none');
  const writer = workload.phases[0].writes[0];
  const warmup = simulateRun(workload, null); // warm up the JIT, as the loop below is warmed by its first iterations
  const simulatedSec = workload.migration.startSec + warmup.summary.totalTimeSec;
  const writes = Math.floor(writer.ratePagesPerSec * simulatedSec);
  // Speed of light: the same draws (one nextInt per uniform write) and one bit set each.
  const workingSetPages = writer.workingSetBytes / 4096;
  const words = new Uint32Array(Math.ceil((workload.guest.memoryBytes / 4096) / 32));
  let engineSec = Infinity;
  let lightSec = Infinity;
  for (let k = 0; k < THROUGHPUT_REPEATS; k++) {
    const started = process.hrtime.bigint();
    simulateRun(workload, null);
    engineSec = Math.min(engineSec, Number(process.hrtime.bigint() - started) / 1e9);

    const rng = new Rng(workload.seed, 'writer:0:0');
    const lightStart = process.hrtime.bigint();
    for (let i = 0; i < writes; i++) {
      const pfn = rng.nextInt(workingSetPages);
      words[pfn >>> 5] |= 1 << (pfn & 31);
    }
    lightSec = Math.min(lightSec, Number(process.hrtime.bigint() - lightStart) / 1e9);
  }
  if (words[0] === 0xdeadbeef) console.log('');
  return { engineWritesPerSec: writes / engineSec, lightWritesPerSec: writes / lightSec, writes };
}

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
console.log('migsim bench: engine vs speed of light, then scaling');
const speed = throughput();
const ratio = speed.engineWritesPerSec / speed.lightWritesPerSec;
console.log(
  `writes/s: engine ${(speed.engineWritesPerSec / 1e6).toFixed(2)} M, speed of light ${(speed.lightWritesPerSec / 1e6).toFixed(2)} M, ratio ${(ratio * 100).toFixed(1)}% (${speed.writes} writes)`,
);
const rows: string[] = ['kind,memory_gib,hints,working_set_gib,wall_s,cpu_s,max_rss_bytes,bytes_per_page,total_bytes,writes_per_s'];
rows.push(`throughput,4,none,0.0625,,,,,,${speed.engineWritesPerSec.toFixed(0)}`);
rows.push(`speed-of-light,4,none,0.0625,,,,,,${speed.lightWritesPerSec.toFixed(0)}`);
console.log('memory   hints            working set   wall s    cpu s   peak RSS    B/page');
const report = (kind: string, memoryGiB: number, hints: string, workingSetGiB: number | null): void => {
  const p = scalePoint(memoryGiB, hints, workingSetGiB);
  const ws = workingSetGiB ?? memoryGiB / 64;
  console.log(
    `${String(memoryGiB).padStart(5)} GiB ${hints.padEnd(15)} ${String(ws).padStart(7)} GiB ${p.wallSec.toFixed(2).padStart(8)} ${p.cpuSec.toFixed(2).padStart(8)} ${(p.maxRssBytes / 2 ** 20).toFixed(0).padStart(7)} MiB ${p.bytesPerPage.toFixed(2).padStart(8)}`,
  );
  rows.push(`${kind},${memoryGiB},${hints},${ws},${p.wallSec.toFixed(3)},${p.cpuSec.toFixed(3)},${p.maxRssBytes},${p.bytesPerPage.toFixed(3)},${p.totalBytes},`);
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
  console.log('throughput only: results/bench.csv left as it is');
} else {
  mkdirSync(join(root, 'results'), { recursive: true });
  writeFileSync(join(root, 'results', 'bench.csv'), rows.join('\n') + '\n');
  console.log('wrote results/bench.csv');
}
