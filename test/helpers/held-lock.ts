/**
 * A lock held by a worker, and a blocking locker in another: the setting of the tests of async lock
 * waits (test/async-waits.test.ts, test/async-abort-locks.test.ts), where a waiter on the main
 * thread must wait for a release that another thread makes.
 *
 * Words of the shared `words` (64 Int32 words) the two workers use: HELD, set to 1 once the holder
 * holds the lock; LET_GO, set by the test to make it release; STARTED, counted by each blocking
 * locker as it starts; GOT, counted (and notified) by each as it has taken the lock.
 */
import { createLock, type LockKindName } from '../../dist/src/index.js';
import { eventually, inlineWorker, startWorker, type WorkerOptions } from './workers.js';

export const HELD = 0;
export const LET_GO = 16;
export const STARTED = 32;
export const GOT = 48;

/**
 * Takes the lock of `workerData.handle` (blocking), says so in HELD, holds it until LET_GO is
 * set, then releases it. Posts { released: true }.
 */
const HOLDER = inlineWorker(
  `
const lock = vblk.openLock(workerData.handle);
const words = workerData.words;
lock.lock();
Atomics.store(words, ${HELD}, 1);
while (Atomics.load(words, ${LET_GO}) === 0) Atomics.wait(words, ${LET_GO}, 0, 50);
lock.unlock();
parentPort.postMessage({ released: true });
`,
  'lock holder',
);

/**
 * A blocking waiter: counts itself in STARTED, takes the lock with lock(), counts GOT (and notifies
 * it) holding the lock, then releases it. Posts { got: true }.
 */
export const BLOCKING_LOCKER = inlineWorker(
  `
const lock = vblk.openLock(workerData.handle);
const words = workerData.words;
Atomics.add(words, ${STARTED}, 1);
lock.lock();
Atomics.add(words, ${GOT}, 1);
Atomics.notify(words, ${GOT});
lock.unlock();
parentPort.postMessage({ got: true });
`,
  'blocking locker',
);

/** A lock of `kind` held by a worker (HOLDER); `letGo()` makes the worker release it. */
export async function lockHeldByWorker(kind: LockKindName, options?: WorkerOptions) {
  const lock = createLock(kind);
  const words = new Int32Array(new SharedArrayBuffer(64 * 4));
  const holder = startWorker<{ released: boolean }>(HOLDER, { handle: lock.handle, words }, options);
  await eventually(() => Atomics.load(words, HELD) === 1, 'the worker to hold the lock');
  const letGo = (): void => {
    Atomics.store(words, LET_GO, 1);
    Atomics.notify(words, LET_GO);
  };
  return { lock, words, holder, letGo };
}
