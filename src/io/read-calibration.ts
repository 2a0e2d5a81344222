/**
 * Reads a directory of real QEMU migrations (validation/README.md): one
 * sub-directory per run, named `<scenario>_hints-<on|off>_rep<k>`, each with
 * iterations.csv, samples.csv, summary.json and guest-premig.txt. Returns the numbers the
 * comparison and the parameter derivation need, in base units (bytes, pages, seconds);
 * nothing here interprets them. An unreadable or malformed file is a MigsimError
 * 'calibration.invalid' (exit 2) naming the file and the field.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { MeasuredGuest, MeasuredIteration, MeasuredRun, MeasuredSample, MeasuredSync, MeasuredXbzrle } from '../calibrate/types.js';
import { MigsimError } from '../core/errors.js';
import { parseCsv } from './csv.js';
import { INPUT_LIMITS, readInputText } from './read-input.js';
import { errnoCode } from './write-atomic.js';
import { clipText } from '../workload/field-reader.js';

const RUN_DIR_RE = /^(.+)_hints-(on|off)_rep(\d+)$/;

/**
 * Reads every run directory under `dir`, sorted by scenario, hints off before on, then
 * repetition. Directories whose name does not follow the pattern are ignored. A run whose
 * final query-migrate status is not `completed` (a control run the driver cancelled, such
 * as qemu10-tcg-features' noautoconv_*) has no totals to compare: it is left out, and one
 * line saying so goes to `skipped`.
 */
export function readCalibrationDir(dir: string, skipped: string[] = []): MeasuredRun[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new MigsimError('calibration.invalid', `${dir}: cannot read calibration directory (${errnoCode(error)})`);
  }
  const runs: MeasuredRun[] = [];
  for (const name of names) {
    const match = RUN_DIR_RE.exec(name);
    if (match === null) continue;
    const runDir = join(dir, name);
    if (!statSync(runDir).isDirectory()) continue;
    const status = finalStatus(join(runDir, 'summary.json'));
    if (status !== null && status !== 'completed') {
      skipped.push(`${name}: the migration ended ${clipText(status, 40)}, not completed: nothing to compare`);
      continue;
    }
    runs.push(readRun(runDir, name, match[1], match[2] === 'on', Number(match[3])));
  }
  if (runs.length === 0) {
    throw new MigsimError('calibration.invalid', `${dir}: no run directories named <scenario>_hints-<on|off>_rep<k>`);
  }
  runs.sort(
    (a, b) =>
      (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0) || Number(a.hints) - Number(b.hints) || a.rep - b.rep,
  );
  return runs;
}

/** The final query-migrate's `status`, or null when the summary does not say. */
function finalStatus(summaryFile: string): string | null {
  let summary: SummaryJson;
  try {
    summary = JSON.parse(readText(summaryFile)) as SummaryJson;
  } catch {
    return null; // readRun reports the unreadable file, naming it
  }
  const status = summary.final_query_migrate?.status;
  return typeof status === 'string' ? status : null;
}

function readText(file: string): string {
  try {
    return readInputText(file, INPUT_LIMITS.calibrationBytes);
  } catch (error) {
    const code = errnoCode(error);
    // Provenance directories (validation/issue12-testbed) keep only some of a run's files.
    const hint = code === 'ENOENT' ? '; each run of a calibration directory needs iterations.csv, summary.json and guest-premig.txt' : '';
    throw new MigsimError('calibration.invalid', `${file}: cannot read (${code})${hint}`);
  }
}

/** CSV rows as records keyed by the header. */
function readCsvRecords(file: string): Record<string, string>[] {
  const records = parseCsv(readText(file), file);
  if (records.length === 0) throw new MigsimError('calibration.invalid', `${file}: empty file, expected a header row`);
  const header = records[0].fields;
  return records.slice(1).map((record) => {
    const row: Record<string, string> = {};
    header.forEach((column, index) => {
      row[column] = record.fields[index] ?? '';
    });
    return row;
  });
}

function numberField(file: string, where: string, value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new MigsimError('calibration.invalid', `${file}: ${where} must be a number (got ${clipText(JSON.stringify(value) ?? String(value), 40)})`);
  return n;
}

function readRun(runDir: string, name: string, scenario: string, hints: boolean, rep: number): MeasuredRun {
  const iterationsFile = join(runDir, 'iterations.csv');
  const iterations: MeasuredIteration[] = readCsvRecords(iterationsFile).map((row, index) => {
    const at = `row ${index + 2}`;
    return {
      iteration: numberField(iterationsFile, `${at} iteration`, row.iteration),
      phase: row.phase.startsWith('stop-copy') ? 'stop-copy' : row.phase.startsWith('postcopy') ? 'postcopy' : 'precopy',
      transferredBytes: numberField(iterationsFile, `${at} d_transferred`, row.d_transferred),
      normalPages: numberField(iterationsFile, `${at} d_normal`, row.d_normal),
      zeroPages: numberField(iterationsFile, `${at} d_duplicate`, row.d_duplicate),
    };
  });

  const samplesFile = join(runDir, 'samples.csv');
  const samples: MeasuredSample[] = [];
  // samples.csv may be left out where it is large (validation/qemu10-tcg-uncapped's 2 and
  // 4 GiB garbage hints-off runs): iterations.csv has the same per-iteration deltas, and
  // what needs the polls (link bandwidth, zeroRate, the throttle's start) skips the run.
  const records = existsSync(samplesFile) ? readCsvRecords(samplesFile) : [];
  records.forEach((row, index) => {
    if (row.status !== 'active') return;
    const at = `row ${index + 2}`;
    samples.push({
      timeSec: numberField(samplesFile, `${at} t`, row.t),
      transferredBytes: numberField(samplesFile, `${at} transferred`, row.transferred),
      remainingBytes: numberField(samplesFile, `${at} remaining`, row.remaining),
      normalPages: numberField(samplesFile, `${at} normal`, row.normal),
      zeroPages: numberField(samplesFile, `${at} duplicate`, row.duplicate),
      dirtySyncCount: numberField(samplesFile, `${at} dirty-sync-count`, row['dirty-sync-count']),
      // Older logs and runs without auto-converge have no value: no throttle.
      throttlePct: (row['cpu-throttle-percentage'] ?? '') === '' ? 0 : numberField(samplesFile, `${at} cpu-throttle-percentage`, row['cpu-throttle-percentage']),
    });
  });

  const summaryFile = join(runDir, 'summary.json');
  let summary: SummaryJson;
  try {
    summary = JSON.parse(readText(summaryFile)) as SummaryJson;
  } catch (error) {
    if (error instanceof MigsimError) throw error;
    throw new MigsimError('calibration.invalid', `${summaryFile}: not valid JSON (${(error as Error).message})`);
  }
  const final = summary.final_query_migrate;
  const ram = final?.ram;
  if (final === undefined || ram === undefined) {
    throw new MigsimError('calibration.invalid', `${summaryFile}: missing final_query_migrate.ram`);
  }
  const params = summary.src_migrate_parameters ?? {};
  const syncs = readSyncs(summaryFile, summary.trace_bitmap_syncs ?? []);

  return {
    name,
    scenario,
    hints,
    rep,
    iterations,
    samples,
    syncs,
    guest: readGuest(join(runDir, 'guest-premig.txt')),
    totalTimeSec: numberField(summaryFile, 'final_query_migrate.total-time', final['total-time']) / 1e3,
    downtimeSec: numberField(summaryFile, 'final_query_migrate.downtime', final.downtime) / 1e3,
    transferredBytes: numberField(summaryFile, 'ram.transferred', ram.transferred),
    precopyBytes: numberField(summaryFile, 'ram.precopy-bytes', ram['precopy-bytes']),
    // Absent before QEMU 2.11 and in logs without multifd: nothing sent that way.
    multifdBytes: ram['multifd-bytes'] === undefined ? 0 : numberField(summaryFile, 'ram.multifd-bytes', ram['multifd-bytes']),
    downtimeBytes: numberField(summaryFile, 'ram.downtime-bytes', ram['downtime-bytes']),
    xbzrle: readXbzrle(summaryFile, final['xbzrle-cache']),
    // Absent in older QEMUs' query-migrate: counted as no postcopy.
    postcopyBytes: ram['postcopy-bytes'] === undefined ? 0 : numberField(summaryFile, 'ram.postcopy-bytes', ram['postcopy-bytes']),
    postcopyRequests: ram['postcopy-requests'] === undefined ? 0 : numberField(summaryFile, 'ram.postcopy-requests', ram['postcopy-requests']),
    // The destination reports it (ms) only with capability postcopy-blocktime.
    blocktimeSec:
      summary.dst_final_query_migrate?.['postcopy-blocktime'] === undefined
        ? null
        : numberField(summaryFile, 'dst_final_query_migrate.postcopy-blocktime', summary.dst_final_query_migrate['postcopy-blocktime']) / 1e3,
    normalPages: numberField(summaryFile, 'ram.normal', ram.normal),
    zeroPages: numberField(summaryFile, 'ram.duplicate', ram.duplicate),
    dirtySyncCount: numberField(summaryFile, 'ram.dirty-sync-count', ram['dirty-sync-count']),
    ramTotalBytes: numberField(summaryFile, 'ram.total', ram.total),
    pageSizeBytes: numberField(summaryFile, 'ram.page-size', ram['page-size']),
    maxBandwidthBytesPerSec: numberField(summaryFile, 'src_migrate_parameters.max-bandwidth', params['max-bandwidth']),
    downtimeLimitSec: numberField(summaryFile, 'src_migrate_parameters.downtime-limit', params['downtime-limit']) / 1e3,
  };
}

/** `xbzrle-cache` of the final query-migrate, or null when QEMU did not report it (xbzrle off). */
function readXbzrle(file: string, cache: unknown): MeasuredXbzrle | null {
  if (cache === undefined || cache === null) return null;
  const c = cache as Record<string, unknown>;
  return {
    bytes: numberField(file, 'xbzrle-cache.bytes', c.bytes),
    pages: numberField(file, 'xbzrle-cache.pages', c.pages),
    cacheMiss: numberField(file, 'xbzrle-cache.cache-miss', c['cache-miss']),
    overflow: numberField(file, 'xbzrle-cache.overflow', c.overflow),
  };
}

interface SummaryJson {
  final_query_migrate?: Record<string, unknown> & { ram?: Record<string, unknown> };
  dst_final_query_migrate?: Record<string, unknown>;
  src_migrate_parameters?: Record<string, unknown>;
  trace_bitmap_syncs?: { t_s: number; event: string; args: string }[];
}

/** Pairs migration_bitmap_sync_start/_end events into syncs. */
function readSyncs(file: string, events: { t_s: number; event: string; args: string }[]): MeasuredSync[] {
  const syncs: MeasuredSync[] = [];
  let startSec = NaN;
  for (const event of events) {
    if (event.event === 'migration_bitmap_sync_start') {
      startSec = numberField(file, 'trace_bitmap_syncs[].t_s', event.t_s);
    } else if (event.event === 'migration_bitmap_sync_end') {
      const match = /dirty_pages (\d+)/.exec(event.args);
      if (match === null) throw new MigsimError('calibration.invalid', `${file}: sync end without dirty_pages (got ${clipText(JSON.stringify(event.args) ?? '', 40)})`);
      const endSec = numberField(file, 'trace_bitmap_syncs[].t_s', event.t_s);
      syncs.push({ startSec: Number.isNaN(startSec) ? endSec : startSec, endSec, dirtyPagesPeriod: Number(match[1]) });
      startSec = NaN;
    }
  }
  return syncs;
}

/** guest-premig.txt: MEMINFO, BUDDYINFO and VMSTAT lines, and the workload's fill line. */
function readGuest(file: string): MeasuredGuest {
  const text = readText(file);
  const meminfoKiB = (key: string): number => {
    const match = new RegExp(`^MEMINFO: ${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB`, 'm').exec(text);
    if (match === null) throw new MigsimError('calibration.invalid', `${file}: missing MEMINFO ${key}`);
    return Number(match[1]);
  };
  const freePagesMatch = /^VMSTAT: nr_free_pages (\d+)/m.exec(text);
  if (freePagesMatch === null) throw new MigsimError('calibration.invalid', `${file}: missing VMSTAT nr_free_pages`);
  const buddyinfo: MeasuredGuest['buddyinfo'] = [];
  for (const match of text.matchAll(/^BUDDYINFO: Node \d+, zone\s+(\S+)\s+([\d\s]+)$/gm)) {
    buddyinfo.push({ zone: match[1], counts: match[2].trim().split(/\s+/).map(Number) });
  }
  if (buddyinfo.length === 0) throw new MigsimError('calibration.invalid', `${file}: missing BUDDYINFO lines`);
  const fill = /^WL fill: wrote (\d+(?:\.\d+)?) MiB/m.exec(text);
  return {
    memTotalKiB: meminfoKiB('MemTotal'),
    memFreeKiB: meminfoKiB('MemFree'),
    memAvailableKiB: meminfoKiB('MemAvailable'),
    sReclaimableKiB: meminfoKiB('SReclaimable'),
    freePages: Number(freePagesMatch[1]),
    buddyinfo,
    fillBytes: fill === null ? 0 : Number(fill[1]) * 2 ** 20,
  };
}
