/**
 * The `migration:` fields that decide how a migration ends (docs in the README's
 * "How a migration ends"): onNoConvergence, postcopy, dirtyLimit, pauseAfterRound. Each
 * has QEMU's name and default; the checks QEMU makes (dirty-limit needs the dirty ring and
 * excludes auto-converge) and the ones that keep a run from going on without end are here.
 */
import type { DirtyLimitConfig, MigrationConfig, NoConvergence, PostcopyConfig, PostcopyStart } from '../core/types.js';
import { FieldReader, isMapping } from './field-reader.js';
import { parseBandwidth, parseByteRate, parseDuration, parseInteger, parseSize } from './units.js';

export const ENDING_KEYS = ['onNoConvergence', 'postcopy', 'dirtyLimit', 'pauseAfterRound'] as const;
export const POSTCOPY_KEYS = ['start', 'preempt', 'requestLatency', 'bandwidth', 'sendQueue', 'zeroPlaceCost'] as const;
export const POSTCOPY_START_KEYS = ['afterRound', 'afterSeconds', 'whenPendingBelow'] as const;
export const DIRTY_LIMIT_KEYS = ['vcpuDirtyLimit', 'period'] as const;

const MiB = 2 ** 20;

export interface Endings {
  onNoConvergence: NoConvergence;
  postcopy: PostcopyConfig | null;
  dirtyLimit: DirtyLimitConfig | null;
  pauseAfterRound: number | null;
}

/** Reads the ending fields of `migration:`; `base` is the rest of the migration, already read. */
export function parseEndings(
  m: FieldReader,
  base: Omit<MigrationConfig, keyof Endings>,
  phases: readonly { writes: readonly unknown[]; churn: readonly unknown[]; tracePath: string | null }[],
): Endings {
  const endings: Endings = {
    // Not QEMU's (QEMU migrates until told otherwise): what management does at its deadline.
    onNoConvergence: m.choice('onNoConvergence', ['cancel', 'force'] as const, 'cancel'),
    postcopy: isMapping(m.raw('postcopy')) ? parsePostcopy(m.child('postcopy', POSTCOPY_KEYS)) : absentOrInvalid(m, 'postcopy'),
    dirtyLimit: isMapping(m.raw('dirtyLimit')) ? parseDirtyLimit(m.child('dirtyLimit', DIRTY_LIMIT_KEYS)) : absentOrInvalid(m, 'dirtyLimit'),
    pauseAfterRound: m.quantityOrNone('pauseAfterRound', (v) => parseInteger(v, { min: 0 }), null),
  };
  if (endings.dirtyLimit !== null) {
    // migrate_caps_check: dirty-limit needs KVM's dirty ring, and not auto-converge as well.
    if (base.tracking.mode !== 'dirty-ring') {
      m.fail('dirtyLimit', `needs migration.tracking.mode dirty-ring (QEMU refuses dirty-limit without KVM's dirty ring; mode is ${base.tracking.mode})`);
    } else if (base.autoConverge.enabled) {
      m.fail('dirtyLimit', 'conflicts with migration.autoConverge.enabled (QEMU refuses both capabilities at once)');
    }
  }
  const guestWrites = phases.some((phase) => phase.writes.length > 0 || phase.churn.length > 0 || phase.tracePath !== null);
  const bounded = endings.postcopy !== null || endings.pauseAfterRound !== null;
  if (base.downtimeLimitSec === 0 && guestWrites && !bounded) {
    m.fail('downtimeLimit', 'is 0: pre-copy then waits for a sync with no page dirtied, which a guest that writes never gives; set a limit, or postcopy or pauseAfterRound');
  }
  // No cap at all is left to the work bound (cli/memory-limit.ts), which refuses it up front.
  return endings;
}

/** `postcopy: none` or absent: off; anything else that is not a mapping is an issue. */
function absentOrInvalid(m: FieldReader, key: string): null {
  const raw = m.raw(key);
  if (raw !== undefined && raw !== null && raw !== 'none' && raw !== false) m.fail(key, 'must be a mapping, or none');
  return null;
}

function parsePostcopy(p: FieldReader): PostcopyConfig {
  return {
    start: parsePostcopyStart(p),
    // Capability postcopy-preempt: off by default in QEMU.
    preempt: p.bool('preempt', false),
    // One round trip on a data-centre network (25–100 µs); the request's wait behind the
    // socket (sendQueue) is counted apart.
    requestLatencySec: p.quantity('requestLatency', parseDuration, 100e-6),
    // max-postcopy-bandwidth 0 (QEMU's default): unlimited, so the link.
    bandwidthBytesPerSec: p.quantity('bandwidth', (v) => (v === 0 || v === '0' ? Infinity : parseBandwidth(v)), Infinity),
    // Linux's tcp_wmem maximum (4 MiB) of the autotuned send buffer: at the 821 MB/s of
    // workloads/qemu it is a 5.1 ms wait, as postcopy1_garbage's 139 ms for 23 requests.
    sendQueueBytes: p.quantity('sendQueue', parseSize, 4 * MiB),
    // 0.65 us: the testbed's zero pages after the switch (samples.csv, 5 ms apart):
    // postcopy1_garbage 48640 zero pages (and 1325 normal at 5.34 us) in 40 ms, 0.68 us
    // each; postcopy1_garbage_preempt 12573 in 8 ms and 14852 in under 10 ms, 0.64-0.67 us.
    // The 9-byte record and the source's zero scan (0.26 us) are shorter: the destination's
    // ioctl bounds it. A normal page's UFFDIO_COPY has no field: it hides under the link
    // (docs/model.md §10.2d).
    zeroPlaceCostSec: p.quantity('zeroPlaceCost', parseDuration, 0.65e-6),
  };
}

function parsePostcopyStart(p: FieldReader): PostcopyStart {
  const raw = p.raw('start');
  // Default: migrate-start-postcopy at once (guestperf's post-copy with 0 iterations).
  if (raw === undefined || raw === null) return { kind: 'afterRound', round: 0 };
  const s = p.child('start', POSTCOPY_START_KEYS);
  const given = POSTCOPY_START_KEYS.filter((key) => s.has(key));
  if (given.length !== 1) {
    p.fail('start', 'must name exactly one of afterRound, afterSeconds, whenPendingBelow');
    return { kind: 'afterRound', round: 0 };
  }
  if (given[0] === 'afterRound') return { kind: 'afterRound', round: s.quantity('afterRound', (v) => parseInteger(v, { min: 0 })) };
  if (given[0] === 'afterSeconds') return { kind: 'afterSeconds', sec: s.quantity('afterSeconds', parseDuration) };
  return { kind: 'whenPendingBelow', bytes: s.quantity('whenPendingBelow', parseSize) };
}

function parseDirtyLimit(d: FieldReader): DirtyLimitConfig {
  return {
    // vcpu-dirty-limit 1 MB/s (QEMU's default; dirtylimit.c counts MB as 2^20 bytes).
    vcpuDirtyLimitBytesPerSec: d.quantity(
      'vcpuDirtyLimit',
      (v) => {
        const rate = parseByteRate(v);
        if (!(rate > 0)) throw new Error('must be above 0, e.g. 1MiB/s');
        return rate;
      },
      MiB,
    ),
    // x-vcpu-dirty-limit-period 1000 ms.
    periodSec: d.quantity(
      'period',
      (v) => {
        const sec = parseDuration(v);
        if (!(sec > 0)) throw new Error('must be above 0');
        return sec;
      },
      1,
    ),
  };
}
