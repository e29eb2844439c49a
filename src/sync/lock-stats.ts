/**
 * Contention statistics of one lock, kept in shared memory for all threads
 * together, after Linux's `/proc/lock_stat`.
 *
 * Memory: eight float64 words on a cache line of their own (so that threads
 * spinning on the lock word do not keep pulling the line the holder writes):
 *
 *   [0] acquisitions   every successful lock()/tryLock()
 *   [1] contentions    acquisitions that had to wait (first attempt failed)
 *   [2] spins          busy-wait iterations of those waits
 *   [3] parks          Atomics.wait calls of those waits
 *   [4] waitNsTotal    time from the first failed attempt to the acquisition
 *   [5] waitNsMax      the longest such wait
 *   [6..7]             reserved
 *
 * Why plain (non-atomic) float64 writes are exact: only the thread that holds
 * the lock writes them, right after acquiring it and before releasing it. The
 * lock's own acquire/release (`Atomics` operations, sequentially consistent)
 * order these writes between holders, so no update is lost. float64 counts
 * exactly up to 2^53, and timing happens only on the contended path, so the
 * uncontended path stays one compare-and-swap, one store and one increment.
 *
 * `timeouts` (attempts given up by `lock(timeoutMs)`) are counted by threads
 * that do not hold the lock, so they live in an Int32 control word updated
 * with `Atomics.add` (see lock-base.ts).
 */

/** A snapshot of one lock's statistics. Times are in nanoseconds. */
export interface LockStats {
  /** Times the lock was acquired, by any way in (lock, lockAsync, tryLock, with..., hold...). */
  acquisitions: number;
  /** Acquisitions whose first attempt failed, so that they had to wait (as Linux's lock_stat counts). */
  contentions: number;
  /** Busy-wait iterations (async waits: polls) spent by the contended acquisitions. */
  spins: number;
  /** Atomics.wait or Atomics.waitAsync calls made by the contended acquisitions. */
  parks: number;
  /** Time from the first failed attempt to the acquisition, summed over the contended ones, ns. */
  waitNsTotal: number;
  /** The longest such wait, ns. */
  waitNsMax: number;
  /**
   * `lock(timeoutMs)` and `lockAsync(timeoutMs)` calls that gave up. Their spins and parks
   * are not in the figures above.
   */
  timeouts: number;
}

export const STATS_BYTES = 64;
/** Word indices of the figures, shared with atomic-stats.ts (the same layout in integer words). */
export const ACQUISITIONS = 0;
export const CONTENTIONS = 1;
export const SPINS = 2;
export const PARKS = 3;
export const WAIT_NS_TOTAL = 4;
export const WAIT_NS_MAX = 5;

/** Writer and reader of a lock's statistics block; see the file comment for the layout. */
export class LockStatsBlock {
  private readonly f64: Float64Array;

  constructor(buffer: SharedArrayBuffer, byteOffset: number) {
    this.f64 = new Float64Array(buffer, byteOffset, STATS_BYTES / 8);
  }

  /** Holder only: an acquisition that succeeded at the first attempt. */
  countUncontended(): void {
    const f = this.f64;
    f[ACQUISITIONS] = f[ACQUISITIONS]! + 1;
  }

  /** Holder only: an acquisition that waited `waitNs` with this many spins and parks. */
  countContended(spins: number, parks: number, waitNs: number): void {
    const f = this.f64;
    f[ACQUISITIONS] = f[ACQUISITIONS]! + 1;
    f[CONTENTIONS] = f[CONTENTIONS]! + 1;
    f[SPINS] = f[SPINS]! + spins;
    f[PARKS] = f[PARKS]! + parks;
    f[WAIT_NS_TOTAL] = f[WAIT_NS_TOTAL]! + waitNs;
    if (waitNs > f[WAIT_NS_MAX]!) f[WAIT_NS_MAX] = waitNs;
  }

  /** Holder only: zero every figure. */
  clear(): void {
    this.f64.fill(0);
  }

  /** Reads the figures. Exact once the threads using the lock are quiet; a close approximation while they run. */
  read(timeouts: number): LockStats {
    const f = this.f64;
    return {
      acquisitions: f[ACQUISITIONS]!,
      contentions: f[CONTENTIONS]!,
      spins: f[SPINS]!,
      parks: f[PARKS]!,
      waitNsTotal: Math.round(f[WAIT_NS_TOTAL]!),
      waitNsMax: Math.round(f[WAIT_NS_MAX]!),
      timeouts,
    };
  }
}
