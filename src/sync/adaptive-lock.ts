/**
 * AdaptiveLock: a futex mutex with a bounded, adaptive spin, parking in
 * Atomics.wait. The lock to use in code of your own.
 *
 * Algorithm: "mutex, take 3" of Ulrich Drepper, "Futexes Are Tricky" (2011),
 * with Atomics.wait/notify in place of the futex system call, preceded by a
 * spin whose length adapts (spin-budget.ts). Drepper's third state says
 * "somebody may be waiting"; on top of it a sleeper count lets unlock() skip
 * Atomics.notify unless a thread is actually parked or about to park, because
 * in V8 every notify takes a process-wide mutex.
 *
 * Lock word (STATE, see lock-base.ts):
 *   0  free
 *   1  held, nobody waiting
 *   2  held, waiters may be parked
 * SLEEPERS counts threads between "I will park" and "I have the lock".
 *
 * Acquire: CAS 0->1 (the whole uncontended path). Otherwise spin up to the
 * budget, retrying the CAS when the word reads 0; then SLEEPERS += 1 and
 * exchange the word to 2 until the exchange returns 0, parking on "word == 2"
 * in between. Release: exchange the word to 0; if it was 2 and SLEEPERS > 0,
 * wake one. A sleeper counted before the exchange is always seen by the
 * releaser (all Atomics are sequentially consistent), and a sleeper that parks
 * after the release finds the word no longer 2 and returns at once, so no
 * wake-up is lost.
 *
 * lockAsync() runs the same waiting loop (parkLoop) with Atomics.waitAsync in place of
 * Atomics.wait (park.ts), after a poll of a few microseconds instead of the spin; an async
 * waiter counts in SLEEPERS like a blocking one, and the releaser's notify wakes either.
 */
import { openExisting, type ExistingRegion, type Region } from './region.js';
import { nowNs } from './clock.js';
import { notifyCounted, onCpuNs, threadWaits } from './wait-account.js';
import { parkBlocking, type ParkLoop } from './park.js';
import { BASE_BYTES, CasLock, LockBase, SLEEPERS, STATE, type LockHandle } from './lock-base.js';
import {
  adaptSpinBudget,
  configureSpin,
  currentSpinBudget,
  DEFAULT_SPIN_MAX,
  type SpinOptions,
} from './spin-budget.js';

const MAGIC_ADAPTIVE = 0x41445054; // "ADPT"
/** Longest single park, ms, so that a poisoned lock is noticed. */
const POISON_SLICE_MS = 100;

/** Options of a new AdaptiveLock: where it lives, and its spin budget. */
export interface AdaptiveLockOptions extends Partial<Region>, SpinOptions {}

/** A futex mutex with an adaptive spin that parks in Atomics.wait: the lock to use in code of your own. */
export class AdaptiveLock extends CasLock {
  /** Bytes an AdaptiveLock needs in a SharedArrayBuffer. */
  static readonly BYTES = BASE_BYTES;
  /** Default ceiling of the spin budget (see spin-budget.ts). */
  static readonly DEFAULT_SPIN_MAX = DEFAULT_SPIN_MAX;
  readonly kind = 'adaptive' as const;

  /**
   * Creates a lock in `options` (buffer, byteOffset), or in a buffer of its
   * own. byteOffset must be a multiple of 8. (An {@link ExistingRegion} opens
   * a view instead: that is what {@link AdaptiveLock.from} passes.)
   */
  constructor(options?: AdaptiveLockOptions | ExistingRegion) {
    super('AdaptiveLock', 'adaptive-lock', MAGIC_ADAPTIVE, AdaptiveLock.BYTES, options);
    if (this.created) configureSpin('AdaptiveLock', this.i32, options as AdaptiveLockOptions | undefined);
  }

  /** A view of the AdaptiveLock described by `handle`, e.g. in another worker. */
  static from(handle: LockHandle): AdaptiveLock {
    const h = LockBase.checkedHandle('AdaptiveLock', handle, 'adaptive-lock');
    return new AdaptiveLock(openExisting(h));
  }

  protected lockSlow(timeoutMs: number): boolean {
    const i32 = this.i32;
    const start = nowNs();
    const budget = currentSpinBudget(i32);
    let spins = 0;
    while (spins < budget) {
      spins++;
      if (this.take()) {
        adaptSpinBudget(i32, true);
        const end = nowNs();
        threadWaits.spinNs += onCpuNs(end - start);
        this.acquiredContended(spins, 0, end - start);
        return true;
      }
    }
    threadWaits.spinNs += onCpuNs(nowNs() - start);
    adaptSpinBudget(i32, false);
    return parkBlocking(i32, this.parkLoop(start, spins, timeoutMs));
  }

  /** Drepper's waiting loop (see the top of this file), for lock() and lockAsync() alike. */
  protected *parkLoop(start: number, spins: number, timeoutMs: number): ParkLoop {
    const i32 = this.i32;
    const deadlineMs = timeoutMs === Infinity ? Infinity : start / 1e6 + timeoutMs;
    let parks = 0;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      while (Atomics.exchange(i32, STATE, 2) !== 0) {
        const waitMs = this.beforeTimedPark(deadlineMs);
        if (waitMs <= 0) return false;
        parks++;
        // poison() cannot make this wait return by changing STATE (the holder
        // owns it), and its notify can slip in between checkPoison() and the
        // wait; so a long wait is taken in slices that re-check the poison.
        yield { index: STATE, value: 2, timeoutMs: waitMs < POISON_SLICE_MS ? waitMs : POISON_SLICE_MS };
      }
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
    this.acquiredContended(spins, parks, nowNs() - start);
    return true;
  }

  protected wakeAllWaiters(): void {
    Atomics.notify(this.i32, STATE);
  }

  protected release(): void {
    if (Atomics.exchange(this.i32, STATE, 0) === 2 && Atomics.load(this.i32, SLEEPERS) > 0) {
      notifyCounted(this.i32, STATE, 1);
    }
  }
}
