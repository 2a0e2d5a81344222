/**
 * Wei Wang's published free page hint reductions (LKML v36/v37 cover letters of
 * "virtio-balloon: free page hint"), reproduced from documented workloads of each guest
 * (validation/wei-wang-fph/): the simulated reduction of the total migration time must be
 * within 10 percentage points of the published one. The per-page costs are the defaults,
 * fitted to this project's QEMU 10 runs, not to these numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { simulateWorkload } from '../../src/core/simulation.js';
import { readWorkload } from '../../src/io/read-workload.js';
import { REPO_ROOT } from '../cli/helpers.js';

const PUBLISHED: [file: string, legacyMs: number, hintedMs: number][] = [
  ['8gib-idle-2s.yaml', 1757, 409],
  ['8gib-idle-400ms.yaml', 2970, 620],
  ['128gib-idle-400ms.yaml', 41651, 5294],
];

describe("Wei Wang's free page hint reductions", () => {
  for (const [file, legacyMs, hintedMs] of PUBLISHED) {
    const published = (1 - hintedMs / legacyMs) * 100;
    it(`${file}: ${published.toFixed(1)}% published, simulated within 10 points`, () => {
      const results = simulateWorkload(readWorkload(`${REPO_ROOT}/validation/wei-wang-fph/${file}`));
      const none = results.find((r) => r.summary.run === 'none')!.summary;
      const hinted = results.find((r) => r.summary.run === 'free-page-hint')!.summary;
      const simulated = (1 - hinted.totalTimeSec / none.totalTimeSec) * 100;
      assert.ok(Math.abs(simulated - published) <= 10, `simulated ${simulated.toFixed(1)}% vs published ${published.toFixed(1)}%`);
      // Hints skip every free 4 MiB block before the sender reaches it: nothing free is sent.
      assert.ok(hinted.totalBytes < none.totalBytes);
    });
  }
});
