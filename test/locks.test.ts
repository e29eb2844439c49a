/**
 * Every lock kind (the package's LOCK_KINDS), across real worker threads: mutual exclusion,
 * statistics, timeouts, ownership, handles, argument checks, and FIFO order for the kinds that
 * promise it.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed;
 * the machine may have two cores and other work running.
 */
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';

import {
  createLock,
  CURRENT_THREAD_ID,
  openLock,
  LOCK_CLASSES,
  LOCK_KINDS,
  LockOwnershipError,
  MAX_QUEUED_WAITERS,
  type LockKindName,
  type LockOptions,
} from '../dist/src/index.js';
import { LIMITS } from '../dist/src/protocol/options.js';
import {
  eventually,
  fixtureWorker,
  inlineWorker,
  runWorkers,
  startWorker,
  terminateAllWorkers,
} from './helpers/workers.js';
import { expectConsistent, ZERO_STATS } from './helpers/lock-stats.js';

const KINDS: readonly LockKindName[] = LOCK_KINDS;
/** The kinds that serve waiters in the order they arrived (untimed waits). */
const FIFO_KINDS: readonly LockKindName[] = ['ticket', 'mcs', 'pv'];
/** Bytes enough for a lock of any kind. */
const ANY_LOCK_BYTES = Math.max(...KINDS.map((kind) => LOCK_CLASSES[kind].BYTES));
/** vitest timeout of every test that starts workers (the helper terminates them sooner). */
const WORKER_TEST_MS = 30_000;
const COUNTER_WORKERS = 8;
/**
 * Increments of the mutual-exclusion test, all workers together. A FIFO handoff between 8
 * threads on 2 cores costs ~13 us (the next waiter is often not running), so the FIFO kinds get
 * a tenth of the others' count (pv, which spins 2^15 times before it parks, a twentieth) to keep
 * the file well under 30 s.
 */
const TOTAL_INCREMENTS: Record<LockKindName, number> = {
  spin: 200_000,
  ticket: 20_000,
  mcs: 20_000,
  pv: 10_000,
  mutex: 200_000,
  adaptive: 200_000,
};

/** Increments a plain shared counter under the lock; see the fixture's comment. */
const COUNTER_WORKER = fixtureWorker('lock-counter.mjs');

/** What LOCK_OP_WORKER posts. */
interface LockOpOutcome {
  /** lock(timeoutMs)/tryLock(): whether it acquired. */
  got?: boolean;
  /** lock(timeoutMs): milliseconds it took. */
  ms?: number;
  /** holder() as this worker saw it after the operation. */
  holder: number;
  /** unlock(): the name of what it threw, or null. */
  threw?: string | null;
  /** unlock(): whether that was the library's LockOwnershipError class. */
  ownershipError?: boolean;
  /** lockUntilPoison: whether what it threw was the library's LockPoisonedError class. */
  poisonError?: boolean;
}

/**
 * One lock operation in a worker, on the lock of `workerData.handle`:
 *   tryLock          tryLock(), and unlock() again if it succeeded
 *   lockWithTimeout  lock(workerData.timeoutMs), and unlock() again if it succeeded
 *   unlock           unlock() on a lock this worker does not hold
 *   lockAndExit      lock() and exit still holding it
 *   lockUntilPoison  lock(workerData.timeoutMs) on a lock that is never released: only poison() ends it
 */
const LOCK_OP_WORKER = inlineWorker(
  `
const lock = vblk.openLock(workerData.handle);
const outcome = {};
switch (workerData.op) {
  case 'tryLock':
    outcome.got = lock.tryLock();
    if (outcome.got) lock.unlock();
    break;
  case 'lockWithTimeout': {
    const start = performance.now();
    outcome.got = lock.lock(workerData.timeoutMs);
    outcome.ms = performance.now() - start;
    if (outcome.got) lock.unlock();
    break;
  }
  case 'unlock':
    try {
      lock.unlock();
      outcome.threw = null;
    } catch (error) {
      outcome.threw = error.name;
      outcome.ownershipError = error instanceof vblk.LockOwnershipError;
    }
    break;
  case 'lockAndExit':
    lock.lock();
    break;
  case 'lockUntilPoison':
    try {
      outcome.got = lock.lock(workerData.timeoutMs);
      outcome.threw = null;
    } catch (error) {
      outcome.threw = error.name;
      outcome.poisonError = error instanceof vblk.LockPoisonedError;
    }
    break;
  default:
    throw new Error('unknown op ' + workerData.op);
}
outcome.holder = lock.holder();
parentPort.postMessage(outcome);
`,
  'lock-op worker',
);

type LockOp = 'tryLock' | 'lockWithTimeout' | 'unlock' | 'lockAndExit' | 'lockUntilPoison';

/** Runs one LOCK_OP_WORKER and returns what it posted. */
async function inWorker(handle: unknown, op: LockOp, timeoutMs?: number): Promise<LockOpOutcome> {
  const [outcome] = await runWorkers<LockOpOutcome>(LOCK_OP_WORKER, [{ handle, op, timeoutMs }]);
  return outcome!;
}

afterEach(terminateAllWorkers);

describe.each(KINDS)('%s lock', (kind) => {
  it('names its holder with the id CURRENT_THREAD_ID gives the calling thread', () => {
    const lock = createLock(kind);
    expect(CURRENT_THREAD_ID).toBe(threadId);
    expect(lock.holder()).toBe(-1);
    lock.lock();
    expect(lock.holder()).toBe(CURRENT_THREAD_ID);
    lock.unlock();
    expect(lock.holder()).toBe(-1);
  });

  it(
    `keeps a plain counter exact with ${COUNTER_WORKERS} workers, and its statistics consistent`,
    async () => {
      // The lock sits at a byteOffset inside a bigger buffer, behind the counter, as embedding code would place it.
      const buffer = new SharedArrayBuffer(128 + LOCK_CLASSES[kind].BYTES);
      const words = new Int32Array(buffer, 0, 32);
      const lock = createLock(kind, { buffer, byteOffset: 128 });
      const iterations = TOTAL_INCREMENTS[kind] / COUNTER_WORKERS;

      // Half the workers open the lock with X.from, half with openLock.
      const results = await runWorkers<{ lockCalls: number; tryLockWins: number }>(
        COUNTER_WORKER,
        Array.from({ length: COUNTER_WORKERS }, (_, i) => ({
          handle: lock.handle,
          open: i % 2 === 0 ? 'from' : 'handle',
          words,
          workers: COUNTER_WORKERS,
          iterations,
          tryEvery: 5,
        })),
      );

      expect(words[0]).toBe(COUNTER_WORKERS * iterations);
      const successful = results.reduce((sum, r) => sum + r.lockCalls + r.tryLockWins, 0);
      expect(successful).toBe(COUNTER_WORKERS * iterations);
      const stats = lock.stats();
      expect(stats.acquisitions).toBe(successful);
      expect(stats.timeouts).toBe(0);
      expectConsistent(stats);
      if (kind === 'spin') expect(stats.parks).toBe(0); // a spin lock never sleeps
      expect(lock.holder()).toBe(-1);

      lock.resetStats();
      expect(lock.stats()).toEqual(ZERO_STATS);
    },
    WORKER_TEST_MS,
  );

  it(
    'refuses tryLock while held, in this thread and in another worker',
    async () => {
      const lock = createLock(kind);
      expect(lock.tryLock()).toBe(true);
      expect(lock.tryLock()).toBe(false); // not re-entrant
      expect(await inWorker(lock.handle, 'tryLock')).toMatchObject({ got: false, holder: threadId });
      lock.unlock();
      expect(await inWorker(lock.handle, 'tryLock')).toMatchObject({ got: true, holder: -1 });
      expect(lock.stats()).toMatchObject({ acquisitions: 2, contentions: 0, timeouts: 0 });
    },
    WORKER_TEST_MS,
  );

  it(
    'gives up lock(timeoutMs) while another thread holds it, and counts the timeout',
    async () => {
      const lock = createLock(kind);
      lock.lock();
      const timeoutMs = 30;
      const outcome = await inWorker(lock.handle, 'lockWithTimeout', timeoutMs);
      expect(outcome.got).toBe(false);
      // Gave up no earlier than asked (1 ms for clock rounding).
      expect(outcome.ms).toBeGreaterThanOrEqual(timeoutMs - 1);
      expect(outcome.holder).toBe(threadId);
      // The holder itself is refused rather than left waiting for itself: the lock is not re-entrant.
      expect(() => lock.lock(5)).toThrow(LockOwnershipError);
      expect(() => lock.lock()).toThrow(/already holds/);
      expect(lock.stats().timeouts).toBe(1);
      lock.unlock();

      expect(await inWorker(lock.handle, 'lockWithTimeout', 10_000)).toMatchObject({ got: true, holder: -1 });
      expect(lock.lock(0)).toBe(true);
      lock.unlock();
      const stats = lock.stats();
      expect(stats).toMatchObject({ acquisitions: 3, timeouts: 1 });
      expectConsistent(stats);
    },
    WORKER_TEST_MS,
  );

  it(
    'throws LockOwnershipError on unlock by a thread that does not hold it',
    async () => {
      const lock = createLock(kind);
      expect(() => lock.unlock()).toThrow(LockOwnershipError); // not held at all
      lock.lock();
      expect(await inWorker(lock.handle, 'unlock')).toMatchObject({
        threw: 'LockOwnershipError',
        ownershipError: true,
        holder: threadId,
      });
      expect(lock.holder()).toBe(threadId); // the failed unlock changed nothing
      lock.unlock();
      expect(() => lock.unlock()).toThrow(LockOwnershipError); // a second unlock
    },
    WORKER_TEST_MS,
  );

  it(
    "reports the holder's threadId",
    async () => {
      const lock = createLock(kind);
      expect(lock.holder()).toBe(-1);
      lock.lock();
      expect(lock.holder()).toBe(threadId);
      lock.unlock();
      expect(lock.holder()).toBe(-1);

      // A worker that exits holding the lock: it stays held, by that thread.
      const worker = startWorker<LockOpOutcome>(LOCK_OP_WORKER, { handle: lock.handle, op: 'lockAndExit' });
      expect((await worker.result).holder).toBe(worker.threadId);
      expect(lock.holder()).toBe(worker.threadId);
      expect(lock.tryLock()).toBe(false);
      expect(() => lock.unlock()).toThrow(LockOwnershipError);
      expect(() => lock.unlock()).toThrow(`held by thread ${worker.threadId}`);
    },
    WORKER_TEST_MS,
  );

  it.each([
    ['lock()', undefined],
    ['lock(timeoutMs)', 60_000],
  ])(
    'poison() ends a wait in %s that nothing else would end',
    async (_call, timeoutMs) => {
      const lock = createLock(kind);
      lock.lock(); // held for good by this thread
      const data = { handle: lock.handle, op: 'lockUntilPoison', timeoutMs };
      const waiter = startWorker<LockOpOutcome>(LOCK_OP_WORKER, data);
      // Give it time to spin out its budget and park (if this kind parks); it is woken either way.
      await new Promise((resolve) => setTimeout(resolve, 200));
      lock.poison();
      expect(await waiter.result).toMatchObject({ threw: 'LockPoisonedError', poisonError: true });
      lock.unlock();
    },
    WORKER_TEST_MS,
  );

  it('zeroes its statistics on resetStats', () => {
    const lock = createLock(kind);
    lock.lock();
    lock.unlock();
    expect(lock.tryLock()).toBe(true);
    expect(() => lock.lock(1)).toThrow(LockOwnershipError);
    lock.unlock();
    expect(lock.stats()).toMatchObject({ acquisitions: 2, timeouts: 0 });
    lock.resetStats();
    expect(lock.stats()).toEqual(ZERO_STATS);
    expect(lock.holder()).toBe(-1);
  });

  it('counts acquisitions past 2^32 exactly: the low word carries into the high one', () => {
    const lock = createLock(kind);
    // The statistics line follows the control line; its word 1 is the acquisitions' low word.
    const low = new Int32Array(lock.handle.buffer, lock.handle.byteOffset + 64, 2);
    low[1] = -2; // 2^32 - 2
    for (let i = 0; i < 3; i++) {
      lock.lock();
      lock.unlock();
    }
    expect(lock.stats().acquisitions).toBe(2 ** 32 + 1);
  });

  it('opens the same lock from its handle, with X.from and openLock', () => {
    const lock = createLock(kind);
    const Class = LOCK_CLASSES[kind];
    const viaFrom = Class.from(lock.handle);
    const viaHandle = openLock(structuredClone(lock.handle));
    expect(viaFrom).toBeInstanceOf(Class);
    expect(viaHandle).toBeInstanceOf(Class);
    expect(viaHandle.kind).toBe(kind);

    lock.lock();
    // Attaching must not re-initialise the region: the lock stays held.
    expect(Class.from(lock.handle).tryLock()).toBe(false);
    expect(viaHandle.holder()).toBe(threadId);
    viaFrom.unlock(); // ownership is per thread, not per view
    expect(lock.holder()).toBe(-1);
    expect(viaHandle.stats().acquisitions).toBe(1);
  });

  describe('bad arguments', () => {
    const Class = LOCK_CLASSES[kind];
    const otherKind = KINDS.find((k) => k !== kind)!;

    it('rejects a negative or non-numeric timeout', () => {
      const lock = createLock(kind);
      expect(() => lock.lock(-1)).toThrow(RangeError);
      expect(() => lock.lock(Number.NaN)).toThrow(TypeError);
      expect(lock.holder()).toBe(-1);
    });

    it('rejects a misaligned offset, a region too small and a buffer that is not shared', () => {
      const roomy = new SharedArrayBuffer(Class.BYTES + 64);
      expect(() => createLock(kind, { buffer: roomy, byteOffset: 4 })).toThrow(RangeError);
      expect(() => createLock(kind, { buffer: roomy, byteOffset: -8 })).toThrow(RangeError);
      expect(() => createLock(kind, { buffer: new SharedArrayBuffer(Class.BYTES - 8), byteOffset: 0 })).toThrow(
        RangeError,
      );
      expect(() => createLock(kind, { buffer: new SharedArrayBuffer(Class.BYTES), byteOffset: 8 })).toThrow(RangeError);
      const notShared = new ArrayBuffer(Class.BYTES) as unknown as SharedArrayBuffer;
      expect(() => createLock(kind, { buffer: notShared, byteOffset: 0 })).toThrow(TypeError);
      // Exactly enough room is enough.
      expect(() => createLock(kind, { buffer: new SharedArrayBuffer(Class.BYTES + 8), byteOffset: 8 })).not.toThrow();
    });

    it('rejects a handle of another kind, a non-handle, and an uninitialised region', () => {
      // In a buffer with room for any kind, so that only the kind can be wrong.
      const other = createLock(otherKind, { buffer: new SharedArrayBuffer(ANY_LOCK_BYTES), byteOffset: 0 });
      expect(() => Class.from(other.handle)).toThrow(TypeError);
      // The right kind name on another kind's memory: the region's magic word tells.
      expect(() => Class.from({ ...other.handle, kind: `${kind}-lock` })).toThrow(TypeError);
      expect(() => Class.from(null as never)).toThrow(TypeError);
      expect(() =>
        Class.from({ kind: `${kind}-lock`, buffer: new SharedArrayBuffer(Class.BYTES), byteOffset: 0 }),
      ).toThrow(TypeError);
      expect(() => openLock({ kind: 'rwlock-lock' } as never)).toThrow(TypeError);
      expect(() => createLock('rwlock' as LockKindName)).toThrow(TypeError);
    });

    if (kind !== 'spin' && kind !== 'mutex') {
      it('rejects bad spin options', () => {
        // PvLock's spin is Linux's SPIN_THRESHOLD, under its own name; the others' a spin budget.
        const spin = kind === 'pv' ? 'spinThreshold' : 'spin';
        if (kind !== 'pv') expect(() => createLockWith(kind, { spinMax: -1 })).toThrow(RangeError);
        expect(() => createLockWith(kind, { [spin]: 1.5 })).toThrow(new RegExp(`${spin} must be an integer`));
        expect(() => createLockWith(kind, { [spin]: -1 })).toThrow(RangeError);
        expect(() => createLockWith(kind, { [spin]: 0 })).not.toThrow();
      });
    }
  });
});

/** A lock of a kind that spins before it parks, with spin options (createLock takes only a region). */
function createLockWith(kind: 'ticket' | 'mcs' | 'pv' | 'adaptive', options: LockOptions) {
  return new LOCK_CLASSES[kind](options);
}

describe.each(FIFO_KINDS)('%s lock: FIFO', (kind) => {
  /** Takes the lock, appends workerData.index to the shared `order` list ([0] = length), releases. */
  const APPEND_WORKER = inlineWorker(
    `
const lock = vblk.openLock(workerData.handle);
const { order, index } = workerData;
lock.lock();
const length = order[0];
order[1 + length] = index;
order[0] = length + 1;
lock.unlock();
parentPort.postMessage(length);
`,
    'append worker',
  );

  it(
    'serves waiters in the order they arrived',
    async () => {
      const waiters = 6;
      const lock = createLock(kind);
      // Word 0 of a FIFO lock moves when a waiter queues: a ticket lock's NEXT (the next ticket to
      // hand out), a queue lock's lock word (whose tail names the last node queued).
      const next = new Int32Array(lock.handle.buffer, lock.handle.byteOffset, 1);
      const order = new Int32Array(new SharedArrayBuffer(4 * (1 + waiters)));
      lock.lock();
      const workers = [];
      for (let index = 0; index < waiters; index++) {
        const wordBefore = Atomics.load(next, 0);
        workers.push(startWorker<number>(APPEND_WORKER, { handle: lock.handle, order, index }));
        // Arrival made deterministic: worker index+1 starts only once worker index holds a ticket.
        await eventually(() => Atomics.load(next, 0) !== wordBefore, `worker ${index} to queue`);
      }
      lock.unlock();
      await Promise.all(workers.map((worker) => worker.result));

      expect(Array.from(order.subarray(1, 1 + order[0]!))).toEqual(Array.from({ length: waiters }, (_, i) => i));
      const stats = lock.stats();
      expect(stats).toMatchObject({ acquisitions: waiters + 1, contentions: waiters, timeouts: 0 });
      expectConsistent(stats);
    },
    WORKER_TEST_MS,
  );

  it('has a place for more waiters than the emulator’s busiest lock has: its vCPUs, IO thread and main thread', () => {
    expect(MAX_QUEUED_WAITERS).toBeGreaterThanOrEqual(LIMITS.maxJobs + 2);
    const Class = LOCK_CLASSES[kind] as { MAX_QUEUED_WAITERS?: number };
    expect(Class.MAX_QUEUED_WAITERS).toBe(MAX_QUEUED_WAITERS);
  });

  it('serves LIMITS.maxJobs + 2 untimed async waiters in the order they arrived, and a later one last', async () => {
    // Each pending lockAsync() holds a place, as a blocked thread does: one thread can queue them all.
    const waiters = LIMITS.maxJobs + 2;
    const lock = createLock(kind);
    const order: (number | 'late')[] = [];
    lock.lock();
    let late: Promise<void> | undefined;
    const waits = Array.from({ length: waiters }, (_, index) =>
      lock.lockAsync().then(() => {
        // Arrives once the first waiter holds the lock: it must queue behind every waiter before it.
        if (index === 0) {
          late = lock.lockAsync().then(() => {
            order.push('late');
            lock.unlock();
          });
        }
        order.push(index);
        lock.unlock();
      }),
    );
    lock.unlock();
    await Promise.all(waits);
    await late;
    expect(order).toEqual([...Array.from({ length: waiters }, (_, i) => i), 'late']);
    expect(lock.stats()).toMatchObject({ acquisitions: waiters + 2, timeouts: 0 });
    expect(lock.holder()).toBe(-1);
  });
});
