/**
 * AdaptiveLock: a futex mutex with a bounded, adaptive spin, parking in Atomics.wait. The lock
 * to use in code of your own.
 *
 * Algorithm: Drepper's futex mutex (futex-lock.ts), preceded by a spin whose length adapts
 * (spin-budget.ts), in the spirit of glibc's PTHREAD_MUTEX_ADAPTIVE_NP (nptl/pthread_mutex_lock.c,
 * __pthread_mutex_lock: a trylock loop of at most max_cnt iterations, learned from the spins of
 * earlier waits, before the futex wait). The lock word and its states are FutexLock's:
 *   0  free
 *   1  held, nobody waiting
 *   2  held, waiters may be parked
 *
 * Acquire: CAS 0->1 (the whole uncontended path). Otherwise spin up to the budget, retrying the
 * CAS when the word reads 0; then Drepper's waiting loop. Release: FutexLock's, which also says
 * how async and blocking waiters mix (a release wakes one of each: no order is promised) and what
 * recover() undoes for a dead thread.
 *
 * Option `eventualFairness` (off by default): a waiter that has waited longer than a threshold
 * (1 ms by default) is handed the lock by the next release, as in Go's starvation mode and
 * parking_lot's eventual fairness; spinners cannot take a lock that is being handed over (their
 * compare-and-swap wants the word free). The algorithm and its sources are at the top of
 * futex-lock.ts.
 */
import { openExisting, type ExistingRegion, type Region } from './region.js';
import { nowNs } from './clock.js';
import { parkBlocking } from './park.js';
import { LockBase, type LockHandle } from './lock-base.js';
import { FUTEX_LOCK_BYTES, FutexLock, type FairnessOptions } from './futex-lock.js';
import {
  adaptSpinBudget,
  configureSpin,
  currentSpinBudget,
  DEFAULT_SPIN_MAX,
  lastSpinEndNs,
  spinUntil,
  type SpinOptions,
} from './spin-budget.js';

const MAGIC_ADAPTIVE = 0x41445054; // "ADPT"

/** Options of a new AdaptiveLock: where it lives, its spin budget, and its eventual fairness (off by default). */
export interface AdaptiveLockOptions extends Partial<Region>, SpinOptions, FairnessOptions {}

/** A futex mutex with an adaptive spin that parks in Atomics.wait: the lock to use in code of your own. */
export class AdaptiveLock extends FutexLock {
  /** Bytes an AdaptiveLock needs in a SharedArrayBuffer. */
  static readonly BYTES = FUTEX_LOCK_BYTES;
  /** Default ceiling of the spin budget (see spin-budget.ts). */
  static readonly DEFAULT_SPIN_MAX = DEFAULT_SPIN_MAX;
  readonly kind = 'adaptive' as const;

  /**
   * Creates a lock in `options` (buffer, byteOffset), or in a buffer of its
   * own. byteOffset must be a multiple of 8. (An {@link ExistingRegion} opens
   * a view instead: that is what {@link AdaptiveLock.from} passes.)
   * @throws RangeError when `eventualFairness` is not true, false or `{ afterMs }` with afterMs
   *   from 0 to 1000000, or a spin option is out of range.
   */
  constructor(options?: AdaptiveLockOptions | ExistingRegion) {
    super('AdaptiveLock', 'adaptive-lock', MAGIC_ADAPTIVE, options);
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
    const spun = spinUntil(this.take, currentSpinBudget(i32), undefined, start);
    if (spun > 0) {
      this.countContended(spun, 0, lastSpinEndNs - start);
      adaptSpinBudget(i32, true);
      return true;
    }
    adaptSpinBudget(i32, false);
    return parkBlocking(i32, this.parkLoop(start, -spun, timeoutMs));
  }
}
