/**
 * The per-round rows the plots draw: from simulated results (plotRoundsOf) or from a
 * per-round CSV (src/io/read-results-csv.ts). Here, below io/ and report/, so that the
 * CSV reader does not import the report.
 */
import type { RunResult } from '../core/types.js';

export interface PlotRound {
  workload: string;
  run: string;
  seed: number;
  round: number;
  kind: string;
  startSec: number;
  durationSec: number;
  normalPages: number;
  zeroPages: number;
  skippedPages: number;
  bytes: number;
  cumulativeBytes: number;
  dirtyPages: number;
}

/** The per-round rows of simulated results, as a per-round CSV would hold them. Allocates. */
export function plotRoundsOf(results: readonly RunResult[]): PlotRound[] {
  const rows: PlotRound[] = [];
  for (const { summary, rounds } of results) {
    for (const round of rounds) {
      rows.push({
        workload: summary.workload,
        run: summary.run,
        seed: summary.seed,
        round: round.round,
        kind: round.kind,
        startSec: round.startSec,
        durationSec: round.durationSec,
        normalPages: round.normalPages,
        zeroPages: round.zeroPages,
        skippedPages: round.skippedPages,
        bytes: round.bytes,
        cumulativeBytes: round.cumulativeBytes,
        dirtyPages: round.dirtyPages,
      });
    }
  }
  return rows;
}
