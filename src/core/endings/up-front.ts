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
  const pageSizeBytes = workload.guest.pageSizeBytes;
  const sendBytesPerSec = leastSendRate(workload);
  const bulkSec = workload.guest.memoryBytes / sendBytesPerSec;
  if (m.postcopy === null && bulkSec > m.maxDurationSec) {
    warnings.push(
      `migration: the bulk round alone needs ${formatSec(bulkSec)} at ${sendRateText(workload, sendBytesPerSec)}, longer than ${capText}: the run ends ${ending} there`,
    );
    return warnings;
  }
  const helped = m.autoConverge.enabled || m.dirtyLimit !== null || m.postcopy !== null || m.pauseAfterRound !== null;
  if (helped) return warnings;
  for (const [p, phase] of workload.phases.entries()) {
    let rateBytesPerSec = 0;
    let workingSetBytes = 0;
    for (const w of phase.writes) {
      rateBytesPerSec += w.ratePagesPerSec * pageSizeBytes;
      workingSetBytes += w.workingSetBytes;
    }
    // Converging needs the pages dirtied in a round to fit the downtime limit: a working
    // set larger than what the limit sends, dirtied faster than the sender sends it, never does.
    if (rateBytesPerSec > sendBytesPerSec && workingSetBytes > m.bandwidthBytesPerSec * m.downtimeLimitSec) {
      warnings.push(
        `migration: phases[${p}] dirties ${formatRate(rateBytesPerSec)} over ${formatSize(workingSetBytes)}, faster than ${sendRateText(workload, sendBytesPerSec)}: pre-copy will not converge and the run ends ${ending} at ${capText} (autoConverge, dirtyLimit, postcopy or pauseAfterRound would end it)`,
      );
      break;
    }
  }
  return warnings;
}

/**
 * What the sender sends a second at least: max-bandwidth, but no less than what one rate
 * slot sends before the limit can see it. The limit reads bytes a QEMUFile flush has
 * counted (wire/qemu-file.ts), so a slot sends a flush of flushIovecs / 2 normal pages (a
 * header and a page iovec each); with multifd, a packet per channel (wire/multifd.ts).
 * At max-bandwidth 1 bit/s a 64 MiB guest's bulk round takes 25 s, not 149 131 h.
 */
function leastSendRate(workload: Workload): number {
  const m = workload.migration;
  const pageBytes = workload.guest.pageSizeBytes + m.wire.pageHeaderBytes;
  const slotPages = m.multifd !== null ? m.multifd.channels * m.multifd.packetPages : Math.floor(m.wire.flushIovecs / 2);
  return Math.max(m.bandwidthBytesPerSec, (slotPages * pageBytes) / m.rateSlotSec);
}

/** `bandwidth 128 MiB/s`, or the floor and why when the floor is above max-bandwidth. */
function sendRateText(workload: Workload, sendBytesPerSec: number): string {
  const m = workload.migration;
  if (sendBytesPerSec <= m.bandwidthBytesPerSec) return `bandwidth ${formatRate(m.bandwidthBytesPerSec)}`;
  const what = m.multifd !== null ? 'a packet per multifd channel' : 'a QEMUFile flush';
  return `${formatRate(sendBytesPerSec)} (bandwidth ${formatRate(m.bandwidthBytesPerSec)}, but each ${Number((m.rateSlotSec * 1000).toPrecision(3))} ms rate slot sends ${what} before the limit sees it)`;
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
