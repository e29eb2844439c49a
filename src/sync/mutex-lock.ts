/**
 * MutexLock: Drepper's futex mutex with no spin at all, as QEMU's QemuMutex is.
 *
 * What it stands for: QEMU's QemuMutex (util/qemu-thread-posix.c: qemu_mutex_init calls
 * pthread_mutex_init with default attributes, qemu_mutex_lock_impl calls pthread_mutex_lock),
 * which on Linux is glibc's default mutex kind, PTHREAD_MUTEX_TIMED_NP: in glibc's
 * nptl/pthread_mutex_lock.c (__pthread_mutex_lock) that kind goes straight to lll_lock, the
 * futex mutex of Ulrich Drepper, "Futexes Are Tricky" (2011), "mutex, take 3"; only the
 * PTHREAD_MUTEX_ADAPTIVE_NP kind spins first (that one is AdaptiveLock here).
 *
 * Algorithm and lock word: futex-lock.ts (0 free, 1 held, 2 held with waiters that may sleep).
 * Acquire: CAS 0->1; on failure, park at once in Drepper's loop. Release: exchange to 0, and
 * when the word was 2, wake one blocking sleeper and the async ones, each only if one is counted.
 * futex-lock.ts also says how async and blocking waiters mix (no order is promised) and what
 * recover() undoes for a dead thread.
 *
 * Option `eventualFairness` (off by default, as QemuMutex has none): a waiter that has waited
 * longer than a threshold (1 ms by default) is handed the lock by the next release, as in Go's
 * starvation mode and parking_lot's eventual fairness; the algorithm and its sources are at the
 * top of futex-lock.ts.
 */
import { openExisting, type ExistingRegion, type Region } from './region.js';
import { nowNs } from './clock.js';
import { parkBlocking } from './park.js';
import { LockBase, type LockHandle } from './lock-base.js';
import { FUTEX_LOCK_BYTES, FutexLock, type FairnessOptions } from './futex-lock.js';

const MAGIC_MUTEX = 0x4d555458; // "MUTX"

/**
 * Options of a new MutexLock: where it lives (it has no spin to configure), and its eventual
 * fairness (`eventualFairness`: true, or `{ afterMs }`; off by default).
 */
export interface MutexLockOptions extends Partial<Region>, FairnessOptions {}

/** A futex mutex that never spins: QemuMutex, i.e. glibc's default pthread mutex. */
export class MutexLock extends FutexLock {
  /** Bytes a MutexLock needs in a SharedArrayBuffer. */
  static readonly BYTES = FUTEX_LOCK_BYTES;
  readonly kind = 'mutex' as const;

  /**
   * Creates a lock in `region` (buffer, byteOffset), or in a buffer of its own. byteOffset
   * must be a multiple of 8. (An {@link ExistingRegion} opens a view instead: that is what
   * {@link MutexLock.from} passes.)
   * @throws RangeError when `eventualFairness` is not true, false or `{ afterMs }` with afterMs
   *   from 0 to 1000000.
   */
  constructor(region?: MutexLockOptions | ExistingRegion) {
    super('MutexLock', 'mutex-lock', MAGIC_MUTEX, region);
  }

  /** A view of the MutexLock described by `handle`, e.g. in another worker. */
  static from(handle: LockHandle): MutexLock {
    const h = LockBase.checkedHandle('MutexLock', handle, 'mutex-lock');
    return new MutexLock(openExisting(h));
  }

  protected lockSlow(timeoutMs: number): boolean {
    return parkBlocking(this.i32, this.parkLoop(nowNs(), 0, timeoutMs));
  }
}
