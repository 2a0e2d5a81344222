/**
 * What can be said about a workload's ending before simulating it, so that a migration
 * that cannot converge is announced in one line rather than discovered after a long run:
 * a bulk round alone longer than maxDuration (a link far too slow), or a guest that
 * dirties faster than max-bandwidth with nothing (auto-converge, dirty-limit, postcopy,
 * pauseAfterRound) to make it converge. The refusals (a downtime limit of 0, no cap at
 * all) are the parser's (src/workload/parse-endings.ts).
 */
import type { Workload } from '../types.js';

/** One line per reason the workload will likely end at a cap; empty when none. */
export function convergenceWarnings(workload: Workload): string[] {
  const m = workload.migration;
  const warnings: string[] = [];
  const ending = m.onNoConvergence === 'force' ? 'with a forced switchover' : 'cancelled';
  const capText = m.maxDurationSec === Infinity ? 'its cap' : `maxDuration (${formatSec(m.maxDurationSec)})`;
  const bulkSec = workload.guest.memoryBytes / m.bandwidthBytesPerSec;
  if (m.postcopy === null && bulkSec > m.maxDurationSec) {
    warnings.push(
      `migration: the bulk round alone needs ${formatSec(bulkSec)} at ${formatRate(m.bandwidthBytesPerSec)}, longer than ${capText}: the run ends ${ending} there`,
    );
    return warnings;
  }
  const helped = m.autoConverge.enabled || m.dirtyLimit !== null || m.postcopy !== null || m.pauseAfterRound !== null;
  if (helped) return warnings;
  const pageSizeBytes = workload.guest.pageSizeBytes;
  for (const [p, phase] of workload.phases.entries()) {
    let rateBytesPerSec = 0;
    let workingSetBytes = 0;
    for (const w of phase.writes) {
      rateBytesPerSec += w.ratePagesPerSec * pageSizeBytes;
      workingSetBytes += w.workingSetBytes;
    }
    // Converging needs the pages dirtied in a round to fit the downtime limit: a working
    // set larger than what the limit sends, dirtied faster than the sender sends it, never does.
    if (rateBytesPerSec > m.bandwidthBytesPerSec && workingSetBytes > m.bandwidthBytesPerSec * m.downtimeLimitSec) {
      warnings.push(
        `migration: phases[${p}] dirties ${formatRate(rateBytesPerSec)} over ${formatSize(workingSetBytes)}, faster than bandwidth ${formatRate(m.bandwidthBytesPerSec)}: pre-copy will not converge and the run ends ${ending} at ${capText} (autoConverge, dirtyLimit, postcopy or pauseAfterRound would end it)`,
      );
      break;
    }
  }
  return warnings;
}

function formatSec(sec: number): string {
  if (sec >= 3600) return `${(sec / 3600).toFixed(1)} h`;
  if (sec >= 60) return `${(sec / 60).toFixed(1)} min`;
  return `${sec.toPrecision(3)} s`;
}

function formatRate(bytesPerSec: number): string {
  return `${formatSize(bytesPerSec)}/s`;
}

function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}
