/**
 * An IO thread of the data plane (QEMU's iothread running virtio-blk's
 * handle_output): drains its submission rings in batches into its hardware
 * queue of the null-block device.
 *
 * When every ring is empty it polls for an adaptive window (PollWindow, after
 * QEMU's poll-max-ns), during which vCPUs do not notify it (it is not parked,
 * so their kick finds no sleeper), and then parks on its doorbell. It peeks
 * at a ring without the lock and takes the lock only to pop, the same in both
 * modes. It ends when every vCPU is done (all requests completed) or on ABORT.
 */
import { anyHasData, Ring } from '../src/ring/ring.js';
import { PollWindow } from '../src/sync/poll-window.js';
import { waitUntil } from '../src/sync/wait-until.js';
import { RunControl, ABORT } from '../src/protocol/run-control.js';
import { DESC_WORDS, HWQ } from '../src/protocol/descriptor.js';
import type { IothreadResult, IothreadTask } from '../src/protocol/tasks.js';
import { armFailpoint } from './support/armed-failpoint.js';
import { leavesOnAbort } from './support/leave-on-abort.js';

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(iothread);

function iothread(task: IothreadTask): IothreadResult {
  const { index, parkMs } = task;
  const control = new RunControl(task.control);
  const rings = task.rings.map((h) => Ring.from(h));
  const hwq = Ring.from(task.hwq);
  const myBell = control.iothreadBell(index);
  const deviceBell = control.deviceBell(0);
  const progress = control.progress('iothread', index);
  const window = new PollWindow(task.pollMaxNs);
  const maxBatch = Math.max(...rings.map((r) => r.capacity));
  const batch = new Int32Array(maxBatch * DESC_WORDS);
  let moved = 0;
  let pops = 0;
  let phaseSeen = control.phase();

  const ready = (): boolean => anyHasData(rings) || control.phase() !== phaseSeen || control.allVcpusDone();

  control.arriveAndWait('iothread', index, task.barrierMs);
  const failpoint = armFailpoint(task.failpoint, control, null, parkMs);
  for (;;) {
    phaseSeen = control.phase();
    if (phaseSeen === ABORT) break;
    if (failpoint !== null) failpoint.check();
    let n = 0;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r]!;
      if (ring.isEmpty()) continue;
      const got = ring.popBatch(batch, maxBatch);
      for (let k = 0; k < got; k++) batch[k * DESC_WORDS + HWQ] = index;
      if (hwq.pushBatch(batch, got) !== got) {
        throw new Error(
          `hardware queue ${index} is full: it is sized for every request in flight, so requests were duplicated`,
        );
      }
      n += got;
      pops++;
    }
    if (n > 0) {
      moved += n;
      progress.submitted = moved;
      deviceBell.ring();
      continue;
    }
    if (control.allVcpusDone()) break;
    waitUntil(ready, myBell, window, parkMs);
  }
  return { index, moved, pops };
}
