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

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(iothread);

function iothread(task: IothreadTask): IothreadResult {
  const { index, popBatch, iothreadNs } = task;
  const control = new RunControl(task.control);
  const rings = task.rings.map((h) => Ring.from(h));
  const hwq = Ring.from(task.hwq);
  const deviceBell = control.deviceBell(task.device);
  const progress = control.progress('iothread', index);
  // Room for everything its rings can hold: a pass gathers until they are empty.
  const room = rings.reduce((sum, ring) => sum + ring.capacity, 0);
  const batch = new Int32Array(room * DESC_WORDS);
  let moved = 0;
  let pops = 0;

  function pass(): number {
    let n = 0;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r]!;
      while (n < room && !ring.isEmpty()) {
        const got = ring.popBatch(batch, Math.min(popBatch, room - n), n);
        pops++;
        for (let k = n; k < n + got; k++) {
          batch[k * DESC_WORDS + HWQ] = index;
          burnCpu(iothreadNs);
        }
        n += got;
      }
    }
    if (n === 0) return 0;
    if (hwq.pushBatch(batch, n) !== n) {
      throw new Error(
        `hardware queue ${index} is full: it is sized for every request in flight, so requests were duplicated`,
      );
    }
    moved += n;
    progress.submitted = moved;
    deviceBell.ring();
    return n;
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
