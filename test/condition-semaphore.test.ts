/**
 * Condition and Semaphore across real worker threads: no lost wake-up (producers and consumers
 * over a bounded queue), notifyAll, a semaphore that never lets more than its permits in, timeouts,
 * argument and ownership checks, and cancelled async waits that leave no waiter behind and whose
 * ghosts take no real waiter's wake-up.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { threadId } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { AdaptiveLock, LockOwnershipError } from '../dist/src/index.js';
import {
  resetThreadWaitFigures,
  setThreadWaitAccounting,
  threadWaitFigures,
} from '../dist/src/sync/wait-account.js';
import { Condition } from '../dist/src/sync/condition.js';
import { Semaphore } from '../dist/src/sync/semaphore.js';
import { eventually, inlineWorker, runWorkers, startWorker, terminateAllWorkers } from './helpers/workers.js';

/** vitest timeout of every test that starts workers (the helper terminates them sooner). */
const WORKER_TEST_MS = 30_000;
/** How long a worker of this file may run. */
const WORKER_MS = 15_000;

afterEach(terminateAllWorkers);
// The tests that count parks read this thread's wait account, which is off unless switched on.
beforeAll(() => setThreadWaitAccounting(true));
afterAll(() => setThreadWaitAccounting(false));

/** Imports of the two primitives for inline workers (their prelude imports only the package's index). */
const IMPORTS = [
  `import { Condition } from ${JSON.stringify(new URL('../dist/src/sync/condition.js', import.meta.url).href)};`,
  `import { Semaphore } from ${JSON.stringify(new URL('../dist/src/sync/semaphore.js', import.meta.url).href)};`,
].join('\n');

/** Start barrier of the workers: word `index` of `words` counts arrivals up to `count`. */
const BARRIER = `
function barrier(words, index, count) {
  Atomics.add(words, index, 1);
  for (let n; (n = Atomics.load(words, index)) < count;) Atomics.wait(words, index, n, 10);
}
`;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Words of the bounded queue shared by producers and consumers. */
const POPS = 0;
const PUSHES = 1;
const QUEUE_READY = 16;
const SLOTS = 32;
const QUEUE_CAPACITY = 8;

/**
 * A producer or a consumer of a bounded queue of QUEUE_CAPACITY slots, guarded by an AdaptiveLock,
 * with two conditions: notEmpty (consumers wait on it) and notFull (producers wait on it). Waits have
 * no timeout, so a lost wake-up leaves a worker stuck until the helper's timeout fails the test.
 * workerData: role, useAsync (waitAsync/lockAsync instead of wait/lock), lock, notEmpty, notFull, words,
 * seen (one word per item, each consumption adds 1), workers, total, and for a producer base and items.
 * Posts { count }: items pushed or popped.
 */
const QUEUE_WORKER = inlineWorker(
  `${IMPORTS}
${BARRIER}
const { role, useAsync, words, seen, total } = workerData;
const lock = vblk.AdaptiveLock.from(workerData.lock);
const notEmpty = Condition.from(workerData.notEmpty);
const notFull = Condition.from(workerData.notFull);
const take = async () => (useAsync ? lock.lockAsync() : lock.lock());
const wait = async (cond) => (useAsync ? cond.waitAsync(lock) : cond.wait(lock));
barrier(words, ${QUEUE_READY}, workerData.workers);
let count = 0;
if (role === 'producer') {
  for (let i = 0; i < workerData.items; i++) {
    await take();
    while (words[${PUSHES}] - words[${POPS}] === ${QUEUE_CAPACITY}) await wait(notFull);
    words[${SLOTS} + (words[${PUSHES}] % ${QUEUE_CAPACITY})] = workerData.base + i;
    words[${PUSHES}] = words[${PUSHES}] + 1;
    notEmpty.notify();
    lock.unlock();
    count++;
  }
} else {
  for (;;) {
    await take();
    while (words[${PUSHES}] === words[${POPS}] && words[${POPS}] < total) await wait(notEmpty);
    if (words[${POPS}] === total) {
      lock.unlock();
      break;
    }
    const item = words[${SLOTS} + (words[${POPS}] % ${QUEUE_CAPACITY})];
    words[${POPS}] = words[${POPS}] + 1;
    const last = words[${POPS}] === total;
    notFull.notify();
    lock.unlock();
    if (last) notEmpty.notifyAll(); // the other consumers wait for an item that will not come
    Atomics.add(seen, item, 1);
    count++;
  }
}
parentPort.postMessage({ count });
`,
  'queue worker',
);

/**
 * Takes the lock, waits on the condition (wait, or waitAsync when workerData.useAsync) for at most
 * workerData.timeoutMs, and posts { woke, holds }: what the wait returned, and whether the worker
 * held the lock after it. With workerData.done (an Int32Array), it first sets done[0] to 1 and notifies.
 */
const CONDITION_WAITER = inlineWorker(
  `${IMPORTS}
const lock = vblk.AdaptiveLock.from(workerData.lock);
const cond = Condition.from(workerData.cond);
lock.lock();
const woke = workerData.useAsync
  ? await cond.waitAsync(lock, { timeoutMs: workerData.timeoutMs })
  : cond.wait(lock, workerData.timeoutMs);
const holds = lock.holder() === threadId;
lock.unlock();
if (workerData.done !== undefined) {
  Atomics.store(workerData.done, 0, 1);
  Atomics.notify(workerData.done, 0);
}
parentPort.postMessage({ woke, holds });
`,
  'condition waiter',
);

/** Words of the semaphore test. */
const HOLDERS = 0;
const MAX_HOLDERS = 16;
const OVER = 32;
const SEM_READY = 48;

/**
 * Acquires workerData.n permits (acquire or acquireAsync), adds them to the shared HOLDERS count,
 * records the largest count seen in MAX_HOLDERS (compare-and-swap) and every count above
 * workerData.permits in OVER, holds a moment, takes them off again and releases; iterations times.
 * Posts { done }.
 */
const SEMAPHORE_WORKER = inlineWorker(
  `${IMPORTS}
${BARRIER}
const { words, n, permits, iterations, useAsync } = workerData;
const sem = Semaphore.from(workerData.sem);
barrier(words, ${SEM_READY}, workerData.workers);
for (let i = 0; i < iterations; i++) {
  const got = useAsync ? await sem.acquireAsync(n) : sem.acquire(n);
  if (!got) throw new Error('an untimed acquire returned false');
  const now = Atomics.add(words, ${HOLDERS}, n) + n;
  for (let max = Atomics.load(words, ${MAX_HOLDERS}); now > max; max = Atomics.load(words, ${MAX_HOLDERS})) {
    if (Atomics.compareExchange(words, ${MAX_HOLDERS}, max, now) === max) break;
  }
  if (now > permits) Atomics.add(words, ${OVER}, 1);
  for (let k = 0; k < 20; k++) Atomics.load(words, ${HOLDERS});
  Atomics.sub(words, ${HOLDERS}, n);
  sem.release(n);
}
parentPort.postMessage({ done: iterations });
`,
  'semaphore worker',
);

/** acquire(1, workerData.timeoutMs) on the semaphore, then sets workerData.done[0] to 1 and notifies; posts { got }. */
const SEMAPHORE_WAITER = inlineWorker(
  `${IMPORTS}
const sem = Semaphore.from(workerData.sem);
const got = sem.acquire(1, workerData.timeoutMs);
Atomics.store(workerData.done, 0, 1);
Atomics.notify(workerData.done, 0);
parentPort.postMessage({ got });
`,
  'semaphore waiter',
);

describe('Condition', () => {
  it(
    'loses no wake-up: 4 producers x 5,000 items, 4 consumers, every item consumed exactly once',
    async () => {
      const PRODUCERS = 4;
      const CONSUMERS = 4;
      const ITEMS = 5000;
      const total = PRODUCERS * ITEMS;
      const lock = new AdaptiveLock();
      const notEmpty = new Condition();
      const notFull = new Condition();
      const words = new Int32Array(new SharedArrayBuffer((SLOTS + QUEUE_CAPACITY) * 4));
      const seen = new Int32Array(new SharedArrayBuffer(total * 4));
      const common = {
        lock: lock.handle,
        notEmpty: notEmpty.handle,
        notFull: notFull.handle,
        words,
        seen,
        total,
        workers: PRODUCERS + CONSUMERS,
      };
      // One producer and one consumer wait with waitAsync, so that blocking and async waiters mix.
      const data = [
        ...Array.from({ length: PRODUCERS }, (_, p) => ({
          ...common,
          role: 'producer',
          useAsync: p === 0,
          base: p * ITEMS,
          items: ITEMS,
        })),
        ...Array.from({ length: CONSUMERS }, (_, c) => ({ ...common, role: 'consumer', useAsync: c === 0 })),
      ];
      const results = await runWorkers<{ count: number }>(QUEUE_WORKER, data, { timeoutMs: WORKER_MS });

      expect(results.slice(0, PRODUCERS).map((r) => r.count)).toEqual(Array(PRODUCERS).fill(ITEMS));
      expect(results.slice(PRODUCERS).reduce((sum, r) => sum + r.count, 0)).toBe(total);
      expect(seen.every((times) => times === 1)).toBe(true);
      expect([words[PUSHES], words[POPS]]).toEqual([total, total]);
      expect([notEmpty.waiters(), notFull.waiters()]).toEqual([0, 0]);
      expect(lock.holder()).toBe(-1);
    },
    WORKER_TEST_MS,
  );

  it(
    'notifyAll wakes every waiter, blocking and async',
    async () => {
      const WAITERS = 4;
      const lock = new AdaptiveLock();
      const cond = new Condition();
      const running = Array.from({ length: WAITERS }, (_, i) =>
        startWorker<{ woke: boolean; holds: boolean }>(
          CONDITION_WAITER,
          { lock: lock.handle, cond: cond.handle, useAsync: i % 2 === 1, timeoutMs: 10_000 },
          { timeoutMs: WORKER_MS },
        ),
      );
      await eventually(() => cond.waiters() === WAITERS, 'every worker to wait');
      await sleep(20); // let the last one reach its park (one that has not is woken by SEQ anyway)
      expect(cond.notifyAll()).toBe(true);
      const results = await Promise.all(running.map((w) => w.result));
      expect(results).toEqual(Array(WAITERS).fill({ woke: true, holds: true }));
      expect(cond.waiters()).toBe(0);
      expect(cond.notifyAll()).toBe(false); // nobody waits: no Atomics.notify
    },
    WORKER_TEST_MS,
  );

  it('times out with false and holds the lock again; waitUntil; counts its parks', async () => {
    const lock = new AdaptiveLock();
    const cond = new Condition();
    lock.lock();
    resetThreadWaitFigures();
    expect(cond.wait(lock, 20)).toBe(false);
    expect(threadWaitFigures().parks).toBe(1);
    expect(lock.holder()).toBe(threadId);
    expect(await cond.waitAsync(lock, { timeoutMs: 20 })).toBe(false);
    expect(lock.holder()).toBe(threadId);
    expect(cond.waitUntil(lock, () => false, 20)).toBe(false);
    expect(cond.waitUntil(lock, () => true)).toBe(true);
    expect(await cond.waitUntilAsync(lock, () => false, { timeoutMs: 20 })).toBe(false);
    expect(lock.holder()).toBe(threadId);
    expect(cond.waiters()).toBe(0);
    expect(cond.notify()).toBe(false); // nobody waits
    lock.unlock();
  });

  it('refuses a wait by a thread that does not hold the lock, with LockOwnershipError', async () => {
    const lock = new AdaptiveLock();
    const cond = new Condition();
    expect(() => cond.wait(lock, 10)).toThrow(LockOwnershipError);
    expect(() => cond.wait(lock, 10)).toThrow(/Condition\.wait: the calling thread \d+ must hold the adaptive lock/);
    await expect(cond.waitAsync(lock)).rejects.toBeInstanceOf(LockOwnershipError);
    expect(() => cond.waitUntil(lock, () => true)).toThrow(LockOwnershipError);
    expect(cond.waiters()).toBe(0);
    expect(() => cond.notify(-1)).toThrow(RangeError);
    expect(() => cond.notify(1.5)).toThrow(RangeError);
  });

  it('opens the same condition through its handle, and refuses a handle of another kind', () => {
    const buffer = new SharedArrayBuffer(2 * Condition.BYTES);
    const cond = new Condition({ buffer, byteOffset: Condition.BYTES });
    const view = Condition.from(cond.handle);
    expect(view.handle).toEqual({ kind: 'condition', buffer, byteOffset: Condition.BYTES });
    expect(() => Condition.from({ ...cond.handle, kind: 'semaphore' } as never)).toThrow(TypeError);
    expect(() => Condition.from({ kind: 'condition', buffer, byteOffset: 0 })).toThrow(/does not hold/);
  });

  it('an already-aborted signal rejects at once, holding the lock, with nothing registered', async () => {
    const lock = new AdaptiveLock();
    const cond = new Condition();
    const reason = new Error('already aborted');
    lock.lock();
    await expect(cond.waitAsync(lock, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(lock.holder()).toBe(threadId);
    expect([cond.waiters(), cond.abandonedWaits()]).toEqual([0, 0]);
    lock.unlock();
  });

  it(
    'an aborted waitAsync rejects with the reason, leaves no waiter, and its ghost takes no wake-up',
    async () => {
      const lock = new AdaptiveLock();
      const cond = new Condition();
      const controller = new AbortController();
      const reason = new Error('stop waiting');
      lock.lock();
      const aborted = cond.waitAsync(lock, { signal: controller.signal });
      expect(cond.waiters()).toBe(1);
      expect(lock.holder()).toBe(-1); // released while it waits
      controller.abort(reason);
      expect([cond.waiters(), cond.abandonedWaits()]).toEqual([0, 1]);
      await expect(aborted).rejects.toBe(reason);
      expect(lock.holder()).toBe(threadId); // taken again before it rejected
      lock.unlock();

      // The ghost's Atomics.waitAsync is still first on the word's list; a notify of one must reach
      // the real waiter behind it. This thread blocks meanwhile, so that the ghost's own settling (which
      // passes a wake-up on) cannot run: only the notify itself can wake the worker.
      const done = new Int32Array(new SharedArrayBuffer(4));
      const waiter = startWorker<{ woke: boolean; holds: boolean }>(
        CONDITION_WAITER,
        { lock: lock.handle, cond: cond.handle, useAsync: false, timeoutMs: 5_000, done },
        { timeoutMs: WORKER_MS },
      );
      await eventually(() => cond.waiters() === 1, 'the worker to wait');
      await sleep(30); // let it reach Atomics.wait, behind the ghost
      expect(cond.notify()).toBe(true);
      expect(Atomics.wait(done, 0, 0, 3_000)).not.toBe('timed-out');
      expect(await waiter.result).toEqual({ woke: true, holds: true });
      await eventually(() => cond.abandonedWaits() === 0, 'the ghost to settle');
      expect(cond.waiters()).toBe(0);
    },
    WORKER_TEST_MS,
  );
});

describe('Semaphore', () => {
  it(
    'never lets more than its permits in (3 permits, 6 workers taking 1 or 2, blocking and async)',
    async () => {
      const PERMITS = 3;
      const takes = [1, 1, 2, 1, 2, 1];
      const sem = new Semaphore(PERMITS, { bounded: true });
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const data = takes.map((n, i) => ({
        sem: sem.handle,
        words,
        n,
        permits: PERMITS,
        iterations: 2000,
        useAsync: i % 3 === 2,
        workers: takes.length,
      }));
      await runWorkers(SEMAPHORE_WORKER, data, { timeoutMs: WORKER_MS });
      expect(Atomics.load(words, OVER)).toBe(0);
      const max = Atomics.load(words, MAX_HOLDERS);
      expect(max).toBeGreaterThanOrEqual(1);
      expect(max).toBeLessThanOrEqual(PERMITS);
      expect(Atomics.load(words, HOLDERS)).toBe(0);
      expect([sem.available(), sem.waiters()]).toEqual([PERMITS, 0]);
    },
    WORKER_TEST_MS,
  );

  it('times out with false; tryAcquire takes only what is there', async () => {
    const sem = new Semaphore(0);
    resetThreadWaitFigures();
    expect(sem.acquire(1, 20)).toBe(false);
    expect(threadWaitFigures().parks).toBeGreaterThanOrEqual(1);
    expect(await sem.acquireAsync(1, { timeoutMs: 20 })).toBe(false);
    expect(sem.acquire(1, 0)).toBe(false);
    expect(sem.waiters()).toBe(0);
    const two = new Semaphore(2);
    expect(two.tryAcquire(2)).toBe(true);
    expect(two.tryAcquire()).toBe(false);
    two.release(2);
    expect(two.tryAcquire(3)).toBe(false);
    expect(two.acquire()).toBe(true);
    expect(await two.acquireAsync(1)).toBe(true);
    expect(two.available()).toBe(0);
    two.release(5); // unbounded: any release is allowed, as in Java
    expect(two.available()).toBe(5);
  });

  it('refuses bad counts, and a bounded release beyond the initial permits', async () => {
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(/permits must be an integer/);
    expect(() => new Semaphore(2 ** 31)).toThrow(RangeError);
    expect(() => new Semaphore(0, { bounded: true })).toThrow(/a bounded semaphore needs at least one permit/);
    const sem = new Semaphore(2, { bounded: true });
    expect(() => sem.acquire(-1)).toThrow(RangeError);
    expect(() => sem.tryAcquire(0.5)).toThrow(RangeError);
    expect(() => sem.acquire(3)).toThrow(/can never be had/);
    await expect(sem.acquireAsync(-2)).rejects.toBeInstanceOf(RangeError);
    expect(() => sem.release(-1)).toThrow(RangeError);
    expect(() => sem.release()).toThrow(/above the bounded 2/);
    expect(sem.tryAcquire(2)).toBe(true);
    sem.release(2);
    expect(() => sem.release(1)).toThrow(RangeError);
    expect(sem.available()).toBe(2);
  });

  it('opens the same semaphore through its handle', () => {
    const buffer = new SharedArrayBuffer(Semaphore.BYTES);
    const sem = new Semaphore(4, { buffer, byteOffset: 0, bounded: true });
    const view = Semaphore.from(sem.handle);
    expect(view.tryAcquire(3)).toBe(true);
    expect(sem.available()).toBe(1);
    expect(() => view.release(4)).toThrow(RangeError); // bounded, seen through the view too
    view.release(3);
    expect(() => Semaphore.from({ ...sem.handle, kind: 'condition' } as never)).toThrow(TypeError);
  });

  it('an already-aborted signal rejects at once and takes no permit', async () => {
    const sem = new Semaphore(1);
    const reason = new Error('already aborted');
    await expect(sem.acquireAsync(1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect([sem.available(), sem.waiters(), sem.abandonedWaits()]).toEqual([1, 0, 0]);
  });

  it(
    'an aborted acquireAsync rejects with the reason, leaves no waiter, and its ghost takes no wake-up',
    async () => {
      const sem = new Semaphore(0);
      const controller = new AbortController();
      const reason = new Error('stop waiting');
      const aborted = sem.acquireAsync(1, { signal: controller.signal });
      expect(sem.waiters()).toBe(1);
      controller.abort(reason);
      expect([sem.waiters(), sem.abandonedWaits()]).toEqual([0, 1]);
      await expect(aborted).rejects.toBe(reason);

      const done = new Int32Array(new SharedArrayBuffer(4));
      const waiter = startWorker<{ got: boolean }>(
        SEMAPHORE_WAITER,
        { sem: sem.handle, timeoutMs: 5_000, done },
        { timeoutMs: WORKER_MS },
      );
      await eventually(() => sem.waiters() === 1, 'the worker to wait');
      await sleep(30); // let it reach Atomics.wait, behind the ghost
      sem.release();
      // Blocking: the ghost's settling cannot pass a wake-up on; only the release can wake the worker.
      expect(Atomics.wait(done, 0, 0, 3_000)).not.toBe('timed-out');
      expect(await waiter.result).toEqual({ got: true });
      expect(sem.available()).toBe(0);
      await eventually(() => sem.abandonedWaits() === 0, 'the ghost to settle');
      expect(sem.waiters()).toBe(0);
    },
    WORKER_TEST_MS,
  );
});

describe('an async waiter whose event loop is busy', () => {
  /**
   * Blocks on a Semaphore(0) until a permit comes, then sets words[0] = 1 and wakes it.
   * workerData: sem, words. Posts { got }.
   */
  const BLOCKING_ACQUIRER = inlineWorker(
    `${IMPORTS}
const sem = Semaphore.from(workerData.sem);
const words = workerData.words;
Atomics.store(words, 1, 1); // about to wait
const got = sem.acquire(1, 10_000);
Atomics.store(words, 0, got ? 1 : 2);
Atomics.notify(words, 0);
parentPort.postMessage({ got });
`,
    'blocking acquirer',
  );

  it(
    'takes no wake-up from a blocking waiter: release(1) reaches the worker while the main thread blocks',
    { timeout: WORKER_TEST_MS },
    async () => {
      const sem = new Semaphore(0);
      const words = new Int32Array(new SharedArrayBuffer(8));
      // The main thread's async waiter parks first: first on the word's list of waiters.
      const controller = new AbortController();
      const mine = sem.acquireAsync(1, { signal: controller.signal });
      mine.catch(() => {});
      const data = { sem: sem.handle, words };
      const worker = startWorker<{ got: boolean }>(BLOCKING_ACQUIRER, data, { timeoutMs: WORKER_MS });
      await eventually(() => Atomics.load(words, 1) === 1 && sem.waiters() === 2, 'both waiters counted');
      await sleep(50); // let the worker park behind it
      // One permit, then the main thread blocks (its event loop cannot run the async waiter): the
      // notify must reach the blocking worker, else both wait until the 5 s below.
      sem.release(1);
      const outcome = Atomics.wait(words, 0, 0, 5_000);
      expect(outcome).not.toBe('timed-out');
      expect(Atomics.load(words, 0)).toBe(1);
      expect(await worker.result).toEqual({ got: true });
      controller.abort(new Error('done'));
      await expect(mine).rejects.toThrow('done');
      expect(sem.waiters()).toBe(0);
    },
  );
});
