/**
 * Eventual fairness of MutexLock and AdaptiveLock (option `eventualFairness`, futex-lock.ts):
 * mutual exclusion with it on, across workers and with async waiters; the handoff to a waiter
 * that has waited past the threshold, before any newcomer; timed, poisoned, aborted and dead
 * heirs; the option as every view sees it; and the refusal of bad values.
 *
 * The handoff tests are deterministic: the threshold is 0 (a waiter claims the heir word at its
 * first failed look at the lock) and the test waits until the heir word names the waiter (read
 * from the lock's header, FAIR_HEIR in lock-base.ts) before it releases. No test asserts on speed.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first.
 */
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';

import {
  AdaptiveLock,
  createLock,
  openLock,
  LockPoisonedError,
  MutexLock,
  type Lock,
} from '../dist/src/index.js';
import { FAIR_HEIR, MAGIC } from '../dist/src/sync/lock-base.js';
import {
  eventually,
  fixtureWorker,
  inlineWorker,
  runWorkers,
  startWorker,
  terminateAllWorkers,
} from './helpers/workers.js';

const KINDS = ['mutex', 'adaptive'] as const;
type FairKind = (typeof KINDS)[number];
const CLASSES = { mutex: MutexLock, adaptive: AdaptiveLock } as const;
const WORKER_TEST_MS = 30_000;
const COUNTER_WORKERS = 8;
const TOTAL_INCREMENTS = 80_000;
/** The one error every bad eventualFairness gets. */
const BAD_FAIRNESS = new RegExp(
  ': eventualFairness must be true, false or \\{ afterMs \\} with afterMs a number of milliseconds ' +
    'from 0 to 1000000, got ',
);
/** The holder word value of this thread (thread-id.ts HOLDER_ID). */
const CURRENT_HOLDER_ID = threadId + 1;

const COUNTER_WORKER = fixtureWorker('lock-counter.mjs');

/**
 * Increments words[0] under the lock, non-atomically, `iterations` times with lockAsync() (every
 * other time through withLockAsync), after a start barrier on words[16] shared with the other
 * workers of the test. Posts the number of increments.
 */
const ASYNC_COUNTER_WORKER = inlineWorker(
  `
const { handle, words, workers, iterations } = workerData;
const lock = vblk.openLock(handle);
Atomics.add(words, 16, 1);
for (let ready; (ready = Atomics.load(words, 16)) < workers;) Atomics.wait(words, 16, ready, 10);
let done = 0;
for (let i = 0; i < iterations; i++) {
  if (i % 2 === 0) {
    await lock.lockAsync();
    words[0] = words[0] + 1;
    lock.unlock();
  } else {
    await lock.withLockAsync(() => { words[0] = words[0] + 1; });
  }
  done++;
}
parentPort.postMessage(done);
`,
  'async counter worker',
);

/**
 * One waiter for the handoff tests, on the lock of workerData.handle:
 *   mode 'lock'       lock(workerData.timeoutMs); on success appends its thread id to the order
 *                     log (words[32] the count, words[33..] the ids), holds the lock until
 *                     words[50] is set, unlocks
 *   mode 'async'      the same with lockAsync()
 *   mode 'poisoned'   lock(), expecting LockPoisonedError
 *   mode 'stall'      lockAsync(), then busies its thread for ever (so that a lock handed to it
 *                     is never taken), after posting 'parked'
 * Posts { got, poisonError? }.
 */
const WAITER_WORKER = inlineWorker(
  `
const { handle, words, mode, timeoutMs } = workerData;
const lock = vblk.openLock(handle);
function log() {
  const n = words[32];
  words[33 + n] = threadId;
  words[32] = n + 1;
}
if (mode === 'lock' || mode === 'async') {
  const got = mode === 'lock' ? lock.lock(timeoutMs) : await lock.lockAsync(timeoutMs);
  if (got) {
    log();
    // Holds the lock until the test says (words[50]), so that the test sees it held by this thread.
    for (let t = 0; t < 2000 && Atomics.load(words, 50) === 0; t++) Atomics.wait(words, 50, 0, 10);
    lock.unlock();
  }
  parentPort.postMessage({ got });
} else if (mode === 'poisoned') {
  try {
    lock.lock();
    parentPort.postMessage({ got: true });
  } catch (error) {
    parentPort.postMessage({ got: false, poisonError: error instanceof vblk.LockPoisonedError });
  }
} else if (mode === 'stall') {
  void lock.lockAsync();
  parentPort.postMessage('parked');
  for (;;);
}
`,
  'fair waiter worker',
);

/**
 * A newcomer that tries to barge: tryLock() in a loop until words[48] is set; each success
 * appends its thread id to the order log. Posts its successes.
 */
const BARGER_WORKER = inlineWorker(
  `
const { handle, words } = workerData;
const lock = vblk.openLock(handle);
Atomics.store(words, 49, 1);
let wins = 0;
while (Atomics.load(words, 48) === 0) {
  if (lock.tryLock()) {
    const n = words[32];
    words[33 + n] = threadId;
    words[32] = n + 1;
    wins++;
    lock.unlock();
  }
}
parentPort.postMessage(wins);
`,
  'barger worker',
);

/** The heir word of `lock`: the holder id (thread id + 1) of its heir, minus that when handed, 0 for none. */
function heirWord(lock: Lock): number {
  return Atomics.load(new Int32Array(lock.handle.buffer, lock.handle.byteOffset, 16), FAIR_HEIR);
}

/** Shared words for the order log and the barger's flags. */
function logWords(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * 128));
}

/** The thread ids in the order log. */
function order(words: Int32Array): number[] {
  return Array.from(words.subarray(33, 33 + words[32]!));
}

afterEach(terminateAllWorkers);

describe.each(KINDS)('%s lock with eventual fairness', (kind: FairKind) => {
  it.each([{ afterMs: 0 }, true] as const)(
    'keeps a plain counter exact with 8 workers, blocking and async (eventualFairness %j)',
    async (fairness) => {
      const buffer = new SharedArrayBuffer(128 + CLASSES[kind].BYTES);
      const words = new Int32Array(buffer, 0, 32);
      const lock = createLock(kind, { buffer, byteOffset: 128, eventualFairness: fairness });
      const asyncWorkers = 2;
      const blockingWorkers = COUNTER_WORKERS - asyncWorkers;
      const iterations = TOTAL_INCREMENTS / COUNTER_WORKERS;
      const blocking = runWorkers<{ lockCalls: number; tryLockWins: number }>(
        COUNTER_WORKER,
        Array.from({ length: blockingWorkers }, (_, i) => ({
          handle: lock.handle,
          open: i % 2 === 0 ? 'from' : 'handle',
          words,
          workers: COUNTER_WORKERS,
          iterations,
          tryEvery: 5,
        })),
        { timeoutMs: WORKER_TEST_MS - 5_000 },
      );
      const asyncDone = runWorkers<number>(
        ASYNC_COUNTER_WORKER,
        Array.from({ length: asyncWorkers }, () => ({
          handle: lock.handle,
          words,
          workers: COUNTER_WORKERS,
          iterations,
        })),
        { timeoutMs: WORKER_TEST_MS - 5_000 },
      );
      const [results, asyncResults] = await Promise.all([blocking, asyncDone]);
      const total = COUNTER_WORKERS * iterations;
      expect(words[0]).toBe(total);
      const successful =
        results.reduce((sum, r) => sum + r.lockCalls + r.tryLockWins, 0) + asyncResults.reduce((a, b) => a + b, 0);
      expect(successful).toBe(total);
      const stats = lock.stats();
      expect(stats.acquisitions).toBe(total);
      expect(stats.timeouts).toBe(0);
      expect(lock.holder()).toBe(-1);
      expect(heirWord(lock)).toBe(0);
    },
    WORKER_TEST_MS,
  );

  it.each(['lock', 'async'] as const)(
    'hands the lock to a waiter past the threshold (%s) before a newcomer can barge',
    async (mode) => {
      const lock = createLock(kind, { eventualFairness: { afterMs: 0 } });
      const words = logWords();
      lock.lock();
      const barger = startWorker<number>(BARGER_WORKER, { handle: lock.handle, words });
      await eventually(() => Atomics.load(words, 49) === 1, 'the barger to start');
      const waiter = startWorker<{ got: boolean }>(WAITER_WORKER, { handle: lock.handle, words, mode });
      await eventually(() => heirWord(lock) === waiter.threadId + 1, 'the waiter to claim the heir word');

      lock.unlock();
      // Handed over: held (by the heir, whether or not it has run yet), so no newcomer gets in.
      expect(lock.holder()).toBe(waiter.threadId);
      expect(lock.tryLock()).toBe(false);
      await eventually(() => lock.holder() === waiter.threadId && words[32] === 1, 'the heir to take the lock');
      expect(lock.tryLock()).toBe(false);
      Atomics.store(words, 50, 1);

      expect(await waiter.result).toEqual({ got: true });
      Atomics.store(words, 48, 1);
      await barger.result;
      expect(order(words)[0]).toBe(waiter.threadId);
      expect(heirWord(lock)).toBe(0);
      const stats = lock.stats();
      expect(stats.acquisitions).toBe(1 + words[32]!);
      expect(stats.contentions).toBeGreaterThanOrEqual(1);
      expect(lock.holder()).toBe(-1);
    },
    WORKER_TEST_MS,
  );

  it(
    'lets a timed heir time out and withdraw, so the next release frees the lock',
    async () => {
      const lock = createLock(kind, { eventualFairness: { afterMs: 0 } });
      const words = logWords();
      lock.lock();
      const data = { handle: lock.handle, words, mode: 'lock', timeoutMs: 30 };
      const waiter = startWorker<{ got: boolean }>(WAITER_WORKER, data);
      await eventually(() => heirWord(lock) === waiter.threadId + 1, 'the waiter to claim the heir word');
      expect(await waiter.result).toEqual({ got: false });
      expect(heirWord(lock)).toBe(0);
      lock.unlock();
      expect(lock.holder()).toBe(-1);
      expect(lock.tryLock()).toBe(true);
      lock.unlock();
      expect(lock.stats().timeouts).toBe(1);
    },
    WORKER_TEST_MS,
  );

  it(
    'wakes a poisoned heir with LockPoisonedError',
    async () => {
      const lock = createLock(kind, { eventualFairness: { afterMs: 0 } });
      lock.lock();
      const waiter = startWorker<{ got: boolean; poisonError: boolean }>(WAITER_WORKER, {
        handle: lock.handle,
        words: logWords(),
        mode: 'poisoned',
      });
      await eventually(() => heirWord(lock) === waiter.threadId + 1, 'the waiter to claim the heir word');
      lock.poison();
      expect(await waiter.result).toEqual({ got: false, poisonError: true });
      expect(heirWord(lock)).toBe(0);
      lock.unlock();
      expect(lock.holder()).toBe(-1);
    },
    WORKER_TEST_MS,
  );

  it('withdraws an aborted async heir (lockAsync with a signal)', async () => {
    const lock = createLock(kind, { eventualFairness: { afterMs: 0 } });
    const data = { handle: lock.handle, words: logWords(), mode: 'stall' };
    const holder = startWorker<{ got: boolean }>(WAITER_WORKER, data);
    await eventually(() => lock.holder() === holder.threadId, 'the worker to hold the lock');
    const controller = new AbortController();
    const wait = lock.lockAsync(undefined, { signal: controller.signal } as Parameters<Lock['lockAsync']>[1]);
    wait.catch(() => {});
    await eventually(() => heirWord(lock) === CURRENT_HOLDER_ID, 'this thread to claim the heir word');
    controller.abort(new Error('given up'));
    await expect(wait).rejects.toThrow('given up');
    expect(heirWord(lock)).toBe(0);
    await holder.terminate();
    expect(lock.recover(holder.threadId)).toEqual({ held: true, waits: 0 });
    expect(lock.tryLock()).toBe(true);
    lock.unlock();
  });

  it(
    'recover() withdraws the claim of an heir that died waiting',
    async () => {
      const lock = createLock(kind, { eventualFairness: { afterMs: 0 } });
      lock.lock();
      const data = { handle: lock.handle, words: logWords(), mode: 'lock' };
      const waiter = startWorker<{ got: boolean }>(WAITER_WORKER, data);
      await eventually(() => heirWord(lock) === waiter.threadId + 1, 'the waiter to claim the heir word');
      await waiter.terminate();
      expect(lock.recover(waiter.threadId)).toEqual({ held: false, waits: 1 });
      expect(heirWord(lock)).toBe(0);
      lock.unlock();
      expect(lock.holder()).toBe(-1);
      expect(lock.tryLock()).toBe(true);
      lock.unlock();
    },
    WORKER_TEST_MS,
  );

  it.each(['release', 'poison'] as const)(
    'recover() treats a lock handed to a thread that died before taking it as held by it (%s)',
    async (ifHeld) => {
      const lock = createLock(kind, { eventualFairness: { afterMs: 0 } });
      lock.lock();
      const waiter = startWorker<unknown>(WAITER_WORKER, { handle: lock.handle, words: logWords(), mode: 'stall' });
      await eventually(() => heirWord(lock) === waiter.threadId + 1, 'the stalled worker to claim the heir word');
      lock.unlock();
      expect(heirWord(lock)).toBe(-(waiter.threadId + 1));
      expect(lock.holder()).toBe(waiter.threadId);
      expect(lock.tryLock()).toBe(false);
      await waiter.terminate();
      expect(lock.recover(waiter.threadId, { ifHeld })).toEqual({ held: true, waits: 1 });
      expect(heirWord(lock)).toBe(0);
      if (ifHeld === 'release') {
        expect(lock.holder()).toBe(-1);
        expect(lock.tryLock()).toBe(true);
        lock.unlock();
      } else {
        expect(lock.isPoisoned()).toBe(true);
        expect(lock.holder()).toBe(waiter.threadId);
        expect(() => lock.lock(10)).toThrow(LockPoisonedError);
      }
      expect(lock.recover(waiter.threadId)).toEqual({ held: ifHeld === 'poison', waits: 0 });
    },
    WORKER_TEST_MS,
  );

  it('keeps the option in the header: every view agrees, in this thread and in a worker', async () => {
    const Class = CLASSES[kind];
    expect(new Class().eventualFairness).toBe(false);
    expect(new Class({ eventualFairness: false }).eventualFairness).toBe(false);
    expect(new Class({ eventualFairness: true }).eventualFairness).toEqual({ afterMs: 1 });
    expect(new Class({ eventualFairness: {} }).eventualFairness).toEqual({ afterMs: 1 });
    const lock = new Class({ eventualFairness: { afterMs: 0.25 } });
    expect(lock.eventualFairness).toEqual({ afterMs: 0.25 });
    expect(Class.from(lock.handle).eventualFairness).toEqual({ afterMs: 0.25 });
    const opened = openLock(lock.handle) as MutexLock | AdaptiveLock;
    expect(opened.eventualFairness).toEqual({ afterMs: 0.25 });
    expect((createLock(kind, { eventualFairness: true }) as MutexLock | AdaptiveLock).eventualFairness).toEqual({
      afterMs: 1,
    });
    const VIEW_WORKER = inlineWorker(
      `parentPort.postMessage(vblk.openLock(workerData.handle).eventualFairness);`,
      'fairness view worker',
    );
    const [seen] = await runWorkers<unknown>(VIEW_WORKER, [{ handle: lock.handle }]);
    expect(seen).toEqual({ afterMs: 0.25 });
  });

  it('refuses a bad eventualFairness with one RangeError, leaving the region untouched', () => {
    const Class = CLASSES[kind];
    const bad: unknown[] = ['yes', 1, 0, null, [], -1, { afterMs: -0.5 }, { afterMs: Number.NaN }, { afterMs: '1' }];
    bad.push({ afterMs: Infinity }, { afterMs: 1_000_001 }, { afterms: 1 }, { afterMs: 1, extra: true });
    for (const value of bad) {
      const buffer = new SharedArrayBuffer(Class.BYTES);
      const make = (): unknown => new Class({ buffer, eventualFairness: value as boolean });
      expect(make, JSON.stringify(value)).toThrow(RangeError);
      expect(make, JSON.stringify(value)).toThrow(BAD_FAIRNESS);
      expect(new Int32Array(buffer)[MAGIC]).toBe(0);
    }
    expect(new Class({ eventualFairness: { afterMs: 1_000_000 } }).eventualFairness).toEqual({ afterMs: 1_000_000 });
  });
});
