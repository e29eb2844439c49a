/**
 * Barrier: a reusable rendezvous of a fixed number of parties, round after round; each round
 * ("generation") completes when the last party arrives, and that party is its leader.
 *
 * Algorithm: the centralized barrier with sense reversal of Mellor-Crummey and Scott,
 * "Algorithms for Scalable Synchronization on Shared-Memory Multiprocessors" (ACM TOCS 9(1),
 * 1991, section 3.3, Algorithm 7), with a generation number in place of the sense bit, as in
 * Java's CyclicBarrier (its Generation object). The arrival count and the generation share one
 * 64-bit word, so that one compare-and-swap both counts an arrival and, for the last one,
 * completes the generation (the count back to 0, the generation up by 1): the leader is the
 * thread whose compare-and-swap did that. Waiters park on a separate sequence word, BELL, as on
 * an eventcount (doorbell.ts): a waiter counts itself in SLEEPERS, reads BELL, re-reads the
 * generation, and parks on BELL only while its generation is still the current one. The leader,
 * after its compare-and-swap, reads SLEEPERS + GHOSTS and, only when that is above 0, bumps BELL
 * and notifies every waiter. No wake-up is lost (all Atomics are sequentially consistent): a
 * leader that reads SLEEPERS as 0 completed the generation before the waiter counted itself, so
 * the waiter's re-read sees it; one that reads it as above 0 bumps BELL after the waiter read
 * BELL, so the waiter's park returns at once or is notified.
 *
 * A wait that times out, or whose signal aborts, takes its arrival back (a compare-and-swap that
 * lowers the count, refused once the generation is no longer its own), so the barrier stays
 * usable and the other parties still wait for a full set: unlike Java's CyclicBarrier, which
 * breaks the barrier for every party. If the generation completed first, the timeout or the
 * abort came too late: the party counts as passed and the wait returns (resolves to) its pass,
 * as Java's await does when the interrupt comes after the barrier tripped. Aborted async waits
 * leave ghosts, not sleepers (async-abort.ts explains the cancellation); the leader's notify flushes them.
 *
 * Memory (eight Int32 words, 32 bytes; byteOffset a multiple of 8):
 *   [0..1] STATE     one 64-bit word (BigUint64): generation in the high 32 bits, arrivals of
 *                    that generation in the low 32; every arrival and withdrawal compare-and-swaps it
 *   [2] BELL         sequence word the waiters park on; the leader bumps it when sleepers are counted
 *   [3] SLEEPERS     parties parked or about to park (wait, waitAsync); each adds and subtracts its own 1
 *   [4] GHOSTS       aborted waitAsync parks still on BELL's wait list (async-abort.ts)
 *   [5] PARTIES      the number of parties; written once by the creator
 *   [6] MAGIC        marks the region as an initialised Barrier; written once, last, by the creator
 *   [7]              unused
 * Generations wrap past 2^32 - 1 to 0.
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

const STATE = 0; // index in the BigUint64Array view
const BELL = 2;
const SLEEPERS = 3;
const GHOSTS = 4;
const PARTIES = 5;
const MAGIC = 6;
const BARRIER_BYTES = 32;
const MAGIC_BARRIER = 0x42415252; // "BARR"
const MAX_PARTIES = 2 ** 31 - 1;
const ARRIVED_MASK = 0xffffffffn;

/** What a party that passed the barrier learns. */
export interface BarrierPass {
  /** The generation (round) it passed: 0 for the first, up by 1 each round. */
  generation: number;
  /** Whether it was the party that completed the generation (exactly one per generation). */
  leader: boolean;
}

/** A structured-cloneable description of a barrier; `Barrier.from(handle)` in another worker. */
export interface BarrierHandle {
  /** Always `barrier`. */
  kind: 'barrier';
  /** The shared memory the barrier lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/**
 * A reusable barrier of `parties` threads in shared memory (Mellor-Crummey and Scott's
 * centralized barrier, counting generations like Java's CyclicBarrier): wait() returns once all
 * parties have called it, then the barrier is ready for the next round.
 */
export class Barrier {
  /** Bytes a Barrier needs in a SharedArrayBuffer (byteOffset must be a multiple of 8). */
  static readonly BYTES = BARRIER_BYTES;
  /** Pass this to another thread and call `Barrier.from(handle)` there to use the same barrier. */
  readonly handle: BarrierHandle;
  /** How many parties each generation waits for. */
  readonly parties: number;
  private readonly i32: Int32Array;
  private readonly state: BigUint64Array;

  /**
   * Creates a barrier for `parties` parties (an integer from 1 to 2^31 - 1), in `options`
   * (buffer, byteOffset) or in a buffer of its own. (An {@link ExistingRegion} opens a view of
   * the barrier there instead, ignoring `parties`: that is what {@link Barrier.from} passes.)
   * @throws RangeError when `parties` is out of range, or the region is misplaced.
   */
  constructor(parties: number, options?: Partial<Region> | ExistingRegion) {
    const existing = existingRegion(options);
    if (existing === undefined && (!Number.isInteger(parties) || parties < 1 || parties > MAX_PARTIES)) {
      throw new RangeError(`Barrier: parties must be an integer from 1 to 2^31 - 1, got ${String(parties)}`);
    }
    const layout = { bytes: BARRIER_BYTES, align: 8, magicIndex: MAGIC, magic: MAGIC_BARRIER };
    ({ handle: this.handle, i32: this.i32 } = claimView('Barrier', 'barrier', options, layout, (i32) => {
      i32[PARTIES] = parties;
    }));
    this.state = new BigUint64Array(this.handle.buffer, this.handle.byteOffset, 1);
    this.parties = this.i32[PARTIES]!;
  }

  /** A view of the barrier described by `handle`, e.g. in another worker. */
  static from(handle: BarrierHandle): Barrier {
    const { buffer, byteOffset } = checkHandle<BarrierHandle>('Barrier', handle, 'barrier');
    return new Barrier(0, openExisting({ buffer, byteOffset }));
  }

  /** The generation now in progress (a snapshot): how many have completed, modulo 2^32. Never blocks. */
  generation(): number {
    return Number(Atomics.load(this.state, STATE) >> 32n);
  }

  /** Parties that have arrived in the generation now in progress (a snapshot). Never blocks. */
  arrived(): number {
    return Number(Atomics.load(this.state, STATE) & ARRIVED_MASK);
  }

  /** Parties parked or about to park in wait() or waitAsync() now (a snapshot). Never blocks. */
  sleepers(): number {
    return Atomics.load(this.i32, SLEEPERS);
  }

  /**
   * Arrives and waits until all parties of this generation have arrived, as long as it takes or
   * at most `timeoutMs`. Blocks the calling thread (Atomics.wait): for workers; see waitAsync.
   * @returns the pass (its generation, and whether this party was the leader), or null on
   *   timeout: the arrival was then taken back (see the top of this file).
   * @throws RangeError when timeoutMs is below zero.
   */
  wait(timeoutMs?: number): BarrierPass | null {
    const timeout = checkTimeout('Barrier.wait', timeoutMs);
    const start = nowNs();
    const pass = this.arrive();
    if (pass.leader) return pass;
    return parkBlocking(this.i32, this.waitLoop(pass.generation, deadlineNs(start, timeout), undefined)) ? pass : null;
  }

  /**
   * wait() without blocking the thread (Atomics.waitAsync). Keeps the process alive while pending
   * unless `options.keepAlive` is false (park.ts).
   * @returns a promise of the pass, or of null after `options.timeoutMs` (the arrival taken
   *   back); it rejects with `options.signal.reason` when the signal aborts before the generation
   *   completes (the arrival taken back, no sleeper left counted; an already aborted signal
   *   rejects before arriving), with RangeError on a bad timeout, and with TypeError where the
   *   engine has no Atomics.waitAsync.
   */
  async waitAsync(options: AbortableWaitOptions = {}): Promise<BarrierPass | null> {
    const timeout = checkTimeout('Barrier.waitAsync', options.timeoutMs);
    checkedLiveSignal('Barrier.waitAsync', options.signal);
    const start = nowNs();
    const pass = this.arrive();
    if (pass.leader) return pass;
    const loop = this.waitLoop(pass.generation, deadlineNs(start, timeout), options.signal);
    const ghosts = { index: GHOSTS, passOn: NO_PASS_ON };
    const passed = await parkAbortable('Barrier.waitAsync', this.i32, loop, ghosts, options);
    return passed ? pass : null;
  }

  /** Counts an arrival; the last one of a generation completes it and wakes the sleepers. */
  private arrive(): BarrierPass {
    const state = this.state;
    let s = Atomics.load(state, STATE);
    for (;;) {
      const generation = Number(s >> 32n);
      const leader = Number(s & ARRIVED_MASK) + 1 === this.parties;
      const next = leader ? BigInt((generation + 1) >>> 0) << 32n : s + 1n;
      const seen = Atomics.compareExchange(state, STATE, s, next);
      if (seen === s) {
        if (leader) this.wakeAll();
        return { generation, leader };
      }
      s = seen;
    }
  }

  /** Takes back an arrival in `generation`; false when that generation completed first (the party passed). */
  private withdraw(generation: number): boolean {
    const state = this.state;
    let s = Atomics.load(state, STATE);
    for (;;) {
      if (Number(s >> 32n) !== generation) return false;
      const seen = Atomics.compareExchange(state, STATE, s, s - 1n);
      if (seen === s) return true;
      s = seen;
    }
  }

  private wakeAll(): void {
    const i32 = this.i32;
    if (Atomics.load(i32, SLEEPERS) + Atomics.load(i32, GHOSTS) === 0) return;
    Atomics.add(i32, BELL, 1);
    notifyCounted(i32, BELL);
  }

  /**
   * The waiting loop of a party that arrived in `generation` and did not complete it: true once
   * the generation has completed, false when it timed out and took its arrival back.
   */
  private *waitLoop(generation: number, deadline: number, signal: AbortSignalLike | undefined): ParkLoop {
    const i32 = this.i32;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      for (;;) {
        const bell = Atomics.load(i32, BELL);
        if (this.generation() !== generation) return true;
        if (signal?.aborted === true) {
          if (this.withdraw(generation)) throw signal.reason;
          return true; // the generation completed before the abort: passed
        }
        const waitMs = msUntil(deadline);
        if (waitMs <= 0) return !this.withdraw(generation);
        yield { index: BELL, value: bell, timeoutMs: waitMs };
      }
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
  }
}
