/**
 * Contention statistics of one lock, kept in shared memory for all threads together, after
 * Linux's `/proc/lock_stat`.
 *
 * Memory: sixteen Int32 words on a cache line of their own (so that threads spinning on the lock
 * word do not keep pulling the line the holder writes):
 *
 *   [0]      SEQ           a sequence lock over the words below: odd while the holder writes
 *   [1, 2]   acquisitions  every successful lock()/tryLock(), as lo, hi (value = hi * 2^32 + lo)
 *   [3, 4]   contentions   acquisitions that had to wait (first attempt failed)
 *   [5, 6]   spins         busy-wait iterations of those waits
 *   [7, 8]   parks         Atomics.wait calls of those waits
 *   [9, 10]  waitNsTotal   time from the first failed attempt to the acquisition
 *   [11, 12] waitNsMax     the longest such wait
 *   [13]     MAX_RESTART   1 while a window has started (startWindow) and no contended
 *                          acquisition has restarted waitNsMax yet; any thread sets it
 *   [14..15]               reserved
 *
 * Only the thread that holds the lock writes them, right after acquiring it and before releasing
 * it; the lock's own acquire and release (Atomics operations, sequentially consistent) order the
 * writes of successive holders, so no update is lost. Every figure is a pair of integer words
 * (exact up to 2^53), never a float: the memory model promises that no read of an integer word
 * tears (ECMA-262, IsNoTearConfiguration), and nothing of the kind for a Float64Array.
 *
 * A reader must not see a pair half-written: a contended acquisition writes its figures between
 * two increments of SEQ (a seqlock: odd means "being written"), and a reader retries until it
 * read every word between two equal, even values of SEQ. The uncontended path stays one increment
 * of the acquisitions' low word, not bracketed by SEQ: a reader sees it either before or after,
 * both true values. Only when that word wraps (every 2^32 acquisitions) does the carry into the
 * high word go through SEQ.
 *
 * A window of the figures needs no reset, so no thread has to take the lock to start one (a
 * timed waiter of a FIFO lock that is never free of queued waiters would wait for ever: see
 * docs/locks.md): startWindow() reads the figures, to be subtracted from a later read
 * (statsSince), and sets MAX_RESTART; the next contended acquisition then writes its own wait as
 * waitNsMax instead of the larger of the two, and clears the flag, and a read while the flag is
 * still set reports waitNsMax 0 (nothing contended since). An acquisition in flight at the moment
 * the window starts lands on one side or the other, as at any edge.
 *
 * `timeouts` (attempts given up by `lock(timeoutMs)`) are counted by threads that do not hold the
 * lock, so they live in an Int32 control word updated with `Atomics.add` (see lock-base.ts).
 */

import { readConsistent } from './seqlock.js';

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
const SEQ = 0;
const ACQUISITIONS = 1;
const CONTENTIONS = 3;
const SPINS = 5;
const PARKS = 7;
const WAIT_NS_TOTAL = 9;
const WAIT_NS_MAX = 11;
const FIGURE_WORDS = 13;
const MAX_RESTART = 13;
const TWO_32 = 2 ** 32;

/** Writer and reader of a lock's statistics block; see the file comment for the layout. */
export class LockStatsBlock {
  private readonly i32: Int32Array;

  constructor(buffer: SharedArrayBuffer, byteOffset: number) {
    this.i32 = new Int32Array(buffer, byteOffset, STATS_BYTES / 4);
  }

  /** Holder only: an acquisition that succeeded at the first attempt. */
  countUncontended(): void {
    const i32 = this.i32;
    const lo = i32[ACQUISITIONS]!;
    if (lo !== -1) {
      i32[ACQUISITIONS] = lo + 1;
      return;
    }
    Atomics.add(i32, SEQ, 1);
    this.add(ACQUISITIONS, 1);
    Atomics.add(i32, SEQ, 1);
  }

  /** Holder only: an acquisition that waited `waitNs` with this many spins and parks. */
  countContended(spins: number, parks: number, waitNs: number): void {
    const i32 = this.i32;
    Atomics.add(i32, SEQ, 1);
    this.add(ACQUISITIONS, 1);
    this.add(CONTENTIONS, 1);
    this.add(SPINS, spins);
    this.add(PARKS, parks);
    this.add(WAIT_NS_TOTAL, waitNs);
    if (Atomics.load(i32, MAX_RESTART) !== 0) {
      Atomics.store(i32, MAX_RESTART, 0);
      this.set(WAIT_NS_MAX, waitNs);
    } else if (waitNs > this.own(WAIT_NS_MAX)) {
      this.set(WAIT_NS_MAX, waitNs);
    }
    Atomics.add(i32, SEQ, 1);
  }

  /** Holder only: zero every figure. */
  clear(): void {
    const i32 = this.i32;
    Atomics.add(i32, SEQ, 1);
    for (let w = ACQUISITIONS; w < FIGURE_WORDS; w++) Atomics.store(i32, w, 0);
    Atomics.store(i32, MAX_RESTART, 0);
    Atomics.add(i32, SEQ, 1);
  }

  /**
   * Any thread, no lock taken: starts a window (see the file comment) and returns the figures
   * before it, for statsSince().
   */
  startWindow(timeouts: number): LockStats {
    Atomics.store(this.i32, MAX_RESTART, 1);
    return this.read(timeouts);
  }

  /** Reads the figures, each one whole: exact once the threads using the lock are quiet, a snapshot while they run. */
  read(timeouts: number): LockStats {
    return readConsistent(
      this.i32,
      SEQ,
      (): LockStats => ({
        acquisitions: this.get(ACQUISITIONS),
        contentions: this.get(CONTENTIONS),
        spins: this.get(SPINS),
        parks: this.get(PARKS),
        waitNsTotal: this.get(WAIT_NS_TOTAL),
        waitNsMax: Atomics.load(this.i32, MAX_RESTART) !== 0 ? 0 : this.get(WAIT_NS_MAX),
        timeouts,
      }),
      "a lock's statistics",
    );
  }

  /** The figure whose low word is at `at`, as another thread reads it. */
  private get(at: number): number {
    return Atomics.load(this.i32, at + 1) * TWO_32 + (Atomics.load(this.i32, at) >>> 0);
  }

  /** The figure whose low word is at `at`, as the holder (its only writer) reads it: plain reads. */
  private own(at: number): number {
    return this.i32[at + 1]! * TWO_32 + (this.i32[at]! >>> 0);
  }

  /** Holder only, between the two increments of SEQ: sets the figure at `at`. */
  private set(at: number, value: number): void {
    const hi = Math.floor(value / TWO_32);
    Atomics.store(this.i32, at, (value - hi * TWO_32) | 0);
    if (hi !== this.i32[at + 1]) Atomics.store(this.i32, at + 1, hi);
  }

  /** Holder only, between the two increments of SEQ: adds `n` to the figure at `at`. */
  private add(at: number, n: number): void {
    const lo = (this.i32[at]! >>> 0) + n;
    if (lo < TWO_32) Atomics.store(this.i32, at, lo | 0);
    else this.set(at, this.own(at) + n);
  }
}

/**
 * The figures of a window: `after` less `before` (startWindow's), except waitNsMax, which the
 * window restarted and so is `after`'s own.
 */
export function statsSince(before: LockStats, after: LockStats): LockStats {
  return {
    acquisitions: after.acquisitions - before.acquisitions,
    contentions: after.contentions - before.contentions,
    spins: after.spins - before.spins,
    parks: after.parks - before.parks,
    waitNsTotal: after.waitNsTotal - before.waitNsTotal,
    waitNsMax: after.waitNsMax,
    timeouts: after.timeouts - before.timeouts,
  };
}
