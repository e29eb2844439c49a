/**
 * Latch: a one-shot countdown that threads wait on until it reaches zero. Java's CountDownLatch
 * (java.util.concurrent, JSR 166: countDown(), getCount(), await()) and Go's sync.WaitGroup
 * (Done(), Wait()), over shared memory.
 *
 * Memory (four Int32 words, 16 bytes; byteOffset a multiple of 8):
 *   [0] COUNT     the count; countDown() lowers it with a compare-and-swap, never below zero;
 *                 waiters park on it
 *   [1] SLEEPERS  waiters (wait, waitAsync) from "I will park" to "I am done"; each waiter adds
 *                 and subtracts its own 1
 *   [2] GHOSTS    parks of aborted waitAsync calls still on COUNT's wait list (see Cancellation);
 *                 each aborted waiter adds 1, and takes it back when its Atomics.waitAsync settles
 *   [3] MAGIC     marks the region as an initialised Latch; written once, last, by the creator
 *
 * Algorithm: a waiter counts itself in SLEEPERS, reads COUNT, returns if it is 0, else parks on
 * COUNT expecting the value it read. countDown() moves COUNT down with a compare-and-swap; only
 * the one that takes it to 0 looks at SLEEPERS + GHOSTS, and calls Atomics.notify (all waiters)
 * only when that is above 0: a thread that is not asleep is never notified, and a countDown that
 * leaves the count above 0 never notifies (a parked waiter stays parked through it). No wake-up
 * is lost, since all Atomics are sequentially consistent: a last countDown that reads SLEEPERS
 * as 0 came before the waiter's increment, so the waiter's later read of COUNT sees 0; one that
 * reads it as above 0 notifies, and a waiter that parks after that finds COUNT no longer equal
 * to the value it read, so its Atomics.wait returns at once.
 *
 * Cancellation (waitAsync's signal): the abandoned Atomics.waitAsync becomes a ghost, counted in
 * GHOSTS and woken on top of the real waiters (async-abort.ts has the argument).
 */
import {
  checkHandle,
  checkTimeout,
  claimView,
  existingRegion,
  openExisting,
  type ExistingRegion,
  type Region,
} from './region.js';
import { deadlineNs, msUntil, nowNs } from './clock.js';
import { parkBlocking, type ParkLoop } from './park.js';
import { notifyCounted } from './wait-account.js';
import {
  checkedLiveSignal,
  NO_PASS_ON,
  parkAbortable,
  type AbortableWaitOptions,
  type AbortSignalLike,
} from './async-abort.js';

const COUNT = 0;
const SLEEPERS = 1;
const GHOSTS = 2;
const MAGIC = 3;
const LATCH_BYTES = 16;
const MAGIC_LATCH = 0x4c544348; // "LTCH"
const MAX_COUNT = 2 ** 31 - 1;

/** A structured-cloneable description of a latch; `Latch.from(handle)` in another worker. */
export interface LatchHandle {
  /** Always `latch`. */
  kind: 'latch';
  /** The shared memory the latch lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/**
 * A one-shot countdown in shared memory: wait() returns once countDown() has brought the count to
 * zero (Java's CountDownLatch, Go's sync.WaitGroup). It cannot be reset: use a new latch for
 * every round (many fit one buffer, Latch.BYTES each), or a Barrier.
 */
export class Latch {
  /** Bytes a Latch needs in a SharedArrayBuffer (byteOffset must be a multiple of 8). */
  static readonly BYTES = LATCH_BYTES;
  /** Pass this to another thread and call `Latch.from(handle)` there to use the same latch. */
  readonly handle: LatchHandle;
  private readonly i32: Int32Array;

  /**
   * Creates a latch whose count starts at `count` (an integer from 0 to 2^31 - 1), in `options`
   * (buffer, byteOffset) or in a buffer of its own. (An {@link ExistingRegion} opens a view of
   * the latch there instead, ignoring `count`: that is what {@link Latch.from} passes.)
   * @throws RangeError when `count` is out of range, or the region is misplaced.
   */
  constructor(count: number, options?: Partial<Region> | ExistingRegion) {
    const existing = existingRegion(options);
    if (existing === undefined && (!Number.isInteger(count) || count < 0 || count > MAX_COUNT)) {
      throw new RangeError(`Latch: count must be an integer from 0 to 2^31 - 1, got ${String(count)}`);
    }
    const layout = { bytes: LATCH_BYTES, align: 8, magicIndex: MAGIC, magic: MAGIC_LATCH };
    ({ handle: this.handle, i32: this.i32 } = claimView('Latch', 'latch', options, layout, (i32) => {
      i32[COUNT] = count;
    }));
  }

  /** A view of the latch described by `handle`, e.g. in another worker. */
  static from(handle: LatchHandle): Latch {
    const { buffer, byteOffset } = checkHandle<LatchHandle>('Latch', handle, 'latch');
    return new Latch(0, openExisting({ buffer, byteOffset }));
  }

  /**
   * Lowers the count by `n` (default 1); the call that brings it to zero wakes every waiter.
   * Never blocks. Returns the count left.
   * @throws RangeError when `n` is not an integer >= 0, or the count would go below zero (the
   *   count is then left as it was).
   */
  countDown(n = 1): number {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`Latch.countDown: n must be an integer >= 0, got ${String(n)}`);
    }
    const i32 = this.i32;
    let count = Atomics.load(i32, COUNT);
    for (;;) {
      if (count - n < 0) {
        throw new RangeError(`Latch.countDown: the count would go below zero (count ${count}, countDown(${n}))`);
      }
      const seen = Atomics.compareExchange(i32, COUNT, count, count - n);
      if (seen === count) break;
      count = seen;
    }
    const left = count - n;
    if (left === 0 && n > 0 && Atomics.load(i32, SLEEPERS) + Atomics.load(i32, GHOSTS) > 0) {
      notifyCounted(i32, COUNT);
    }
    return left;
  }

  /** The count now (a snapshot). Never blocks. */
  count(): number {
    return Atomics.load(this.i32, COUNT);
  }

  /** Waiters parked or about to park in wait() or waitAsync() now (a snapshot). Never blocks. */
  sleepers(): number {
    return Atomics.load(this.i32, SLEEPERS);
  }

  /**
   * Waits until the count is zero, as long as it takes or at most `timeoutMs`. Blocks the
   * calling thread (Atomics.wait): for workers; see waitAsync for the main thread.
   * @returns true once the count is zero (at once if it already is), false on timeout.
   * @throws RangeError when timeoutMs is below zero.
   */
  wait(timeoutMs?: number): boolean {
    const timeout = checkTimeout('Latch.wait', timeoutMs);
    if (Atomics.load(this.i32, COUNT) === 0) return true;
    return parkBlocking(this.i32, this.waitLoop(deadlineNs(nowNs(), timeout), undefined));
  }

  /**
   * wait() without blocking the thread (Atomics.waitAsync): resolves to true once the count is
   * zero, false after `options.timeoutMs`. Keeps the process alive while pending unless
   * `options.keepAlive` is false (park.ts).
   * @returns a promise that rejects with `options.signal.reason` when the signal aborts first
   *   (the waiter is then no longer counted: see the top of this file), with RangeError on a bad
   *   timeout, and with TypeError where the engine has no Atomics.waitAsync.
   */
  async waitAsync(options: AbortableWaitOptions = {}): Promise<boolean> {
    const timeout = checkTimeout('Latch.waitAsync', options.timeoutMs);
    checkedLiveSignal('Latch.waitAsync', options.signal);
    if (Atomics.load(this.i32, COUNT) === 0) return true;
    const loop = this.waitLoop(deadlineNs(nowNs(), timeout), options.signal);
    return parkAbortable('Latch.waitAsync', this.i32, loop, { index: GHOSTS, passOn: NO_PASS_ON }, options);
  }

  /** The waiting loop of wait() and waitAsync() (see the top of this file). */
  private *waitLoop(deadline: number, signal: AbortSignalLike | undefined): ParkLoop {
    const i32 = this.i32;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      for (;;) {
        const count = Atomics.load(i32, COUNT);
        if (count === 0) return true;
        const waitMs = msUntil(deadline);
        if (waitMs <= 0) return false;
        yield { index: COUNT, value: count, timeoutMs: waitMs };
        // An abort after the count reached zero comes too late: the wait is over, as Barrier's is.
        if (signal?.aborted === true && Atomics.load(i32, COUNT) !== 0) throw signal.reason;
      }
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
  }
}
