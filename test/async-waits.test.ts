/**
 * The waits that do not block the event loop: lockAsync on every lock kind, waitUntilAsync on a
 * Doorbell for a ring's data or space, Doorbell.parkAsync; and scoped locking (withLock,
 * withLockAsync, hold). They resolve on notify, on timeout and on poison; async and blocking
 * waiters mix on one primitive; counts stay exact; and the main thread's timers keep firing
 * while a wait is pending; async parks are counted in the thread's wait account only while its
 * accounting is on.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { afterEach, describe, expect, it } from 'vitest';

import {
  createLock,
  Doorbell,
  hasWaitAsync,
  LockHold,
  LockOwnershipError,
  LOCK_KINDS,
  LockPoisonedError,
  Ring,
  waitUntilAsync,
  type LockKindName,
} from '../dist/src/index.js';
import { waitAsync } from '../dist/src/sync/park.js';
import {
  isThreadWaitAccountingOn,
  setThreadWaitAccounting,
  threadWaitFigures,
} from '../dist/src/sync/wait-account.js';
import { eventually, fixtureWorker, inlineWorker, startWorker, terminateAllWorkers } from './helpers/workers.js';
import { BLOCKING_LOCKER, lockHeldByWorker } from './helpers/held-lock.js';

const KINDS: readonly LockKindName[] = LOCK_KINDS;
/** vitest timeout of every test that starts workers (the helper terminates them sooner). */
const WORKER_TEST_MS = 30_000;

afterEach(terminateAllWorkers);

/** Counts the ticks of a 1 ms interval timer while `promise` is pending. */
async function ticksWhilePending<T>(promise: Promise<T>, atLeast: number): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    await eventually(() => ticks >= atLeast, `${atLeast} timer ticks while the wait is pending`);
    return { value: await promise, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('this engine', () => {
  it('has Atomics.waitAsync, which every async wait needs', () => {
    expect(hasWaitAsync()).toBe(true);
  });
});

describe.each(KINDS)('%s lock: lockAsync', (kind) => {
  it('resolves to true at once on a free lock, and counts the acquisition', async () => {
    const lock = createLock(kind);
    await expect(lock.lockAsync()).resolves.toBe(true);
    expect(lock.holder()).toBe(0); // the main thread
    lock.unlock();
    expect(lock.stats()).toMatchObject({ acquisitions: 1, contentions: 0 });
  });

  it(
    'resolves when a worker releases the lock, while the event loop keeps running',
    async () => {
      const { lock, letGo, holder } = await lockHeldByWorker(kind);
      const got = lock.lockAsync();
      // The timer fires while the wait is pending: the event loop is not blocked.
      let pending = true;
      void got.finally(() => (pending = false));
      const { ticks } = await ticksWhilePending(Promise.resolve(), 5);
      expect(ticks).toBeGreaterThanOrEqual(5);
      expect(pending).toBe(true);
      letGo();
      await expect(got).resolves.toBe(true);
      expect(lock.holder()).toBe(0);
      lock.unlock();
      await holder.result;
      const stats = lock.stats();
      expect(stats.acquisitions).toBe(2);
      expect(stats.contentions).toBe(1);
    },
    WORKER_TEST_MS,
  );

  it(
    'resolves to false on timeout, counting it, and leaves the lock to its holder',
    async () => {
      const { lock, letGo, holder } = await lockHeldByWorker(kind);
      await expect(lock.lockAsync(30)).resolves.toBe(false);
      expect(lock.stats().timeouts).toBe(1);
      expect(lock.holder()).toBe(holder.threadId);
      letGo();
      await holder.result;
      await expect(lock.lockAsync(5_000)).resolves.toBe(true);
      lock.unlock();
    },
    WORKER_TEST_MS,
  );

  it(
    'rejects with LockPoisonedError when the lock is poisoned while it waits',
    async () => {
      const { lock, letGo, holder } = await lockHeldByWorker(kind);
      const got = lock.lockAsync();
      got.catch(() => {}); // asserted below
      await new Promise((resolve) => setTimeout(resolve, 20));
      lock.poison();
      await expect(got).rejects.toThrow(LockPoisonedError);
      letGo();
      await holder.result;
    },
    WORKER_TEST_MS,
  );

  it('rejects a negative timeout with RangeError', async () => {
    const lock = createLock(kind);
    await expect(lock.lockAsync(-1)).rejects.toThrow(RangeError);
  });

  it(
    'mixes async and blocking waiters: each gets the lock once, and the count is exact',
    async () => {
      const { lock, words, letGo, holder } = await lockHeldByWorker(kind);
      const blocking = [0, 1, 2].map(() =>
        startWorker<{ got: boolean }>(BLOCKING_LOCKER, { handle: lock.handle, words }),
      );
      await eventually(() => Atomics.load(words, 32) === blocking.length, 'the blocking lockers to start');
      // Three async lockers on the main thread, each incrementing the same plain counter.
      const asyncLockers = [0, 1, 2].map(() =>
        lock.withLockAsync(async () => {
          const before = words[48]!;
          await new Promise((resolve) => setTimeout(resolve, 1)); // hold it across a turn of the event loop
          words[48] = before + 1;
        }),
      );
      letGo();
      await Promise.all([...asyncLockers, ...blocking.map((w) => w.result), holder.result]);
      expect(words[48]).toBe(6);
      expect(lock.stats().acquisitions).toBe(7);
      expect(lock.holder()).toBe(-1);
    },
    WORKER_TEST_MS,
  );
});

describe.each(KINDS)(
  '%s lock: exact counts with async lockers on the main thread and blocking ones in workers',
  (kind) => {
    it(
      'keeps a plain counter exact',
      async () => {
        const lock = createLock(kind);
        const words = new Int32Array(new SharedArrayBuffer(64 * 4));
        const workers = 3;
        const perWorker = 2000;
        const asyncTasks = 4;
        const perTask = 300;
        // lock-counter.mjs's start barrier counts the workers only; the main thread joins as it can.
        const counters = Array.from({ length: workers }, () =>
          startWorker(fixtureWorker('lock-counter.mjs'), {
            handle: lock.handle,
            open: 'handle',
            words,
            workers,
            iterations: perWorker,
            tryEvery: 0,
          }),
        );
        const tasks = Array.from({ length: asyncTasks }, async () => {
          for (let i = 0; i < perTask; i++) {
            await lock.withLockAsync(() => {
              words[0] = words[0]! + 1;
            });
          }
        });
        await Promise.all([...tasks, ...counters.map((w) => w.result)]);
        expect(words[0]).toBe(workers * perWorker + asyncTasks * perTask);
        expect(lock.stats().acquisitions).toBe(workers * perWorker + asyncTasks * perTask);
      },
      WORKER_TEST_MS,
    );
  },
);

describe.each(KINDS)('%s lock: scoped locking', (kind) => {
  it('withLock returns what its function returns, and releases the lock when it throws', () => {
    const lock = createLock(kind);
    expect(lock.withLock(() => 42)).toBe(42);
    expect(lock.holder()).toBe(-1);
    expect(() =>
      lock.withLock(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(lock.holder()).toBe(-1);
    // Not re-entrant, as lock() is: a nested withLock in the same thread is refused, and the outer one still releases.
    expect(() => lock.withLock(() => lock.withLock(() => 0))).toThrow(LockOwnershipError);
    expect(lock.holder()).toBe(-1);
    expect(lock.stats().acquisitions).toBe(3);
  });

  it('withLockAsync releases the lock when its function rejects', async () => {
    const lock = createLock(kind);
    await expect(lock.withLockAsync(async () => 'value')).resolves.toBe('value');
    await expect(
      lock.withLockAsync(async () => {
        throw new Error('inside');
      }),
    ).rejects.toThrow('inside');
    expect(lock.holder()).toBe(-1);
  });

  it('withLockAsync serialises the tasks of one thread, even across awaits', async () => {
    const lock = createLock(kind);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        lock.withLockAsync(async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(lock.holder()).toBe(-1);
  });

  it('hold() and holdAsync() give a LockHold that releases once, also through Symbol.dispose', async () => {
    const lock = createLock(kind);
    const held = lock.hold();
    expect(held).toBeInstanceOf(LockHold);
    expect(held.isHeld).toBe(true);
    expect(lock.holder()).toBe(0);
    held.release();
    held.release(); // a second release does nothing (it would otherwise throw LockOwnershipError)
    expect(lock.holder()).toBe(-1);
    const dispose = (Symbol as { dispose?: symbol }).dispose;
    if (dispose !== undefined) {
      const viaAsync = await lock.holdAsync();
      expect(lock.holder()).toBe(0);
      (viaAsync as unknown as Record<symbol, () => void>)[dispose]!();
      expect(viaAsync.isHeld).toBe(false);
      expect(lock.holder()).toBe(-1);
    }
  });
});

/**
 * Pushes `count` numbered items into the ring of `workerData.handle` after `workerData.delayMs`,
 * ringing the consumer's bell (`workerData.dataBell`) after each push; while the ring is full it
 * waits on its own bell (`workerData.spaceBell`), which the consumer rings after popping.
 */
const LATE_PRODUCER = inlineWorker(
  `
const ring = vblk.Ring.from(workerData.handle);
const dataBell = vblk.Doorbell.from(workerData.dataBell);
const spaceBell = vblk.Doorbell.from(workerData.spaceBell);
const window = new vblk.PollWindow(vblk.DEFAULT_POLL_MAX_NS);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.delayMs);
for (let i = 0; i < workerData.count; i++) {
  while (!ring.push(Int32Array.of(i, i))) vblk.waitUntil(() => !ring.isFull(), spaceBell, window, Infinity);
  dataBell.ring();
}
parentPort.postMessage({ pushed: workerData.count });
`,
  'late producer',
);

/**
 * Pops `count` items from the ring of `workerData.handle` after `workerData.delayMs`, ringing the
 * producer's bell (`workerData.spaceBell`) after each pop; while the ring is empty it waits on its
 * own bell (`workerData.dataBell`).
 */
const LATE_CONSUMER = inlineWorker(
  `
const ring = vblk.Ring.from(workerData.handle);
const dataBell = vblk.Doorbell.from(workerData.dataBell);
const spaceBell = vblk.Doorbell.from(workerData.spaceBell);
const window = new vblk.PollWindow(vblk.DEFAULT_POLL_MAX_NS);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.delayMs);
const out = new Int32Array(2);
for (let i = 0; i < workerData.count; i++) {
  while (!ring.pop(out)) vblk.waitUntil(() => !ring.isEmpty(), dataBell, window, Infinity);
  spaceBell.ring();
}
parentPort.postMessage({ popped: workerData.count });
`,
  'late consumer',
);

/** A ring, the bell its consumer owns (producers ring it after pushing) and the one its producer owns. */
function ringWithBells(capacity: number, slotWords: number) {
  const ring = new Ring({ capacity, slotWords });
  const dataBell = new Doorbell();
  const spaceBell = new Doorbell();
  const handles = { handle: ring.handle, dataBell: dataBell.handle, spaceBell: spaceBell.handle };
  return { ring, dataBell, spaceBell, handles };
}

describe('a ring’s data and space: waitUntilAsync on a Doorbell', () => {
  it(
    'resolves when a worker pushes and rings the consumer’s bell, while timers keep firing',
    async () => {
      const { ring, dataBell, handles } = ringWithBells(8, 2);
      const producer = startWorker(LATE_PRODUCER, { ...handles, delayMs: 50, count: 3 });
      const { value, ticks } = await ticksWhilePending(waitUntilAsync(() => ring.size() >= 3, dataBell, 10_000), 5);
      expect(value).toBe(true);
      expect(ticks).toBeGreaterThanOrEqual(5);
      expect(ring.size()).toBe(3);
      await producer.result;
      expect(dataBell.wakeups()).toBeGreaterThanOrEqual(1); // the main thread slept, and a push woke it
    },
    WORKER_TEST_MS,
  );

  it(
    'resolves when a worker pops from a full ring and rings the producer’s bell',
    async () => {
      const { ring, spaceBell, handles } = ringWithBells(2, 2);
      expect(ring.push(Int32Array.of(1, 1)) && ring.push(Int32Array.of(2, 2))).toBe(true);
      expect(ring.isFull()).toBe(true);
      const consumer = startWorker(LATE_CONSUMER, { ...handles, delayMs: 50, count: 1 });
      await expect(waitUntilAsync(() => !ring.isFull(), spaceBell, 10_000)).resolves.toBe(true);
      expect(ring.size()).toBe(1);
      await consumer.result;
    },
    WORKER_TEST_MS,
  );

  it(
    'delivers every item both ways with blocking waits in the worker and async ones here',
    async () => {
      const count = 2000;
      const { ring, dataBell, spaceBell, handles } = ringWithBells(4, 2);
      const producer = startWorker(LATE_PRODUCER, { ...handles, delayMs: 0, count });
      const out = new Int32Array(2);
      for (let i = 0; i < count; i++) {
        while (!ring.pop(out)) expect(await waitUntilAsync(() => !ring.isEmpty(), dataBell, 10_000)).toBe(true);
        spaceBell.ring();
        expect([...out]).toEqual([i, i]);
      }
      await producer.result;
      expect(ring.isEmpty()).toBe(true);
    },
    WORKER_TEST_MS,
  );

  it('resolves to false on timeout, and to true at once when the condition already holds', async () => {
    const { ring, dataBell, spaceBell } = ringWithBells(2, 1);
    await expect(waitUntilAsync(() => !ring.isEmpty(), dataBell, 20)).resolves.toBe(false);
    await expect(waitUntilAsync(() => !ring.isFull(), spaceBell, 20)).resolves.toBe(true);
    ring.push([7]);
    await expect(waitUntilAsync(() => !ring.isEmpty(), dataBell, 0)).resolves.toBe(true);
    await expect(waitUntilAsync(() => ring.size() >= 2, dataBell, 20)).resolves.toBe(false);
    expect(dataBell.hasSleepers()).toBe(false);
    expect(dataBell.wakeups()).toBe(0); // nobody rang
  });
});

describe('Doorbell: parkAsync', () => {
  it('counts as a sleeper while pending, so that ring() notifies it; ring() with nobody asleep does not', async () => {
    const bell = new Doorbell();
    expect(bell.ring()).toBe(false);
    let work = false;
    const parked = bell.parkAsync(() => work, 10_000);
    expect(bell.hasSleepers()).toBe(true);
    work = true;
    expect(bell.ring()).toBe(true);
    await expect(parked).resolves.toBe('woken');
    expect(bell.hasSleepers()).toBe(false);
    await expect(bell.parkAsync(() => true, 10_000)).resolves.toBe('ready');
    await expect(bell.parkAsync(() => false, 10)).resolves.toBe('timed-out');
    expect(bell.hasSleepers()).toBe(false);
    expect(bell.wakeups()).toBe(1);
  });
});

describe('the wait account of async parks', () => {
  it('counts Atomics.waitAsync parks and wake-ups only while the thread’s wait accounting is on', async () => {
    const words = new Int32Array(new SharedArrayBuffer(16));
    /** One park that a notify ends ('ok'), one on a word that has changed, and one that times out. */
    const threeParks = async (): Promise<void> => {
      const notified = waitAsync('test', words, 0, 0, 10_000);
      expect(Atomics.notify(words, 0)).toBe(1);
      await expect(notified).resolves.toBe('ok');
      await expect(waitAsync('test', words, 1, 7, 10_000)).resolves.toBe('not-equal');
      await expect(waitAsync('test', words, 2, 0, 1)).resolves.toBe('timed-out');
    };
    expect(isThreadWaitAccountingOn()).toBe(false); // off by default
    const untouched = threadWaitFigures();
    await threeParks();
    expect(threadWaitFigures()).toEqual(untouched);
    setThreadWaitAccounting(true);
    const before = threadWaitFigures();
    try {
      expect(isThreadWaitAccountingOn()).toBe(true);
      await threeParks();
    } finally {
      setThreadWaitAccounting(false);
    }
    const after = threadWaitFigures();
    expect(after.parks - before.parks).toBe(3);
    expect(after.wakeups - before.wakeups).toBe(1);
  });
});
