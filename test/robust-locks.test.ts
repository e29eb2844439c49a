/**
 * Locks that nothing wedges (issue 21), for every kind of the package's LOCK_KINDS, across real
 * workers: an async waiter whose event loop is busy does not strand a blocking one; a holder or a
 * waiter that dies (terminated, or process.exit()) is recovered from (Lock.recover,
 * recoverOnExit), and a FIFO lock's holder() names a dead waiter it was handed to; statistics
 * read while other threads write them are whole.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed:
 * each bound is an order of magnitude above what the fixed code takes on a loaded 2-core machine
 * and below what the old code took (a 100 ms park slice, or forever).
 */
import { afterEach, describe, expect, it } from 'vitest';

import {
  createLock,
  LOCK_KINDS,
  LockPoisonedError,
  MAX_QUEUED_WAITERS,
  recoverOnExit,
  type Lock,
  type LockKindName,
  type RecoverReport,
} from '../dist/src/index.js';
import type { LockTestPoint } from '../dist/src/sync/waiter-table.js';
import { isThreadWaitAccountingOn, setThreadWaitAccounting, threadWaitFigures } from '../dist/src/sync/wait-account.js';
import { buildTopology } from '../dist/src/protocol/topology.js';
import { RAMP, RunControl } from '../dist/src/protocol/run-control.js';
import { Watchdog } from '../dist/src/main-thread/watchdog.js';
import { eventually, fixtureWorker, inlineWorker, startWorker, terminateAllWorkers } from './helpers/workers.js';

/** vitest timeout of every test that starts workers (the helper terminates them sooner). */
const WORKER_TEST_MS = 30_000;
/** The kinds that serve untimed waiters in the order they arrived. */
const FIFO_KINDS: readonly LockKindName[] = ['ticket', 'mcs', 'pv'];
/**
 * Longest a blocking waiter may take to get a lock that came free while an async waiter's event
 * loop is busy. The fixed code takes a wake-up (a few ms); the old AdaptiveLock took its 100 ms
 * park slice (70-90 ms).
 */
const WAKE_BOUND_MS = 40;
/** Longest a timed lock() may take once a dead thread's lock or wait is recovered (its timeout: 2 s). */
const RECOVERED_BOUND_MS = 1_000;

/** Shared control words of the workers below, each on a line of its own. */
const HELD = 0;
const ARRIVING = 32;
const GO = 40;
const GOT = 48;

afterEach(terminateAllWorkers);

/**
 * Takes the lock of `workerData.handle`, says so in HELD, then, with `then: 'exit'`, exits
 * holding it (process.exit), else waits, holding it, until terminated.
 */
const HOLDER = inlineWorker(
  `
const lock = vblk.openLock(workerData.handle);
const words = workerData.words;
lock.lock();
Atomics.store(words, 0, 1);
if (workerData.then === 'exit') process.exit(0);
for (;;) Atomics.wait(words, 1, 0);
`,
  'lock holder',
);

/**
 * Says it is here (ARRIVING), waits for GO when `workerData.waitForGo`, then blocks in lock(),
 * sets GOT once it has the lock, and releases it.
 */
const BLOCKING_LOCKER = inlineWorker(
  `
const lock = vblk.openLock(workerData.handle);
const words = workerData.words;
Atomics.store(words, 32, 1);
if (workerData.waitForGo) while (Atomics.load(words, 40) === 0) Atomics.wait(words, 40, 0, 50);
lock.lock();
Atomics.store(words, 48, 1);
lock.unlock();
parentPort.postMessage({ got: true });
`,
  'blocking locker',
);

/** Starts an untimed lockAsync() (it cannot get the lock: the test holds it), says so, and exits 20 ms later. */
const ASYNC_WAITER_THAT_EXITS = inlineWorker(
  `
const lock = vblk.openLock(workerData.handle);
void lock.lockAsync();
Atomics.store(workerData.words, 32, 1);
setTimeout(() => process.exit(0), 20);
`,
  'async waiter that exits',
);

function signal(words: Int32Array, index: number): void {
  Atomics.store(words, index, 1);
  Atomics.notify(words, index);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps this thread (and its event loop) busy until `done()` or `limitMs`; returns the milliseconds it took. */
function busyUntil(done: () => boolean, limitMs: number): number {
  const start = performance.now();
  while (!done() && performance.now() - start < limitMs) {
    // The event loop cannot run: no promise of this thread settles meanwhile.
  }
  return performance.now() - start;
}

/** Word 0 of a lock: it moves when a waiter of a kind that parks (all but spin) queues or marks itself. */
function word0(handle: { buffer: SharedArrayBuffer; byteOffset: number }): Int32Array {
  return new Int32Array(handle.buffer, handle.byteOffset, 1);
}

/** A worker blocked in lock() on `lock` (held by this thread): resolves once it waits, parked or spinning. */
async function blockedWaiter(kind: LockKindName, handle: { buffer: SharedArrayBuffer; byteOffset: number }) {
  const words = new Int32Array(new SharedArrayBuffer(64 * 4));
  const word = word0(handle);
  const before = Atomics.load(word, 0);
  const waiter = startWorker<{ got: boolean }>(BLOCKING_LOCKER, { handle, words });
  await eventually(() => Atomics.load(words, ARRIVING) === 1, 'the waiter to start');
  // A spin lock's waiter changes nothing; the other kinds' change word 0 once they wait.
  if (kind !== 'spin') await eventually(() => Atomics.load(word, 0) !== before, 'the waiter to queue');
  await sleep(50); // its spin is over (pv: 2^15 reads): it parks
  return waiter;
}

/** The mixed-waiter cases: untimed async waits where the kind promises no order, timed ones for every kind. */
const BUSY_CASES = LOCK_KINDS.flatMap((kind) =>
  FIFO_KINDS.includes(kind) ? [{ kind, timed: true }] : [{ kind, timed: false }, { kind, timed: true }],
);

describe('a blocking waiter gets a free lock while an async waiter’s event loop is busy', () => {
  it.each(BUSY_CASES)(
    '$kind lock, timed async waiter: $timed',
    async ({ kind, timed }) => {
      const lock = createLock(kind);
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const blocking = startWorker(BLOCKING_LOCKER, { handle: lock.handle, words, waitForGo: true });
      await eventually(() => Atomics.load(words, ARRIVING) === 1, 'the blocking waiter to start');
      // This thread holds the lock; an async task of it waits first, then the blocking worker, behind it.
      lock.lock();
      const got = lock.lockAsync(timed ? 60_000 : undefined);
      await sleep(5);
      signal(words, GO);
      await sleep(20);
      // From here this thread is busy: the async waiter's promise cannot run when the lock comes free.
      lock.unlock();
      const waitedMs = busyUntil(() => Atomics.load(words, GOT) === 1, 1_000);
      expect(Atomics.load(words, GOT)).toBe(1);
      expect(waitedMs).toBeLessThan(WAKE_BOUND_MS);
      // Once the event loop runs again, the async waiter gets the lock too, exactly once.
      await expect(got).resolves.toBe(true);
      lock.unlock();
      await blocking.result;
      expect(lock.stats().acquisitions).toBe(3);
      expect(lock.holder()).toBe(-1);
    },
    WORKER_TEST_MS,
  );
});

/** A timed lock() on this thread: it must acquire well within its 2 s timeout. */
function expectTimedLockAcquires(lock: Lock): void {
  const start = performance.now();
  expect(lock.lock(2_000)).toBe(true);
  expect(performance.now() - start).toBeLessThan(RECOVERED_BOUND_MS);
  lock.unlock();
  expect(lock.holder()).toBe(-1);
}

describe.each(LOCK_KINDS)('%s lock: a dead holder or waiter does not wedge it', (kind) => {
  it(
    'a waiter terminated while it waits: recoverOnExit takes its wait out, and a timed lock() acquires',
    async () => {
      const lock = createLock(kind);
      lock.lock();
      const waiter = await blockedWaiter(kind, lock.handle);
      const reports: RecoverReport[] = [];
      recoverOnExit(waiter.worker, [lock], { onRecovered: (_lock, report) => reports.push(report) });
      await waiter.terminate();
      await waiter.exited;
      // A spin lock's waiter holds nothing; the others' hold a sleeper count, a ticket or a node.
      expect(reports).toEqual([{ held: false, waits: kind === 'spin' ? 0 : 1 }]);
      lock.unlock();
      expectTimedLockAcquires(lock);
      // Recovering again finds nothing.
      expect(lock.recover(waiter.threadId)).toEqual({ held: false, waits: 0 });
    },
    WORKER_TEST_MS,
  );

  it(
    'a holder that exits: recoverOnExit releases its lock, and a timed lock() acquires',
    async () => {
      const lock = createLock(kind);
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const holder = startWorker(HOLDER, { handle: lock.handle, words, then: 'exit' });
      const reports: RecoverReport[] = [];
      recoverOnExit(holder.worker, [lock], { onRecovered: (_lock, report) => reports.push(report) });
      expect(await holder.exited).toBe(0);
      expect(reports).toEqual([{ held: true, waits: 0 }]);
      expectTimedLockAcquires(lock);
    },
    WORKER_TEST_MS,
  );

  it(
    'a holder terminated, with ifHeld: poison: a timed lock() throws at once, naming the dead thread',
    async () => {
      const lock = createLock(kind);
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const holder = startWorker(HOLDER, { handle: lock.handle, words });
      await eventually(() => Atomics.load(words, HELD) === 1, 'the holder to take the lock');
      recoverOnExit(holder.worker, [lock], { ifHeld: 'poison' });
      await holder.terminate();
      await holder.exited;
      const start = performance.now();
      expect(() => lock.lock(2_000)).toThrow(LockPoisonedError);
      expect(() => lock.lock(2_000)).toThrow(`its holder, thread ${holder.threadId}, died holding it`);
      expect(performance.now() - start).toBeLessThan(RECOVERED_BOUND_MS);
    },
    WORKER_TEST_MS,
  );

  it(
    'an async waiter whose thread ends: its wait is taken out, and a timed lock() acquires',
    async () => {
      const lock = createLock(kind);
      lock.lock();
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const waiter = startWorker(ASYNC_WAITER_THAT_EXITS, { handle: lock.handle, words });
      const reports: RecoverReport[] = [];
      recoverOnExit(waiter.worker, [lock], { onRecovered: (_lock, report) => reports.push(report) });
      await eventually(() => Atomics.load(words, ARRIVING) === 1, 'the async waiter to wait');
      await waiter.exited;
      // A spin lock's async waiter holds nothing; the others' hold a sleeper count, a ticket or a node.
      expect(reports).toEqual([{ held: false, waits: kind === 'spin' ? 0 : 1 }]);
      lock.unlock();
      expectTimedLockAcquires(lock);
    },
    WORKER_TEST_MS,
  );
});

describe.each(FIFO_KINDS)('%s lock: handed to a waiter that died', (kind) => {
  it(
    'holder() names the dead waiter, the lock stays its own until recover(), then a timed lock() acquires',
    async () => {
      const lock = createLock(kind);
      lock.lock();
      const waiter = await blockedWaiter(kind, lock.handle);
      await waiter.terminate();
      lock.unlock(); // hands the lock to the dead waiter, in its turn
      expect(lock.holder()).toBe(waiter.threadId);
      expect(lock.lock(50)).toBe(false);
      expect(lock.recover(waiter.threadId)).toEqual({ held: false, waits: 1 });
      expect(lock.holder()).toBe(-1);
      expect(lock.lock(2_000)).toBe(true);
      lock.unlock();
    },
    WORKER_TEST_MS,
  );
});

/** A waiter that stops at a LockTestPoint of its wait until terminated (test/fixtures/lock-stop-at.mjs). */
const STOP_AT = fixtureWorker('lock-stop-at.mjs');
/** Its words that say it has stopped, and that it has started. */
const STOPPED = 0;
const STOP_ARRIVING = 16;

/** One place to stop a waiter at, and what the test does around it. */
interface StopCase {
  point: LockTestPoint;
  /** A timed lock() (60 s), which waits without a place: a retry waiter. */
  timed?: boolean;
  /** lockAsync() rather than lock(). */
  async?: boolean;
  /** A live waiter queues first, before the one that dies. */
  behind?: boolean;
  /** This thread releases the lock before it calls recover(): the lock is then wedged until it does. */
  unlockFirst?: boolean;
}

/** Where a waiter of each FIFO kind may stop with its wait half recorded, and what recovering from it involves. */
const STOP_CASES: Record<'ticket' | 'mcs' | 'pv', readonly StopCase[]> = {
  ticket: [
    { point: 'ticket-claimed' },
    { point: 'ticket-taken' },
    { point: 'ticket-taken', unlockFirst: true },
    { point: 'ticket-taken', async: true, unlockFirst: true },
    { point: 'ticket-taken', behind: true, unlockFirst: true },
    { point: 'retry-counted', timed: true },
  ],
  mcs: [
    { point: 'node-claimed' },
    { point: 'node-queued' },
    { point: 'node-queued', unlockFirst: true },
    { point: 'node-queued', async: true, unlockFirst: true },
    { point: 'node-queued', behind: true },
    { point: 'node-queued', behind: true, unlockFirst: true },
    { point: 'node-linked', unlockFirst: true },
    { point: 'node-linked', behind: true, unlockFirst: true },
    { point: 'retry-counted', timed: true },
  ],
  pv: [],
};
STOP_CASES.pv = STOP_CASES.mcs;

/** What a case is called in the test list. */
function stopCaseName(c: StopCase): string {
  const how = [c.timed ? 'timed' : 'untimed', c.async ? 'lockAsync()' : 'lock()'].join(' ');
  const around = [c.behind ? 'behind a live waiter' : '', c.unlockFirst ? 'released before recover()' : ''];
  return [`${how} stopped at ${c.point}`, ...around.filter((a) => a !== '')].join(', ');
}

/**
 * An uncontended lock() and unlock() on this thread: no contention counted, nobody notified (the
 * thread's wait account, off by default, is switched on around it so that a notify would count).
 */
function expectUncontendedPath(lock: Lock): void {
  const wasOn = isThreadWaitAccountingOn();
  setThreadWaitAccounting(true);
  try {
    const contentions = lock.stats().contentions;
    const notifies = threadWaitFigures().notifies;
    expect(lock.lock()).toBe(true);
    lock.unlock();
    expect(lock.stats().contentions).toBe(contentions);
    expect(threadWaitFigures().notifies).toBe(notifies);
  } finally {
    setThreadWaitAccounting(wasOn);
  }
}

describe.each(FIFO_KINDS)('%s lock: a waiter terminated between two steps of its wait', (kind) => {
  it.each(STOP_CASES[kind as 'ticket' | 'mcs' | 'pv'].map((c) => [stopCaseName(c), c] as const))(
    '%s: recover() leaves the lock usable',
    async (_name, c) => {
      const lock = createLock(kind);
      lock.lock();
      const live = c.behind === true ? await blockedWaiter(kind, lock.handle) : undefined;
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const dying = startWorker<{ got: boolean }>(STOP_AT, {
        handle: lock.handle,
        point: c.point,
        timeoutMs: c.timed === true ? 60_000 : undefined,
        async: c.async === true,
        words,
      });
      await eventually(() => Atomics.load(words, STOPPED) === 1, `the waiter to stop at ${c.point}`);
      await dying.terminate();
      await dying.exited;
      let report: RecoverReport;
      if (c.unlockFirst === true) {
        // The lock, or its queue, goes on to the dead waiter in its turn, after the live one's.
        lock.unlock();
        await live?.result;
        expect(lock.lock(50)).toBe(false);
        report = lock.recover(dying.threadId);
      } else {
        report = lock.recover(dying.threadId);
        lock.unlock();
        await live?.result;
      }
      expect(report).toEqual({ held: false, waits: 1 });
      expectTimedLockAcquires(lock);
      // Nothing of the dead waiter is left: no count that makes a release notify, no SLEEPING bit
      // that sends every lock() down the slow path.
      expectUncontendedPath(lock);
      expect(lock.recover(dying.threadId)).toEqual({ held: false, waits: 0 });
      // And the lock still queues and hands over: a waiter behind this thread gets it.
      lock.lock();
      const next = await blockedWaiter(kind, lock.handle);
      lock.unlock();
      await next.result;
      expectTimedLockAcquires(lock);
    },
    WORKER_TEST_MS,
  );
});

describe.each(FIFO_KINDS)('%s lock: waiters that find every place taken', (kind) => {
  it(
    'wait without a count, and get the lock; one that dies leaves nothing behind to recover',
    async () => {
      const lock = createLock(kind);
      lock.lock();
      // This thread's pending lockAsync() calls take every place the lock has.
      const queued = Array.from({ length: MAX_QUEUED_WAITERS }, () => lock.lockAsync().then(() => lock.unlock()));
      const start = (timeoutMs: number | undefined) => {
        const words = new Int32Array(new SharedArrayBuffer(64 * 4));
        return { words, worker: startWorker<{ got: boolean }>(STOP_AT, { handle: lock.handle, timeoutMs, words }) };
      };
      const dying = start(60_000);
      const living = start(undefined);
      await eventually(
        () => Atomics.load(dying.words, STOP_ARRIVING) === 1 && Atomics.load(living.words, STOP_ARRIVING) === 1,
        'both waiters to start',
      );
      await sleep(20); // both poll: nobody counts them, so nobody notifies them
      await dying.worker.terminate();
      await dying.worker.exited;
      expect(lock.recover(dying.worker.threadId)).toEqual({ held: false, waits: 0 });
      lock.unlock();
      await Promise.all(queued);
      await expect(living.worker.result).resolves.toEqual({ got: true });
      expectTimedLockAcquires(lock);
      expectUncontendedPath(lock);
    },
    WORKER_TEST_MS,
  );
});

describe('Watchdog', () => {
  it(
    'blames a dead ticket waiter the shared ring lock was handed to, not another stage',
    async () => {
      const topology = buildTopology('sq', 2, 1, 1);
      const control = RunControl.create(topology.workers);
      const lock = createLock('ticket');
      lock.lock();
      const waiter = await blockedWaiter('ticket', lock.handle);
      await waiter.terminate();
      lock.unlock();
      const dog = new Watchdog(control, topology, [lock], 1_000, () => false);
      control.setPhase(RAMP);
      dog.start(0);
      expect(dog.check(100)).toBeNull();
      // The dead waiter is no worker of the run, so it is named by its thread id.
      expect(dog.check(1_200)).toBe(`thread ${waiter.threadId} holds the shared ring lock and stopped making progress`);
      lock.recover(waiter.threadId);
    },
    WORKER_TEST_MS,
  );
});

describe('statistics read while other threads write them', () => {
  it(
    'are whole: every figure an integer, acquisitions never going back, contentions never above them',
    async () => {
      const lock = createLock('adaptive');
      const words = new Int32Array(new SharedArrayBuffer(64 * 4));
      const workers = Array.from({ length: 4 }, () =>
        startWorker(
          inlineWorker(
            `
const lock = vblk.openLock(workerData.handle);
for (let i = 0; i < 20000; i++) { lock.lock(); workerData.words[0]++; lock.unlock(); }
parentPort.postMessage({ done: true });
`,
            'counter',
          ),
          { handle: lock.handle, words },
        ),
      );
      let finished = false;
      void Promise.all(workers.map((w) => w.result)).finally(() => (finished = true));
      let last = 0;
      let reads = 0;
      while (!finished) {
        for (let i = 0; i < 100; i++, reads++) {
          const stats = lock.stats();
          for (const value of Object.values(stats)) expect(Number.isInteger(value)).toBe(true);
          expect(stats.acquisitions).toBeGreaterThanOrEqual(last);
          expect(stats.contentions).toBeLessThanOrEqual(stats.acquisitions);
          expect(stats.waitNsMax).toBeLessThanOrEqual(stats.waitNsTotal);
          last = stats.acquisitions;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(workers.map((w) => w.result));
      expect(reads).toBeGreaterThan(0);
      expect(lock.stats().acquisitions).toBe(80_000);
      expect(words[0]).toBe(80_000);
    },
    WORKER_TEST_MS,
  );
});
