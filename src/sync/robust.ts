/**
 * Robust locks: what to do when a thread dies holding a lock or waiting for one, after pthread's
 * robust mutexes (PTHREAD_MUTEX_ROBUST; the next locker gets EOWNERDEAD and the lock, or
 * ENOTRECOVERABLE once the state is given up for lost).
 *
 * A thread of Node ends without running its `finally` blocks when it is terminated
 * (Worker.terminate()) or calls process.exit(), and an async wait of a thread that ends just
 * stops. Whatever it held or queued for stays held: a lock it held, a ticket or a queue place the
 * lock will hand to it in its turn, a sleeper count. Lock.recover(threadId) undoes all that; the
 * thread that owns the Worker object learns of the death from its 'exit' event, which is what
 * recoverOnExit listens to.
 *
 *   const worker = new Worker(url, { workerData: { handle: lock.handle } });
 *   recoverOnExit(worker, [lock]);                        // release what it held, skip its waits
 *   recoverOnExit(worker, [lock], { ifHeld: 'poison' });  // or: waiters throw, naming it
 */
import type { Lock, RecoverOptions, RecoverReport } from './lock-base.js';

/** What recoverOnExit needs of a Worker (node:worker_threads), or of anything that ends like one. */
export interface EndingThread {
  /** Node's thread id of the worker: read at once, since a Worker reports -1 once it has exited. */
  readonly threadId: number;
  once(event: 'exit', listener: (exitCode: number) => void): unknown;
}

/** Options of {@link recoverOnExit}. */
export interface RecoverOnExitOptions extends RecoverOptions {
  /** Called once per lock after its recovery, with what recover() reported (e.g. to log a death). */
  onRecovered?: (lock: Lock, report: RecoverReport, threadId: number) => void;
}

/**
 * When `worker` exits, for whatever reason (normal end, uncaught error, process.exit(), or
 * terminate()), calls `lock.recover(threadId, options)` for each of `locks`: a lock it held is
 * released (or poisoned, with `ifHeld: 'poison'`), and its tickets, queue places and sleeper
 * counts are taken out, so that no lock stays wedged behind a dead thread. A worker that exits
 * normally has released its locks and waits: nothing is found, nothing is done.
 * @throws RangeError when `worker` has exited already (its threadId reads -1).
 */
export function recoverOnExit(worker: EndingThread, locks: Iterable<Lock>, options: RecoverOnExitOptions = {}): void {
  const threadId = worker.threadId;
  if (!Number.isInteger(threadId) || threadId < 0) {
    throw new RangeError(`recoverOnExit: the worker has exited already (threadId ${String(threadId)})`);
  }
  const watched = [...locks];
  const { onRecovered, ...recoverOptions } = options;
  worker.once('exit', () => {
    for (const lock of watched) {
      const report = lock.recover(threadId, recoverOptions);
      onRecovered?.(lock, report, threadId);
    }
  });
}
