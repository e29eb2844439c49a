/**
 * How a worker ends when another part of the run failed.
 *
 * Once the main thread aborts a run it poisons every ring lock, so that a
 * worker spinning or parked on a lock that a dead or stuck worker holds
 * stops waiting: the lock throws LockPoisonedError. A failpoint that waits
 * for the abort (hold-lock, stall) ends with RunAborted. Both are the
 * expected way out of an aborted run, not a second failure: the worker
 * returns {@link Aborted} and the failure that caused the abort is the one
 * reported (by the main thread's run-abort.ts).
 */
import { LockPoisonedError } from '../../src/sync/lock-base.js';
import { RunControl, ABORT } from '../../src/protocol/run-control.js';
import type { Aborted, CommonTask } from '../../src/protocol/tasks.js';

/** Thrown in a worker that has seen the run's ABORT and gives up its work. */
export class RunAborted extends Error {
  override name = 'RunAborted';
}

const ABORTED: Aborted = { aborted: true };

/**
 * Wraps a worker's body so that leaving an aborted run (LockPoisonedError or
 * RunAborted while the phase is ABORT) returns {@link Aborted} instead of
 * failing the task. Any other error, or either of those outside an abort,
 * still fails it.
 */
export function leavesOnAbort<T extends CommonTask, R>(body: (task: T) => R): (task: T) => R | Aborted {
  return (task: T): R | Aborted => {
    try {
      return body(task);
    } catch (error) {
      const leaving = error instanceof LockPoisonedError || error instanceof RunAborted;
      if (leaving && new RunControl(task.control).phase() === ABORT) return ABORTED;
      throw error;
    }
  };
}
