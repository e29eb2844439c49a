/**
 * Contention statistics that many threads update at once, without holding any lock: the
 * figures of lock-stats.ts (same meaning, same LockStats snapshot) in integer words changed
 * only with Atomics.
 *
 * Memory: eight BigInt64 words on a cache line of their own (byteOffset a multiple of 8), the
 * figures in the order of LockStats:
 *
 *   [0] acquisitions   every acquisition (for a multi-producer ring: every reservation)
 *   [1] contentions    acquisitions that had to wait
 *   [2] spins          busy-wait iterations of those waits
 *   [3] parks          Atomics.wait calls of those waits
 *   [4] waitNsTotal    their waiting time, whole nanoseconds
 *   [5] waitNsMax      the longest such wait
 *   [6..7]             reserved
 *
 * Why a block apart from lock-stats.ts: a LockStatsBlock has one writer at a time, the holder of
 * its lock, so a seqlock over Int32 pairs keeps its uncontended path to one increment; here
 * writers race, so every update is one Atomics.add (or, for the maximum, a compare-and-swap loop
 * that only ever raises the word), and no update is lost.
 * A 64-bit word does not wrap in practice (2^63 ns is 292 years), and an Atomics.add on a
 * BigInt64Array costs about what one on an Int32Array does (9.5 against 8 ns on Node 20,
 * x86-64). Counts are read back as numbers, exact up to 2^53.
 *
 * What a reader gets while writers run: each word is read (or cleared) atomically, so every
 * update lands in exactly one snapshot, but the words are not read at one instant together: a
 * snapshot may show an acquisition whose contention is not in yet (never the reverse: a writer
 * counts the acquisition first, a reader takes it last). drain() clears word by word with
 * Atomics.exchange: no update is lost or counted twice, but one acquisition's figures may straddle
 * the reset (its acquisition before it, its wait after). Once the writers are quiet the figures
 * are exact.
 */
import { STATS_BYTES, type LockStats } from './lock-stats.js';

/** Word of each figure. */
const ACQUISITIONS = 0;
const CONTENTIONS = 1;
const SPINS = 2;
const PARKS = 3;
const WAIT_NS_TOTAL = 4;
const WAIT_NS_MAX = 5;

/** Bytes an AtomicStatsBlock needs: one cache line, as a LockStatsBlock. */
export const ATOMIC_STATS_BYTES = STATS_BYTES;
/** How many words hold figures (the rest are reserved). */
const FIGURES = WAIT_NS_MAX + 1;

/** Writer and reader of statistics that threads update concurrently; see the file comment. */
export class AtomicStatsBlock {
  private readonly words: BigInt64Array;

  /** A view of the block at `byteOffset` (a multiple of 8) of `buffer`, zeroed by whoever allocated it. */
  constructor(buffer: SharedArrayBuffer, byteOffset: number) {
    this.words = new BigInt64Array(buffer, byteOffset, ATOMIC_STATS_BYTES / 8);
  }

  /** Any thread: an acquisition that did not wait. */
  countUncontended(): void {
    Atomics.add(this.words, ACQUISITIONS, 1n);
  }

  /** Any thread: an acquisition that waited `waitNs` with this many spins and parks. */
  countContended(spins: number, parks: number, waitNs: number): void {
    const w = this.words;
    const ns = BigInt(Math.max(0, Math.round(waitNs)));
    // The acquisition first, the figures of its wait after: a reader takes them in the other order.
    Atomics.add(w, ACQUISITIONS, 1n);
    Atomics.add(w, CONTENTIONS, 1n);
    Atomics.add(w, SPINS, BigInt(spins));
    Atomics.add(w, PARKS, BigInt(parks));
    Atomics.add(w, WAIT_NS_TOTAL, ns);
    for (let max = Atomics.load(w, WAIT_NS_MAX); ns > max; ) {
      const seen = Atomics.compareExchange(w, WAIT_NS_MAX, max, ns);
      if (seen === max) break;
      max = seen;
    }
  }

  /** Reads the figures (see the file comment for what a read while writers run shows). */
  read(timeouts = 0): LockStats {
    return this.snapshot((index) => Atomics.load(this.words, index), timeouts);
  }

  /** Reads and zeroes every figure, each in one Atomics.exchange; returns what it cleared. */
  drain(timeouts = 0): LockStats {
    return this.snapshot((index) => Atomics.exchange(this.words, index, 0n), timeouts);
  }

  private snapshot(take: (index: number) => bigint, timeouts: number): LockStats {
    // Last word first: a writer counts the acquisition before its contention, so a snapshot that
    // holds a contention holds its acquisition too (contentions <= acquisitions).
    const figures = new Array<number>(FIGURES);
    for (let index = FIGURES - 1; index >= 0; index--) figures[index] = Number(take(index));
    return {
      acquisitions: figures[ACQUISITIONS]!,
      contentions: figures[CONTENTIONS]!,
      spins: figures[SPINS]!,
      parks: figures[PARKS]!,
      waitNsTotal: figures[WAIT_NS_TOTAL]!,
      waitNsMax: figures[WAIT_NS_MAX]!,
      timeouts,
    };
  }
}
