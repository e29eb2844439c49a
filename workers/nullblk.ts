/**
 * The null-block device (Linux null_blk): one hardware queue per IO thread;
 * each request completes at once, or --completion-ns later (like
 * irqmode=2), and its completion goes to the submitting vCPU's completion
 * ring, which notifies the vCPU only if it is parked.
 *
 * Completions are gathered per vCPU and pushed in one batch per vCPU per
 * pass, so a vCPU with many requests done is interrupted once. With
 * --memory-backed the device writes a pattern into the request's buffer
 * before completing it. It ends when every vCPU is done, or on ABORT.
 */
import { anyHasData, Ring } from '../src/ring/ring.js';
import { PollWindow } from '../src/sync/poll-window.js';
import { waitUntil } from '../src/sync/wait-until.js';
import { RunControl, ABORT } from '../src/protocol/run-control.js';
import { DESC_WORDS, VCPU, TAG, SEQ, BLOCK, STATUS, STATUS_OK } from '../src/protocol/descriptor.js';
import { fillPattern } from './support/pattern.js';
import type { NullblkResult, NullblkTask } from '../src/protocol/tasks.js';
import { armFailpoint } from './support/armed-failpoint.js';
import { leavesOnAbort } from './support/leave-on-abort.js';

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(nullblk);

function nullblk(task: NullblkTask): NullblkResult {
  const { parkMs, iodepth } = task;
  const control = new RunControl(task.control);
  const hwqs = task.hwqs.map((h) => Ring.from(h));
  const completions = task.completions.map((h) => Ring.from(h));
  const data = task.data.map((b) => (b === null ? null : new Int32Array(b)));
  const bufWords = task.bs / 4;
  const bell = control.deviceBell(0);
  const progress = control.progress('nullblk', 0);
  const window = new PollWindow(task.pollMaxNs);
  const delayMs = task.completionNs / 1e6;

  const maxBatch = Math.max(...hwqs.map((q) => q.capacity));
  const batch = new Int32Array(maxBatch * DESC_WORDS);
  // Completions waiting for their delay: a FIFO (the delay is the same for all, so due times only grow).
  const inFlightMax = completions.length * iodepth;
  const pending = new Int32Array(inFlightMax * DESC_WORDS);
  const pendingDue = new Float64Array(inFlightMax);
  let pendingHead = 0;
  let pendingCount = 0;
  // Per-vCPU completion batches.
  const outgoing = completions.map(() => new Int32Array(iodepth * DESC_WORDS));
  const outgoingCount = new Int32Array(completions.length);
  let completed = 0;
  let phaseSeen = control.phase();

  function complete(src: Int32Array, o: number): void {
    const v = src[o + VCPU]!;
    const buffers = data[v];
    if (buffers != null) {
      const tag = src[o + TAG]!;
      fillPattern(buffers.subarray(tag * bufWords, (tag + 1) * bufWords), src[o + BLOCK]!, src[o + SEQ]!);
    }
    const dst = outgoing[v]!;
    const at = outgoingCount[v]! * DESC_WORDS;
    for (let j = 0; j < DESC_WORDS; j++) dst[at + j] = src[o + j]!;
    dst[at + STATUS] = STATUS_OK;
    outgoingCount[v]!++;
  }

  function flush(): void {
    for (let v = 0; v < completions.length; v++) {
      const n = outgoingCount[v]!;
      if (n === 0) continue;
      if (completions[v]!.pushBatch(outgoing[v]!, n) !== n) {
        throw new Error(
          `completion ring of vcpu ${v} is full: it is sized for every request in flight, so requests were duplicated`,
        );
      }
      outgoingCount[v] = 0;
      completed += n;
    }
    progress.completed = completed;
  }

  function completeDue(now: number): number {
    let n = 0;
    while (pendingCount > 0 && pendingDue[pendingHead]! <= now) {
      complete(pending, pendingHead * DESC_WORDS);
      pendingHead = (pendingHead + 1) % inFlightMax;
      pendingCount--;
      n++;
    }
    return n;
  }

  const ready = (): boolean =>
    anyHasData(hwqs) ||
    control.phase() !== phaseSeen ||
    control.allVcpusDone() ||
    (pendingCount > 0 && pendingDue[pendingHead]! <= performance.now());

  control.arriveAndWait('nullblk', 0, task.barrierMs);
  const failpoint = armFailpoint(task.failpoint, control, null, parkMs);
  for (;;) {
    phaseSeen = control.phase();
    if (phaseSeen === ABORT) break;
    if (failpoint !== null) failpoint.check();
    let n = 0;
    for (let q = 0; q < hwqs.length; q++) {
      const got = hwqs[q]!.popBatch(batch, maxBatch);
      if (delayMs === 0) {
        for (let k = 0; k < got; k++) complete(batch, k * DESC_WORDS);
      } else {
        const due = performance.now() + delayMs;
        for (let k = 0; k < got; k++) {
          const slot = (pendingHead + pendingCount) % inFlightMax;
          pending.set(batch.subarray(k * DESC_WORDS, (k + 1) * DESC_WORDS), slot * DESC_WORDS);
          pendingDue[slot] = due;
          pendingCount++;
        }
      }
      n += got;
    }
    if (pendingCount > 0) n += completeDue(performance.now());
    if (n > 0) {
      flush();
      continue;
    }
    if (control.allVcpusDone()) break;
    const untilDue = pendingCount > 0 ? Math.max(0, pendingDue[pendingHead]! - performance.now()) : parkMs;
    waitUntil(ready, bell, window, Math.min(parkMs, untilDue));
  }
  return { completed };
}
