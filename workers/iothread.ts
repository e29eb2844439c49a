/**
 * An IO thread of the data plane: QEMU's IOThread running virtio-blk's
 * request handler (virtio_blk_handle_vq) for the submission rings mapped to
 * it, and, with --completion-path iothread (the default), the completion
 * side of the same requests.
 *
 * One pass of its event loop:
 *   1. Completions (iothread path): pop what its device thread handed back
 *      through the completion queue (the host AIO's completions, which QEMU
 *      reaps from the eventfd its event loop polls), push each vCPU's
 *      completions into that vCPU's used ring in one batch and interrupt the
 *      vCPU only if it is parked (virtio_blk_req_complete: virtqueue_push,
 *      then the irqfd; outbox.ts).
 *   2. Submissions: from each of its rings, pop requests `--iothread-batch`
 *      at a time (default 1, as virtqueue_pop takes one request at a time)
 *      until the ring is empty; spend `--iothread-ns` on each request; then
 *      hand everything gathered to the device at once, in one push into its
 *      hardware queue and one ring of the device's doorbell
 *      (blk_io_plug/unplug: one io_submit for the batch).
 *
 * With --lock-sides submit+pop (the default) each pop takes the ring's lock,
 * standing in for the acquisitions the guest driver makes when it reaps
 * completions (virtblk_done), so the lock sees both sides, as the paper's
 * shared queue did; with submit+reap the ring is made so that its one
 * consumer pops without the lock (QEMU's virtqueue_pop takes no guest lock)
 * and the vCPUs take it to reap. It peeks at a ring without the lock, so an
 * empty ring costs no acquisition. With --breakdown on it stamps T_POP on
 * each request it pops and T_POST on each completion it posts. Between
 * passes it waits as serve-loop.ts says.
 */
import { Ring } from '../src/ring/ring.js';
import { openRing } from '../src/ring/create-ring.js';
import { BELL_SOURCE, RunControl } from '../src/protocol/run-control.js';
import { DESC_WORDS, HWQ, T_POP, VCPU } from '../src/protocol/descriptor.js';
import { stageClockOffset, stampClock } from '../src/protocol/stage-clock.js';
import { GuardedRing } from '../src/ring/guarded-ring.js';
import { TraceKind } from '../src/protocol/trace-record.js';
import { TraceRecorder } from './support/trace-recorder.js';
import type { IothreadResult, IothreadTask } from '../src/protocol/tasks.js';
import { burnCpu } from './support/burn.js';
import { leavesOnAbort } from './support/leave-on-abort.js';
import { anyHasWork, serveUntilDone } from './support/serve-loop.js';
import { localIndex, Outbox, ringFullError } from './support/outbox.js';
import { SUBMIT_MAX } from '../src/protocol/options.js';

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(iothread);

function iothread(task: IothreadTask): IothreadResult {
  const { index, iothreadBatch, iothreadNs } = task;
  const control = new RunControl(task.control);
  const rings = task.rings.map((h) => openRing(h));
  const hwq = Ring.from(task.hwq);
  const deviceBell = control.bell('nullblk', task.device);
  const progress = control.progress('iothread', index);
  // --trace: the recorder (null without), and `trace`, set to it only while its window is open.
  const guarded = rings.map((ring) => ring instanceof GuardedRing && ring.guardPops);
  const locks = new Map<ArrayBufferLike, number>();
  task.rings.forEach((h, r) => guarded[r] && locks.set(h.buffer, task.ringIndexes[r]!));
  const recorder =
    task.trace === null
      ? null
      : new TraceRecorder(task.trace, control, 'iothread', stageClockOffset(task.stageOriginHrNs), locks);
  let trace: TraceRecorder | null = null;
  const stamp = task.breakdown ? stampClock(task.stageOriginHrNs) : null;
  const batch = new Int32Array(SUBMIT_MAX * DESC_WORDS);
  let gathered = 0;
  let moved = 0;
  let pops = 0;

  // The completion side (iothread path): the queue back from the device, and the vCPUs' used rings.
  const completionQueue = task.completionQueue === null ? null : Ring.from(task.completionQueue);
  const reaped = new Int32Array((completionQueue?.capacity ?? 0) * DESC_WORDS);
  const localVcpu = localIndex(task.vcpus);
  const usedRings = new Outbox(
    {
      rings: task.usedRings.map((h) => Ring.from(h)),
      bells: task.vcpus.map((v) => control.bell('vcpu', v)),
      source: BELL_SOURCE.iothread,
      name: (d) => `used ring of vcpu ${task.vcpus[d]}`,
    },
    reaped.length / DESC_WORDS,
  );

  /** Hands the gathered requests to the device: one push, one doorbell. */
  function submit(): void {
    if (hwq.pushBatch(batch, gathered) !== gathered) throw ringFullError(`hardware queue ${index}`);
    moved += gathered;
    gathered = 0;
    deviceBell.ring(BELL_SOURCE.iothread);
  }

  /** Posts every completion the device handed back to its vCPU's used ring; returns how many. */
  function postCompletions(): number {
    if (completionQueue === null) return 0;
    const n = completionQueue.popBatch(reaped, reaped.length / DESC_WORDS);
    if (n === 0) return 0;
    for (let k = 0; k < n; k++) {
      const o = k * DESC_WORDS;
      const v = localVcpu[reaped[o + VCPU]!] ?? -1;
      if (v < 0) throw new Error(`IO thread ${index} got a completion of vcpu ${reaped[o + VCPU]}, not one of its own`);
      usedRings.add(v, reaped, o);
    }
    return usedRings.flush(stamp === null ? null : stamp());
  }

  function pass(): number {
    const before = moved;
    let start = trace === null ? 0 : trace.now();
    const posted = postCompletions();
    if (trace !== null && posted > 0) {
      trace.add(TraceKind.POST, start, (start = trace.now()), posted);
    }
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r]!;
      if (ring.isEmpty()) continue;
      // T_POP: when this pass began to drain the ring (its handler ran), read again after each
      // hand-over to the device: one clock read per SUBMIT_MAX requests at most.
      let popped = stamp === null ? 0 : stamp();
      while (!ring.isEmpty()) {
        const held = trace === null ? 0 : trace.now();
        const got = ring.popBatch(batch, Math.min(iothreadBatch, SUBMIT_MAX - gathered), gathered);
        if (recorder !== null && guarded[r]!) {
          if (trace !== null) trace.held(task.ringIndexes[r]!, held);
          else recorder.heldAcross(task.ringIndexes[r]!);
        }
        pops++;
        for (let k = gathered; k < gathered + got; k++) {
          batch[k * DESC_WORDS + HWQ] = index;
          if (stamp !== null) batch[k * DESC_WORDS + T_POP] = popped;
          burnCpu(iothreadNs);
        }
        gathered += got;
        if (gathered === SUBMIT_MAX) {
          submit();
          if (stamp !== null) popped = stamp();
        }
      }
    }
    if (gathered > 0) submit();
    if (trace !== null && moved > before) trace.add(TraceKind.DRAIN, start, trace.now(), moved - before);
    const work = moved - before + posted;
    if (work > 0) progress.publish(moved, usedRings.pushed);
    return work;
  }

  const window = serveUntilDone({
    role: 'iothread',
    index,
    task,
    control,
    bell: control.bell('iothread', index),
    hasWork: () => anyHasWork(rings) || (completionQueue !== null && !completionQueue.isEmpty()),
    pass,
    requests: () => moved,
    ...(recorder === null ? {} : { turn: (phase: number) => void (trace = recorder.active(phase)) }),
  });
  return {
    index,
    moved,
    pops,
    completions: usedRings.pushed,
    window,
    trace: recorder === null ? null : recorder.result(),
  };
}
