/**
 * An IO thread of the data plane: QEMU's IOThread running virtio-blk's
 * request handler (virtio_blk_handle_vq) for the submission rings mapped to
 * it.
 *
 * One pass: from each of its rings, pop requests `--iothread-batch` at a
 * time (default 1, as virtqueue_pop takes one request at a time), each pop
 * under one acquisition of the ring's lock, until the ring is empty; spend
 * `--iothread-ns` on each request; then hand everything gathered to the
 * device at once, in one push into its hardware queue and one ring of the
 * device's doorbell (blk_io_plug/unplug: one io_submit for the batch).
 *
 * QEMU pops without the guest's lock; here the pops take the ring's lock,
 * standing in for the acquisitions the guest driver makes when it reaps
 * completions (virtblk_done), so the lock sees both sides, as the paper's
 * shared queue did. It peeks at a ring without the lock, so an empty ring
 * costs no acquisition. Between passes it waits as serve-loop.ts says.
 */
import { anyHasData, Ring } from '../src/ring/ring.js';
import { RunControl } from '../src/protocol/run-control.js';
import { DESC_WORDS, HWQ } from '../src/protocol/descriptor.js';
import type { IothreadResult, IothreadTask } from '../src/protocol/tasks.js';
import { burnCpu } from './support/burn.js';
import { leavesOnAbort } from './support/leave-on-abort.js';
import { serveUntilDone } from './support/serve-loop.js';
import { SUBMIT_MAX } from '../src/protocol/options.js';

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(iothread);

function iothread(task: IothreadTask): IothreadResult {
  const { index, popBatch, iothreadNs } = task;
  const control = new RunControl(task.control);
  const rings = task.rings.map((h) => Ring.from(h));
  const hwq = Ring.from(task.hwq);
  const deviceBell = control.deviceBell(task.device);
  const progress = control.progress('iothread', index);
  const batch = new Int32Array(SUBMIT_MAX * DESC_WORDS);
  let gathered = 0;
  let moved = 0;
  let pops = 0;

  /** Hands the gathered requests to the device: one push, one doorbell. */
  function submit(): void {
    if (hwq.pushBatch(batch, gathered) !== gathered) {
      const why = 'it is sized for every request in flight, so requests were duplicated';
      throw new Error(`hardware queue ${index} is full: ${why}`);
    }
    moved += gathered;
    progress.submitted = moved;
    gathered = 0;
    deviceBell.ring();
  }

  function pass(): number {
    const before = moved;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r]!;
      while (!ring.isEmpty()) {
        const got = ring.popBatch(batch, Math.min(popBatch, SUBMIT_MAX - gathered), gathered);
        pops++;
        for (let k = gathered; k < gathered + got; k++) {
          batch[k * DESC_WORDS + HWQ] = index;
          burnCpu(iothreadNs);
        }
        gathered += got;
        if (gathered === SUBMIT_MAX) submit();
      }
    }
    if (gathered > 0) submit();
    return moved - before;
  }

  serveUntilDone({
    role: 'iothread',
    index,
    task,
    control,
    bell: control.iothreadBell(index),
    hasWork: () => anyHasData(rings),
    pass,
  });
  return { index, moved, pops };
}
