/**
 * A thread of the null-block device (Linux null_blk): serves its hardware
 * queues (one per IO thread, spread over the device threads round-robin;
 * by default a thread per queue, like null_blk's submit_queues, each queue's
 * work done in a context of its own). Each request completes at once, or
 * --completion-ns later (like irqmode=2).
 *
 * Where a completion goes (--completion-path):
 *   iothread  back to the IO thread that submitted it: into the completion
 *             queue of the hardware queue it came through, the IO thread's
 *             doorbell rung if it is parked (the host AIO's completion
 *             eventfd that QEMU's IOThread polls)
 *   direct    straight into the submitting vCPU's used ring, which notifies
 *             the vCPU only if it is parked
 *
 * One pass: pop every hardware queue, complete what is due, and push the
 * completions gathered for each destination in one batch (outbox.ts), so
 * that a destination with many completions is notified once. With
 * --memory-backed the device writes a pattern into the request's buffer
 * before completing it. With --breakdown on it stamps T_DEV when it takes a
 * request and T_DONE when it completes it (the same reading without a delay),
 * and T_POST when it posts to a vCPU itself. Between passes it waits as serve-loop.ts says.
 */
import { Ring } from '../src/ring/ring.js';
import { BELL_SOURCE, RunControl } from '../src/protocol/run-control.js';
import {
  DESC_WORDS,
  VCPU,
  TAG,
  SEQ,
  BLOCK,
  HWQ,
  STATUS,
  STATUS_OK,
  T_DEV,
  T_DONE,
} from '../src/protocol/descriptor.js';
import { stageClockOffset, stampClock } from '../src/protocol/stage-clock.js';
import { TraceKind } from '../src/protocol/trace-record.js';
import { TraceRecorder } from './support/trace-recorder.js';
import type { NullblkResult, NullblkTask } from '../src/protocol/tasks.js';
import { fillPattern } from './support/pattern.js';
import { leavesOnAbort } from './support/leave-on-abort.js';
import { anyHasWork, serveUntilDone } from './support/serve-loop.js';
import { localIndex, Outbox } from './support/outbox.js';

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(nullblk);

function nullblk(task: NullblkTask): NullblkResult {
  const { index, iodepth } = task;
  const control = new RunControl(task.control);
  const hwqs = task.hwqs.map((h) => Ring.from(h));
  const data = task.data.map((b) => (b === null ? null : new Int32Array(b)));
  const bufWords = task.bs / 4;
  const progress = control.progress('nullblk', index);
  // --trace: the recorder (null without), and `trace`, set to it only while its window is open.
  const recorder =
    task.trace === null
      ? null
      : new TraceRecorder(task.trace, control, 'nullblk', stageClockOffset(task.stageOriginHrNs), new Map());
  let trace: TraceRecorder | null = null;
  const delayMs = task.completionNs / 1e6;
  const stamp = task.breakdown ? stampClock(task.stageOriginHrNs) : null;
  const direct = task.completionPath === 'direct';
  // A descriptor names its vCPU and hardware queue by their indices in the run; these map them
  // to this thread's lists (-1: not one of its own).
  const localVcpu = localIndex(task.vcpus);
  const localHwq = localIndex(task.hwqIndexes);
  // Completions go to each vCPU's used ring, ringing the vCPU's bell (its interrupt), or to each
  // hardware queue's completion queue, ringing the bell of the IO thread that consumes it.
  const outbox = direct
    ? new Outbox(
        {
          rings: task.usedRings.map((h) => Ring.from(h)),
          bells: task.vcpus.map((v) => control.bell('vcpu', v)),
          source: BELL_SOURCE.nullblk,
          name: (d) => `used ring of vcpu ${task.vcpus[d]}`,
        },
        iodepth,
      )
    : new Outbox(
        {
          rings: task.completionQueues.map((h) => Ring.from(h)),
          bells: task.completionIothreads.map((k) => control.bell('iothread', k)),
          source: BELL_SOURCE.nullblk,
          name: (d) => `completion queue ${task.hwqIndexes[d]}`,
        },
        Math.max(...hwqs.map((q) => q.capacity)),
      );

  const maxBatch = Math.max(...hwqs.map((q) => q.capacity));
  const batch = new Int32Array(maxBatch * DESC_WORDS);
  // Completions waiting for their delay: a FIFO (the delay is the same for all, so due times only grow).
  const inFlightMax = task.vcpus.length * iodepth;
  const pending = new Int32Array(inFlightMax * DESC_WORDS);
  const pendingDue = new Float64Array(inFlightMax);
  let pendingHead = 0;
  let pendingCount = 0;
  let completed = 0;

  /** Completes the request at word `o` of `src`, stamped `doneStamp`, into the outbox. */
  function complete(src: Int32Array, o: number, doneStamp: number | null): void {
    const v = localVcpu[src[o + VCPU]!] ?? -1;
    if (v < 0) {
      throw new Error(`device thread ${index} got a request of vcpu ${src[o + VCPU]}, which it does not serve`);
    }
    const buffers = data[v];
    if (buffers != null) {
      const tag = src[o + TAG]!;
      fillPattern(buffers.subarray(tag * bufWords, (tag + 1) * bufWords), src[o + BLOCK]!, src[o + SEQ]!);
    }
    const d = direct ? v : localHwq[src[o + HWQ]!]!;
    const at = outbox.add(d, src, o);
    const out = outbox.batches[d]!;
    out[at + STATUS] = STATUS_OK;
    if (doneStamp !== null) out[at + T_DONE] = doneStamp;
  }

  function completeDue(now: number): number {
    const doneStamp = stamp === null ? null : stamp();
    let n = 0;
    while (pendingCount > 0 && pendingDue[pendingHead]! <= now) {
      complete(pending, pendingHead * DESC_WORDS, doneStamp);
      pendingHead = (pendingHead + 1) % inFlightMax;
      pendingCount--;
      n++;
    }
    return n;
  }

  function pass(): number {
    const start = trace === null ? 0 : trace.now();
    let n = 0;
    for (let q = 0; q < hwqs.length; q++) {
      const got = hwqs[q]!.popBatch(batch, maxBatch);
      if (got === 0) continue;
      // One clock read per queue drained: T_DEV, and T_DONE too without a delay, since null_blk
      // completes a request as it takes it (irqmode 0 and 1): the device stage is then 0.
      const taken = stamp === null ? null : stamp();
      if (taken !== null) for (let k = 0; k < got; k++) batch[k * DESC_WORDS + T_DEV] = taken;
      if (delayMs === 0) {
        for (let k = 0; k < got; k++) complete(batch, k * DESC_WORDS, taken);
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
      // T_POST is stamped by whoever posts to the vCPU: the device itself only with direct.
      completed += outbox.flush(direct && stamp !== null ? stamp() : null);
      progress.publish(0, completed);
      if (trace !== null) trace.add(TraceKind.SERVICE, start, trace.now(), n);
    }
    return n;
  }

  const window = serveUntilDone({
    role: 'nullblk',
    index,
    task,
    control,
    bell: control.bell('nullblk', index),
    hasWork: () => anyHasWork(hwqs),
    pass,
    nextDueMs: () => (pendingCount === 0 ? Infinity : Math.max(0, pendingDue[pendingHead]! - performance.now())),
    requests: () => completed,
    ...(recorder === null ? {} : { turn: (phase: number) => void (trace = recorder.active(phase)) }),
  });
  return {
    index,
    hwqs: task.hwqIndexes,
    completed,
    completions: direct ? completed : 0,
    window,
    trace: recorder === null ? null : recorder.result(),
  };
}
