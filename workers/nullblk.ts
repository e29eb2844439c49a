/**
 * A thread of the null-block device (Linux null_blk): serves its hardware
 * queues (one per IO thread, spread over the device threads round-robin;
 * by default a thread per queue, like null_blk's submit_queues, each queue's
 * work done in a context of its own). Each request completes at once, or
 * --completion-ns later (like irqmode=2), and its completion goes to the
 * submitting vCPU's completion ring, which notifies the vCPU only if it is
 * parked.
 *
 * One pass: pop every hardware queue, complete what is due, and push the
 * completions gathered for each vCPU in one batch, so that a vCPU with many
 * requests done is interrupted once. With --memory-backed the device writes
 * a pattern into the request's buffer before completing it. Between passes
 * it waits as serve-loop.ts says.
 */
import { anyHasData, Ring } from '../src/ring/ring.js';
import { RunControl } from '../src/protocol/run-control.js';
import { DESC_WORDS, VCPU, TAG, SEQ, BLOCK, STATUS, STATUS_OK } from '../src/protocol/descriptor.js';
import type { NullblkResult, NullblkTask } from '../src/protocol/tasks.js';
import { fillPattern } from './support/pattern.js';
import { leavesOnAbort } from './support/leave-on-abort.js';
import { serveUntilDone } from './support/serve-loop.js';

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(nullblk);

function nullblk(task: NullblkTask): NullblkResult {
  const { index, iodepth } = task;
  const control = new RunControl(task.control);
  const hwqs = task.hwqs.map((h) => Ring.from(h));
  const completions = task.completions.map((h) => Ring.from(h));
  const data = task.data.map((b) => (b === null ? null : new Int32Array(b)));
  const bufWords = task.bs / 4;
  const progress = control.progress('nullblk', index);
  const delayMs = task.completionNs / 1e6;
  // A descriptor names its vCPU by its index in the run; `local` maps that to this thread's lists.
  const local = new Int32Array(Math.max(0, ...task.vcpus) + 1).fill(-1);
  task.vcpus.forEach((v, i) => (local[v] = i));

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

  function complete(src: Int32Array, o: number): void {
    const v = local[src[o + VCPU]!]!;
    if (v < 0)
      throw new Error(`device thread ${index} got a request of vcpu ${src[o + VCPU]}, which it does not serve`);
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
        const why = 'it is sized for every request in flight, so requests were duplicated';
        throw new Error(`completion ring of vcpu ${task.vcpus[v]} is full: ${why}`);
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

  function pass(): number {
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
    if (n > 0) flush();
    return n;
  }

  serveUntilDone({
    role: 'nullblk',
    index,
    task,
    control,
    bell: control.deviceBell(index),
    hasWork: () => anyHasData(hwqs),
    pass,
    nextDueMs: () => (pendingCount === 0 ? Infinity : Math.max(0, pendingDue[pendingHead]! - performance.now())),
  });
  return { index, hwqs: task.hwqIndexes, completed };
}
