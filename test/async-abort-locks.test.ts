/**
 * Cancellation of the async waits that are not a primitive's own method with `{ timeoutMs, signal }`:
 * lockAsync (with withLockAsync and holdAsync) on every lock kind, Doorbell.parkAsync and
 * waitUntilAsync. An aborted wait rejects with the signal's reason and leaves no waiter registered:
 * the lock stays usable, the next unlock (or ring) reaches the next real waiter, the FIFO kinds keep
 * their order for the rest, an abort that races an unlock never leaves the lock owned twice or by
 * nobody, and no abort listener is left on the signal once a wait has settled.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';

import {
  createLock,
  Doorbell,
  LOCK_KINDS,
  LockHold,
  waitUntilAsync,
  type Lock,
  type LockKindName,
  type LockOptions,
} from '../dist/src/index.js';
import { eventually, fixtureWorker, inlineWorker, startWorker, terminateAllWorkers } from './helpers/workers.js';
import { BLOCKING_LOCKER, GOT, lockHeldByWorker, STARTED } from './helpers/held-lock.js';

const KINDS: readonly LockKindName[] = LOCK_KINDS;
/** The kinds that serve their untimed waiters in arrival order. */
const FIFO_KINDS: readonly LockKindName[] = ['ticket', 'mcs', 'pv'];
/** vitest timeout of every test that starts workers (the helper terminates them sooner). */
const WORKER_TEST_MS = 30_000;
/** How long a worker of these tests may run. */
const WORKER_MS = 15_000;

afterEach(terminateAllWorkers);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Abort listeners registered on `signal` now. */
function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

/** What a lockAsync came to: 'got' (it holds the lock now) or 'aborted' (it rejected with `reason`). */
function outcomeOf(wait: Promise<boolean>, reason: unknown): Promise<'got' | 'aborted'> {
  return wait.then(
    (got) => {
      if (!got) throw new Error('lockAsync without a timeout resolved to false');
      return 'got' as const;
    },
    (error: unknown) => {
      if (error !== reason) throw error;
      return 'aborted' as const;
    },
  );
}

/** The lock is free, nobody is handed it, and it can be taken and released at once. */
function expectFreeAndUsable(lock: Lock): void {
  expect(lock.holder()).toBe(-1);
  expect(lock.tryLock()).toBe(true);
  lock.unlock();
}

/**
 * Two workers count under the lock (lock-counter.mjs) while this thread takes it with lockAsync,
 * each wait aborted at once, after a microtask or after a timer: every wait must end either
 * holding the lock (counted) or rejected with its reason, so that the plain counter comes out
 * exact, the lock free, and no listener is left.
 */
async function raceAbortsWithWorkers(kind: LockKindName, options?: LockOptions): Promise<void> {
  const lock = createLock(kind, options);
  const words = new Int32Array(new SharedArrayBuffer(64 * 4));
  const workers = 2;
  const perWorker = 20_000;
  const counters = Array.from({ length: workers }, () =>
    startWorker(
      fixtureWorker('lock-counter.mjs'),
      { handle: lock.handle, open: 'handle', words, workers, iterations: perWorker, tryEvery: 0 },
      { timeoutMs: 25_000 },
    ),
  );
  // lock-counter.mjs's start barrier (word 16): race while the workers contend.
  await eventually(() => Atomics.load(words, 16) >= workers, 'the workers to start');
  let got = 0;
  let aborted = 0;
  const workersDone = Promise.all(counters.map((w) => w.result));
  let done = false;
  void workersDone.finally(() => (done = true));
  for (let i = 0; !done || i < 50; i++) {
    const controller = new AbortController();
    const reason = new Error(`abort ${i}`);
    const wait = outcomeOf(lock.lockAsync(undefined, { signal: controller.signal }), reason);
    // Abort at once, after a few turns of the microtask queue, or after a timer.
    if (i % 3 === 0) controller.abort(reason);
    else if (i % 3 === 1) void Promise.resolve().then(() => controller.abort(reason));
    else setTimeout(() => controller.abort(reason), i % 2);
    if ((await wait) === 'got') {
      expect(lock.holder()).toBe(0);
      words[0] = words[0]! + 1; // under the lock: a plain read-modify-write
      lock.unlock();
      got++;
    } else {
      aborted++;
    }
    expect(listeners(controller.signal)).toBe(0);
    // A turn of the event loop, so that the workers' exit (and `done`) can come.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await workersDone;
  expect(words[0]).toBe(workers * perWorker + got);
  expect(lock.stats().acquisitions).toBe(workers * perWorker + got);
  // How many aborts landed before the lock came depends on the schedule (none, on a loaded machine).
  expect(got + aborted).toBeGreaterThanOrEqual(50);
  expectFreeAndUsable(lock);
}

describe.each(KINDS)('%s lock: lockAsync with a signal', (kind) => {
  it('an already-aborted signal rejects at once, on a free lock too, and takes nothing', async () => {
    const lock = createLock(kind);
    const reason = new Error('already aborted');
    const signal = AbortSignal.abort(reason);
    await expect(lock.lockAsync(undefined, { signal })).rejects.toBe(reason);
    await expect(lock.lockAsync(50, { signal })).rejects.toBe(reason);
    let ran = false;
    await expect(lock.withLockAsync(() => (ran = true), { signal })).rejects.toBe(reason);
    await expect(lock.holdAsync({ signal })).rejects.toBe(reason);
    expect(ran).toBe(false);
    expect(lock.stats()).toMatchObject({ acquisitions: 0, timeouts: 0 });
    expectFreeAndUsable(lock);
    // A signal that is not an AbortSignal is refused.
    await expect(lock.lockAsync(undefined, { signal: {} as AbortSignal })).rejects.toThrow(TypeError);
    // A signal that never aborts changes nothing.
    const live = new AbortController().signal;
    await expect(lock.lockAsync(undefined, { signal: live })).resolves.toBe(true);
    lock.unlock();
    const held = await lock.holdAsync({ signal: live });
    expect(held).toBeInstanceOf(LockHold);
    held.release();
    expect(listeners(live)).toBe(0);
  });

  /**
   * A lock held by a worker, a lockAsync of this thread aborted while it waited for it (checked to
   * reject with the reason and to leave no listener), and a blocking locker parked behind.
   */
  async function abortedThenBlockingLocker() {
    const held = await lockHeldByWorker(kind, { timeoutMs: WORKER_MS });
    const { lock, words, holder } = held;
    const controller = new AbortController();
    const reason = new Error('no longer needed');
    const aborted = lock.lockAsync(undefined, { signal: controller.signal });
    await sleep(20); // parked (a SpinLock's waiter in several slices by now)
    expect(listeners(controller.signal)).toBe(1); // one listener however many parks
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    expect(lock.holder()).toBe(holder.threadId);
    const data = { handle: lock.handle, words };
    const blocking = startWorker<{ got: boolean }>(BLOCKING_LOCKER, data, { timeoutMs: WORKER_MS });
    await eventually(() => Atomics.load(words, STARTED) === 1, 'the blocking locker to start');
    await sleep(30); // let it park
    return { ...held, blocking };
  }

  it(
    'an aborted lockAsync rejects with the reason; the next unlock reaches the next real waiters',
    async () => {
      const { lock, letGo, holder, blocking } = await abortedThenBlockingLocker();
      // A real async waiter of this thread too, which takes the aborted waiter's node, ticket slot
      // or waiter-table entry again: the holder's unlock must reach both.
      const next = lock.lockAsync().then((got) => {
        lock.unlock();
        return got;
      });
      letGo();
      await expect(next).resolves.toBe(true);
      await expect(blocking.result).resolves.toEqual({ got: true });
      await holder.result;
      const stats = lock.stats();
      expect(stats.acquisitions).toBe(3);
      expect(stats.timeouts).toBe(0);
      expectFreeAndUsable(lock);
    },
    WORKER_TEST_MS,
  );

  it(
    'after an abort, an unlock wakes a blocking waiter while this thread blocks too (no ghost takes it)',
    async () => {
      const { lock, words, letGo, holder, blocking } = await abortedThenBlockingLocker();
      // This thread's event loop is stopped from here: only the holder's unlock can wake the worker.
      letGo();
      expect(Atomics.wait(words, GOT, 0, 5_000)).not.toBe('timed-out');
      await expect(blocking.result).resolves.toEqual({ got: true });
      await holder.result;
      expectFreeAndUsable(lock);
    },
    WORKER_TEST_MS,
  );

  it('an abort as the lock reaches the waiter (unlock, then abort) leaves it to the next waiter', async () => {
    const lock = createLock(kind);
    const order: number[] = [];
    for (const unlockFirst of [true, false]) {
      lock.lock();
      const controller = new AbortController();
      const reason = new Error('late');
      const first = outcomeOf(lock.lockAsync(undefined, { signal: controller.signal }), reason);
      const second = lock.lockAsync();
      if (unlockFirst) {
        lock.unlock(); // a FIFO kind hands the lock (or the headship) to `first` here
        controller.abort(reason);
      } else {
        controller.abort(reason);
        lock.unlock();
      }
      expect(await first).toBe('aborted');
      await expect(second).resolves.toBe(true);
      order.push(lock.holder());
      lock.unlock();
    }
    expect(order).toEqual([0, 0]);
    expectFreeAndUsable(lock);
  });

  it(
    'abort racing unlock: each wait ends owning the lock exactly once or not at all (with workers)',
    () => raceAbortsWithWorkers(kind),
    WORKER_TEST_MS,
  );

  it('abort racing unlock on one thread, in every order, many times: the lock is owned exactly once', async () => {
    const lock = createLock(kind);
    let acquisitions = 0;
    for (let i = 0; i < 300; i++) {
      lock.lock();
      acquisitions++;
      const controller = new AbortController();
      const reason = new Error(`abort ${i}`);
      const racer = outcomeOf(lock.lockAsync(undefined, { signal: controller.signal }), reason);
      const behind = i % 2 === 0 ? lock.lockAsync() : undefined;
      switch (i % 5) {
        case 0:
          lock.unlock();
          controller.abort(reason);
          break;
        case 1:
          controller.abort(reason);
          lock.unlock();
          break;
        case 2:
          lock.unlock();
          await Promise.resolve();
          controller.abort(reason);
          break;
        case 3:
          setTimeout(() => controller.abort(reason), 0);
          lock.unlock();
          break;
        default: {
          const unlocked = new Promise<void>((resolve) =>
            setTimeout(() => {
              lock.unlock();
              resolve();
            }, 0),
          );
          controller.abort(reason);
          await unlocked;
        }
      }
      if ((await racer) === 'got') {
        expect(lock.holder()).toBe(0);
        acquisitions++;
        lock.unlock();
      }
      if (behind !== undefined) {
        await expect(behind).resolves.toBe(true);
        expect(lock.holder()).toBe(0);
        acquisitions++;
        lock.unlock();
      }
      expect(lock.holder()).toBe(-1);
    }
    expect(lock.stats().acquisitions).toBe(acquisitions);
    expectFreeAndUsable(lock);
  });

  it('leaves no abort listener behind, over many waits on one signal', async () => {
    const lock = createLock(kind);
    const controller = new AbortController();
    const { signal } = controller;
    // Contended waits that acquire: two tasks of this thread take turns, each holding the lock across a timer.
    const task = async (): Promise<void> => {
      for (let i = 0; i < 60; i++) {
        await lock.withLockAsync(() => sleep(0), { signal });
        expect(listeners(signal)).toBeLessThanOrEqual(2);
      }
    };
    await Promise.all([task(), task()]);
    expect(listeners(signal)).toBe(0);
    // Waits that time out.
    lock.lock();
    for (let i = 0; i < 20; i++) await expect(lock.lockAsync(1, { signal })).resolves.toBe(false);
    lock.unlock();
    expect(listeners(signal)).toBe(0);
    // Waits aborted by signals of their own: their listeners go too (once).
    for (let i = 0; i < 20; i++) {
      lock.lock();
      const own = new AbortController();
      const wait = lock.lockAsync(undefined, { signal: own.signal });
      own.abort();
      await expect(wait).rejects.toBeDefined();
      expect(listeners(own.signal)).toBe(0);
      lock.unlock();
    }
    expect(lock.stats().acquisitions).toBe(120 + 1 + 20);
    expectFreeAndUsable(lock);
  });
});

describe.each(['mutex', 'adaptive'] as const)('%s lock with eventual fairness: lockAsync with a signal', (kind) => {
  it(
    'abort racing unlock (and handoff to a starving waiter): each wait ends owning the lock once or not at all',
    () => raceAbortsWithWorkers(kind, { eventualFairness: { afterMs: 0 } }),
    WORKER_TEST_MS,
  );
});

describe.each(FIFO_KINDS)('%s lock: an aborted waiter gives up its place', (kind) => {
  it(
    'the waiters behind it keep their order',
    async () => {
      const { lock, letGo, holder } = await lockHeldByWorker(kind, { timeoutMs: WORKER_MS });
      const order: number[] = [];
      const reason = new Error('left the queue');
      const controllers = Array.from({ length: 7 }, () => new AbortController());
      const waits = controllers.map((controller, i) =>
        lock.withLockAsync(
          async () => {
            order.push(i);
            // One more abort while the others take their turns: 6, queued last, leaves before its turn.
            if (i === 0) controllers[6]!.abort(reason);
            await sleep(1);
          },
          { signal: controller.signal },
        ),
      );
      await sleep(20);
      for (const i of [1, 3, 4]) controllers[i]!.abort(reason);
      for (const i of [1, 3, 4]) await expect(waits[i]).rejects.toBe(reason);
      letGo();
      await expect(waits[6]).rejects.toBe(reason);
      await Promise.all([0, 2, 5].map((i) => waits[i]));
      expect(order).toEqual([0, 2, 5]);
      await holder.result;
      expect(lock.stats().acquisitions).toBe(4);
      expectFreeAndUsable(lock);
    },
    WORKER_TEST_MS,
  );
});

/** Parks on the bell of `workerData.bell` until word 0 of `words` is 1 (blocking), then sets word 16. */
const BELL_WAITER = inlineWorker(
  `
const bell = vblk.Doorbell.from(workerData.bell);
const words = workerData.words;
Atomics.store(words, 32, 1);
const window = new vblk.PollWindow(vblk.DEFAULT_POLL_MAX_NS);
const ready = vblk.waitUntil(() => Atomics.load(words, 0) === 1, bell, window, 5000);
Atomics.store(words, 16, ready ? 1 : 2);
Atomics.notify(words, 16);
parentPort.postMessage({ ready });
`,
  'bell waiter',
);

describe('Doorbell.parkAsync and waitUntilAsync with a signal', () => {
  it('an already-aborted signal rejects at once, even when ready, and counts no sleeper', async () => {
    const bell = new Doorbell();
    const reason = new Error('already aborted');
    const signal = AbortSignal.abort(reason);
    await expect(bell.parkAsync(() => true, 1000, { signal })).rejects.toBe(reason);
    await expect(waitUntilAsync(() => true, bell, 1000, { signal })).rejects.toBe(reason);
    expect(bell.hasSleepers()).toBe(false);
    await expect(bell.parkAsync(() => false, 10, { signal: {} as AbortSignal })).rejects.toThrow(TypeError);
    await expect(waitUntilAsync(() => false, bell, 10, { signal: {} as AbortSignal })).rejects.toThrow(TypeError);
  });

  it('an aborted parkAsync rejects with the reason and leaves no sleeper: ring() then wakes nobody', async () => {
    const bell = new Doorbell();
    const controller = new AbortController();
    const reason = new Error('stop');
    const parked = bell.parkAsync(() => false, 10_000, { signal: controller.signal });
    expect(bell.hasSleepers()).toBe(true);
    controller.abort(reason);
    expect(bell.hasSleepers()).toBe(false); // given back in the abort itself
    await expect(parked).rejects.toBe(reason);
    expect(bell.ring()).toBe(false);
    expect(bell.wakeups()).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
    // The bell works as before.
    let work = false;
    const next = bell.parkAsync(() => work, 10_000);
    work = true;
    expect(bell.ring()).toBe(true);
    await expect(next).resolves.toBe('woken');
  });

  it('an aborted waitUntilAsync rejects with the reason and leaves no sleeper', async () => {
    const bell = new Doorbell();
    const controller = new AbortController();
    const reason = new Error('stop');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const waiting = waitUntilAsync(() => false, bell, 10_000, { signal: controller.signal });
      await eventually(() => ticks >= 3, 'the event loop to run while it waits');
      expect(bell.hasSleepers()).toBe(true);
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
    } finally {
      clearInterval(timer);
    }
    expect(bell.hasSleepers()).toBe(false);
    expect(listeners(controller.signal)).toBe(0);
    await expect(waitUntilAsync(() => false, bell, 10)).resolves.toBe(false);
  });

  it(
    'after an abort, ring() wakes a blocking waiter while this thread blocks too',
    async () => {
      const bell = new Doorbell();
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const controller = new AbortController();
      const parked = waitUntilAsync(() => false, bell, 10_000, { signal: controller.signal });
      await sleep(5);
      controller.abort(new Error('ghost'));
      await expect(parked).rejects.toThrow('ghost');
      const data = { bell: bell.handle, words };
      const waiter = startWorker<{ ready: boolean }>(BELL_WAITER, data, { timeoutMs: WORKER_MS });
      await eventually(() => Atomics.load(words, 32) === 1 && bell.hasSleepers(), 'the worker to park');
      Atomics.store(words, 0, 1);
      expect(bell.ring()).toBe(true);
      expect(Atomics.wait(words, 16, 0, 3_000)).not.toBe('timed-out');
      await expect(waiter.result).resolves.toEqual({ ready: true });
    },
    WORKER_TEST_MS,
  );

  it('leaves no abort listener behind, over many waits on one signal', async () => {
    const bell = new Doorbell();
    const { signal } = new AbortController();
    for (let i = 0; i < 100; i++) {
      await expect(bell.parkAsync(() => false, 0.5, { signal })).resolves.toBe('timed-out');
      let work = false;
      const woken = bell.parkAsync(() => work, 10_000, { signal });
      work = true;
      bell.ring();
      await expect(woken).resolves.toBe('woken');
      await expect(bell.parkAsync(() => true, 10_000, { signal })).resolves.toBe('ready');
      await expect(waitUntilAsync(() => false, bell, 0.5, { signal })).resolves.toBe(false);
      let ready = false;
      const waiting = waitUntilAsync(() => ready, bell, 10_000, { signal });
      setTimeout(() => {
        ready = true;
        bell.ring();
      }, 0);
      await expect(waiting).resolves.toBe(true);
    }
    expect(listeners(signal)).toBe(0);
    expect(bell.hasSleepers()).toBe(false);
  });
});
