/**
 * The small integer that identifies the calling thread to the locks.
 *
 * Locks store their holder's id in shared memory so that a wrong-owner
 * `unlock()` can be refused and a stuck holder named in diagnostics.
 * Node numbers its threads itself (`worker_threads.threadId`: 0 for the main
 * thread, then 1, 2, ... for each worker the process starts); we add 1 so that
 * 0 can mean "nobody".
 */
import { threadId } from 'node:worker_threads';

/** Id stored in a lock's holder word by the calling thread: `threadId + 1`, never 0. Internal. */
export const HOLDER_ID: number = threadId + 1;

/**
 * The calling thread's id as the locks report it: Node's `threadId` (0 for the main thread), so
 * that `lock.holder() === CURRENT_THREAD_ID` exactly when the calling thread holds `lock`.
 */
export const CURRENT_THREAD_ID: number = threadId;

/** Holder word value meaning "not held". */
export const NO_HOLDER = 0;

/** Turns a holder word back into Node's `threadId` (0 = main thread), or -1 for "not held". */
export function holderToThreadId(holder: number): number {
  return holder === NO_HOLDER ? -1 : holder - 1;
}
