// issue 12: the model's vCPU share per rate slot, for docs/model.md §10.2c's "vCPU: real, model"
// column. A debug hook, not part of migsim: it wraps HostCpu.slotEnded (dist/src/core/host-cpu.js)
// and appends "time_s share guestBusy pagesHinted" per slot to $MODEL_SHARE (one block per run,
// time restarting at 0.1). The column is the mean share over the free-page-hint run's slots
// within iteration 1 where guestBusy is true. Usage, from the repository root after `npx tsc -p .`:
//   MODEL_SHARE=/tmp/share.txt NODE_OPTIONS="--import ./validation/issue12-driver-rate/model_share.mjs" \
//     node bin/migsim.js run validation/issue12-driver-rate/workloads/multifd_garbage_thr1x4.yaml \
//     --hints free-page-hint --jobs 1 -q --csv /tmp/rounds.csv
import { appendFileSync } from 'node:fs';

const { HostCpu } = await import(new URL('../../dist/src/core/host-cpu.js', import.meta.url).href);
const slotEnded = HostCpu.prototype.slotEnded;
HostCpu.prototype.slotEnded = function (elapsedSec, normalPages, zeroPages, hintedPages, guestBusy = true) {
  this.modelShareSec = (this.modelShareSec ?? 0) + elapsedSec;
  const share = slotEnded.call(this, elapsedSec, normalPages, zeroPages, hintedPages, guestBusy);
  if (process.env.MODEL_SHARE) appendFileSync(process.env.MODEL_SHARE, `${this.modelShareSec.toFixed(3)} ${share.toFixed(4)} ${guestBusy} ${hintedPages}\n`);
  return share;
};
