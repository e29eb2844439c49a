/**
 * The loop of a thread that serves queues: an IO thread draining its
 * submission rings, a device thread draining its hardware queues.
 *
 * Each turn it looks at the phase (ABORT ends it at once), fires its
 * failpoint if one is due, and makes one pass over its queues. A pass that
 * found work is followed at once by another, without a look at the doorbell:
 * QEMU's handler likewise keeps going while the virtqueue has requests, with
 * notifications off. A pass that found nothing ends the loop once every vCPU
 * is done; otherwise the thread waits (waitUntil: an adaptive poll, then a
 * park on its doorbell, every park bounded) until there is work, the phase
 * changes, or `nextDueMs()` says a delayed completion is due.
 */
import { PollWindow } from '../../src/sync/poll-window.js';
import { waitUntil } from '../../src/sync/wait-until.js';
import type { Doorbell } from '../../src/sync/doorbell.js';
import { ABORT, type RunControl } from '../../src/protocol/run-control.js';
import type { WorkerRole } from '../../src/protocol/roster.js';
import type { CommonTask, ThreadWindow } from '../../src/protocol/tasks.js';
import { WindowWatch } from './thread-window.js';
import { armFailpoint } from './armed-failpoint.js';
import { arrive } from './arrive.js';

export interface ServeLoop {
  role: WorkerRole;
  index: number;
  task: CommonTask;
  control: RunControl;
  /** The thread's own doorbell: the one it parks on, which every producer of its queues rings. */
  bell: Doorbell;
  /** Whether any of its queues holds work (a peek, no lock). */
  hasWork(): boolean;
  /** One pass over the queues; returns how many requests it moved. */
  pass(): number;
  /** Milliseconds until the next delayed completion is due, or Infinity when none waits. */
  nextDueMs?(): number;
  /** Requests it has handled so far (thread-window.ts). */
  requests(): number;
  /** Called at every turn with the phase, before the pass (--trace: the recorder's window). */
  turn?(phase: number): void;
}

/** Whether any of `queues` holds work: a peek at each, no lock; how a consumer of several decides it may park. */
export function anyHasWork(queues: readonly { isEmpty(): boolean }[]): boolean {
  for (let q = 0; q < queues.length; q++) if (!queues[q]!.isEmpty()) return true;
  return false;
}

/**
 * Arrives at the start barrier, then serves until every vCPU is done or the run is aborted.
 * @returns the thread's figures over the measured window, as it saw it (thread-window.ts)
 */
export function serveUntilDone(loop: ServeLoop): ThreadWindow | null {
  const { control, task, bell } = loop;
  const window = new PollWindow(task.pollMaxNs);
  const measured = new WindowWatch(bell);
  const requests = (): number => loop.requests();
  let phaseSeen = control.phase();
  const ready = (): boolean =>
    loop.hasWork() || control.phase() !== phaseSeen || control.allVcpusDone() || loop.nextDueMs?.() === 0;

  arrive(control, loop.role, loop.index, task);
  const failpoint = armFailpoint(task.failpoint, control, null, task.parkMs);
  for (;;) {
    phaseSeen = control.phase();
    if (phaseSeen === ABORT) return null;
    measured.observe(phaseSeen, requests);
    if (loop.turn !== undefined) loop.turn(phaseSeen);
    if (failpoint !== null) failpoint.check();
    if (loop.pass() > 0) continue;
    if (control.allVcpusDone()) return measured.figures();
    const due = loop.nextDueMs?.() ?? Infinity;
    waitUntil(ready, bell, window, Math.min(task.parkMs, due));
  }
}
