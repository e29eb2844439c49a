/**
 * MultiProducerRing: the ring any number of threads may push into at once without a lock, for
 * ONE consumer: the core of ring-core.ts, whose consumer side (cached one-item pop, batch pop)
 * it uses unchanged, plus a reservation block for its producers.
 *
 * Algorithm: DPDK's multi-producer enqueue (DPDK, lib/ring: `__rte_ring_move_prod_head` and
 * `__rte_ring_update_tail` in rte_ring_elem_pvt.h, whose compare-and-swap loop lives in
 * `__rte_ring_headtail_move_head_mt` of rte_ring_c11_pvt.h since DPDK 25.03, and inline in
 * `__rte_ring_move_prod_head` of rte_ring_c11_pvt.h or rte_ring_generic_pvt.h before). The ring
 * gains a second producer index, PROD_HEAD, ahead of the TAIL the consumer reads:
 *   1. reserve: read PROD_HEAD (`start`), then the consumer's HEAD; the room is
 *      capacity - (start - HEAD); take n = min(count, room) slots with a compare-and-swap of
 *      PROD_HEAD from start to start + n, and on failure retry from the value the CAS found;
 *   2. write the n descriptors into slots start .. start + n - 1 with plain stores;
 *   3. publish, in reservation order: wait until TAIL equals `start` (every earlier reservation
 *      is published), then Atomics.store(TAIL, start + n).
 * Indices are 32-bit and wrap as in ring.ts; the CAS could be fooled only by 2^32 reservations
 * between a producer's read of PROD_HEAD and its CAS.
 *
 * Memory: the core's header, then this block (byte offsets from the ring's byteOffset), then
 * the slots:
 *   192  PROD_HEAD   next index to reserve; producers CAS it; POISONED (word 1 of the line),
 *        set by poison(): producers waiting to publish give up with LockPoisonedError
 *   256  publication spin budget (spin-budget.ts words SPIN_BUDGET and SPIN_MAX of this line),
 *        shared by the producers of the ring and adapted by their waits
 *   320  publication statistics (atomic-stats.ts: BigInt64 words)
 *   384  16 publication doorbells (doorbell.ts, DOORBELL_BYTES each), on whole lines
 * PROD_HEAD has a line of its own because only producers touch it, while the consumer reads TAIL:
 * a CAS on TAIL's line would invalidate the consumer's copy of it at every reservation.
 *
 * Why the consumer never reads a slot before it is written. It reads TAIL with Atomics.load and
 * only slots below it. TAIL = t was stored by the producer whose reservation ends at t, after it
 * wrote its slots, and after it had read (Atomics.load) TAIL = its start, which the producer of
 * the reservation before stored after writing its own slots, and so on down the chain. Atomics
 * are sequentially consistent, so each plain write to a slot happens before the store of TAIL
 * that follows it in its thread, that store happens before the load that reads it in the next
 * producer or the consumer, and by transitivity every slot below TAIL was written before the
 * consumer's load of TAIL returned. The reverse direction is the single-producer ring's: a
 * reservation never reaches past HEAD + capacity as read (Atomics.load) after PROD_HEAD, so a
 * slot is rewritten only after the consumer's Atomics.store(HEAD) said it had read it; and HEAD
 * read then can only understate the room, so the CAS that succeeds claims free slots only.
 *
 * A producer preempted between reserve and publish holds TAIL at its start: the consumer sees
 * nothing past it, and every later producer, whose slots are written, must wait to publish (it
 * cannot publish out of order: the consumer would read the hole). Nothing is lost; all of them
 * publish, in order, once the preempted one runs again. That is the price of a lock-free MP ring:
 * DPDK's programmer's guide (Environment Abstraction Layer, Known Issues, rte_ring) calls its ring
 * non-preemptive for this reason, its later producers spinning until the preempted one is
 * scheduled again. Here, where threads outnumber cores as a rule, a later producer waits so:
 *   - spinning on TAIL for the adaptive budget (spin-budget.ts: doubled when a spin ended the
 *     wait, halved when it did not, between 4 and 256 loads), which pays when the earlier
 *     producer is running on another core and about to publish;
 *   - then parking on the doorbell of its reservation's start, slot start & 15: the waiting array
 *     of ticket-lock.ts (Dice and Kogan's TWA). A publisher that stores TAIL = t rings slot t & 15
 *     only, which costs one load of its sleeper count and calls Atomics.notify only when a
 *     producer sleeps there; producers that share the slot wake, see that TAIL is not their start
 *     and park again. A park has no timeout and needs none: the doorbell's eventcount makes sure
 *     that the store of TAIL = start, which must come because every earlier producer publishes,
 *     either is seen by the waiter's check or sees its sleeper count and wakes it. The one
 *     exception is a producer that dies between reserve and publish (its worker terminated):
 *     the ring is then stuck for every later producer. Where producers may be killed, take a
 *     guard instead: a lock left held by a dead thread can be poisoned (lock-base.ts), a
 *     half-done reservation cannot be undone.
 *
 * Statistics (atomic-stats.ts) count like a lock's: acquisitions = reservations (pushes that
 * reserved at least one slot), contentions = reservations that found TAIL short of their start
 * when ready to publish, with the spins, parks and time (from that first look to the
 * publication) of those waits; timeouts stay 0.
 *
 * Test hooks (setMultiProducerTestHooks) let a test stall a producer between reserve and publish,
 * or see a producer about to park; they are not exported from the package (see the function).
 */
import { alignUp, CACHE_LINE } from '../sync/region.js';
import { Doorbell, DOORBELL_BYTES } from '../sync/doorbell.js';
import type { LockStats } from '../sync/lock-stats.js';
import {
  HEAD_WORD,
  RingCore,
  ringByteLength,
  RingView,
  TAIL_WORD,
  type RingCoreOptions,
  type RingHandle,
  type RingSize,
} from './ring-core.js';
import { nowNs } from '../sync/clock.js';
import { AtomicStatsBlock } from '../sync/atomic-stats.js';
import { LockPoisonedError } from '../sync/lock-base.js';
import { adaptSpinBudget, configureSpin, currentSpinBudget, spinUntil } from '../sync/spin-budget.js';

const WORDS_PER_LINE = CACHE_LINE / 4;
/** Word offsets inside the block. */
const PROD_HEAD = 0;
const POISONED = 1;
const SPIN_LINE = WORDS_PER_LINE;
const STATS_LINE = 2;
const BELLS = 3 * WORDS_PER_LINE;
const BELL_SLOTS = 16;
const BELL_WORDS = DOORBELL_BYTES / 4;
/** Bytes of the reservation block after the core's header. */
const BLOCK_BYTES = BELLS * 4 + alignUp(BELL_SLOTS * DOORBELL_BYTES, CACHE_LINE);
/** Longest single park of a producer waiting to publish, ms: a poison() is noticed this late at most. */
const POISON_SLICE_MS = 100;

/** What a test may run inside a producer of a multi-producer ring (see setMultiProducerTestHooks). */
export interface MultiProducerTestHooks {
  /** Called after the producer wrote its slots, before it waits for its turn and publishes. */
  beforePublish?: (start: number, count: number) => void;
  /** Called when the producer has spun its budget and is about to park for its turn. */
  beforePark?: (start: number) => void;
}

let testHooks: MultiProducerTestHooks | null = null;

/**
 * For tests only: runs `hooks` in every multi-producer push of this thread (module state, so one
 * worker's hooks do not reach another's); null removes them. Exported from this module alone and
 * not from the package, on purpose: a public two-phase reserve/publish API would let a caller
 * hold every other producer back for as long as it likes (and stop the ring for good if it never
 * published), which is why DPDK offers its two-phase enqueue (rte_ring_peek.h) for
 * single-producer and serialized (HTS) rings only, never for the multi-producer mode.
 */
export function setMultiProducerTestHooks(hooks: MultiProducerTestHooks | null): void {
  testHooks = hooks;
}

/** Options of a new MultiProducerRing: its size, and where it lives. */
export type MultiProducerRingOptions = RingCoreOptions;

/** A ring any number of threads may push into at once, lock-free; one consumer (see the top of this file). */
export class MultiProducerRing extends RingView<'multi-producer-ring'> {
  /** Bytes a multi-producer ring of this size needs in a SharedArrayBuffer. */
  static byteLength(size: RingSize): number {
    return ringByteLength('MultiProducerRing', size, BLOCK_BYTES);
  }

  /** A view of the ring described by `handle`, e.g. in another worker. */
  static from(handle: RingHandle<'multi-producer-ring'>): MultiProducerRing {
    return new MultiProducerRing(RingCore.open('multi-producer-ring', handle, () => BLOCK_BYTES));
  }

  private readonly i32: Int32Array;
  private readonly prodHead: number;
  private readonly poisoned: number;
  private readonly spin: Int32Array;
  private readonly bells: readonly Doorbell[];
  private readonly statsBlock: AtomicStatsBlock;
  /** Where the last successful reserve() starts. */
  private reserved = 0;
  /** The TAIL the current park waits for, and the check of it the doorbell runs. */
  private awaited = 0;
  private readonly turnCame = (): boolean => Atomics.load(this.i32, TAIL_WORD) === this.awaited;

  /** Creates a multi-producer ring in `options.buffer` at `options.byteOffset`, or in a buffer of its own. */
  constructor(options: MultiProducerRingOptions);
  /** @internal MultiProducerRing.from's path: a view over a core it opened. */
  constructor(opened: RingCore);
  constructor(options: MultiProducerRingOptions | RingCore) {
    super(options instanceof RingCore ? options : RingCore.create('multi-producer-ring', options, BLOCK_BYTES, [0, 0]));
    const core = this.core;
    const i32 = core.i32;
    const block = (core.blockOffset - core.handle.byteOffset) / 4;
    this.i32 = i32;
    this.prodHead = block + PROD_HEAD;
    this.poisoned = block + POISONED;
    this.spin = i32.subarray(block + SPIN_LINE, block + SPIN_LINE + WORDS_PER_LINE);
    this.bells = Array.from({ length: BELL_SLOTS }, (_, k) => new Doorbell(i32, block + BELLS + BELL_WORDS * k));
    this.statsBlock = new AtomicStatsBlock(core.handle.buffer, core.blockOffset + STATS_LINE * CACHE_LINE);
    if (core.createdAt !== undefined) {
      configureSpin('MultiProducerRing', this.spin, undefined);
      Atomics.store(i32, this.prodHead, core.createdAt);
      core.publish();
    }
  }

  /** Whether every slot is in use now (a snapshot); slots reserved but not yet published count as in use. */
  override isFull(): boolean {
    return this.core.isFull(this.prodHead);
  }

  /**
   * Copies one slot in, lock-free (pushBatch of one).
   * @returns false when the ring is full.
   */
  push(slot: ArrayLike<number>): boolean {
    return this.pushBatch(slot, 1) === 1;
  }

  /** Copies one slot out: the one consumer's cached path. @returns false when empty. */
  pop(out: Int32Array): boolean {
    return this.core.popOne(out);
  }

  /**
   * Copies up to `count` slots (end to end in `src` from slot `from` on) in: reserves them, writes
   * them, and publishes them once every earlier reservation is published (it spins, then parks).
   * @returns how many went in (fewer when the ring fills).
   * @throws LockPoisonedError when the ring was poisoned while this push waited to publish.
   */
  pushBatch(src: ArrayLike<number>, count: number = Math.floor(src.length / this.slotWords), from = 0): number {
    this.core.checkCount(count === 1 && from === 0 ? 'push' : 'pushBatch', 'src', src.length, count, from);
    const n = this.reserve(count);
    if (n === 0) return 0;
    const start = this.reserved;
    this.core.writeSlots(src, start, n, from * this.slotWords);
    this.publish(start, n);
    return n;
  }

  /** Copies up to `max` slots out into `dst` (end to end from slot `at` on). @returns how many. */
  popBatch(dst: Int32Array, max: number = Math.floor(dst.length / this.slotWords), at = 0): number {
    return this.core.popBatch(dst, max, at);
  }

  /**
   * Statistics of the publication waits, with a lock's meaning: acquisitions = reservations
   * (pushes that reserved at least one slot), contentions = those that had to wait for an earlier
   * producer to publish, with their spins, parks and waiting time (ns); timeouts 0. Never blocks;
   * exact once the producers are quiet (atomic-stats.ts says what a read while they run gives).
   */
  publishStats(): LockStats {
    return this.statsBlock.read();
  }

  /**
   * Zeroes the publication statistics, each figure in one atomic step, and returns what it
   * cleared. Takes no lock: while producers run, a push in progress may count its reservation
   * before the reset and its wait after it. Called while no producer pushes, it is exact.
   */
  resetPublishStats(): LockStats {
    return this.statsBlock.drain();
  }

  /**
   * Marks the ring abandoned, e.g. because a producer died between reserve and publish: every
   * producer waiting to publish, now or later, stops with LockPoisonedError. Pushes that need no
   * wait still go through.
   */
  poison(): void {
    Atomics.store(this.i32, this.poisoned, 1);
    for (const bell of this.bells) bell.ring();
  }

  /** Reserves up to `count` slots: returns how many (0 when full), the first one's index in `reserved`. */
  private reserve(count: number): number {
    const i32 = this.i32;
    const capacity = this.capacity;
    let start = Atomics.load(i32, this.prodHead);
    for (;;) {
      // More than the capacity when `start` is already stale (HEAD moved past it): the CAS fails then.
      const room = (capacity + Atomics.load(i32, HEAD_WORD) - start) >>> 0;
      const n = count < room ? count : room;
      if (n === 0) return 0;
      const seen = Atomics.compareExchange(i32, this.prodHead, start, (start + n) | 0);
      if (seen === start) {
        this.reserved = start;
        return n;
      }
      start = seen;
    }
  }

  /** Publishes the `count` slots reserved at `start`, once every earlier reservation is published. */
  private publish(start: number, count: number): void {
    const i32 = this.i32;
    if (testHooks?.beforePublish !== undefined) testHooks.beforePublish(start, count);
    if (Atomics.load(i32, TAIL_WORD) === start) this.statsBlock.countUncontended();
    else this.awaitTurn(start);
    const next = (start + count) | 0;
    Atomics.store(i32, TAIL_WORD, next);
    this.bells[next & (BELL_SLOTS - 1)]!.ring();
  }

  /** Waits until TAIL reaches `start`: the contended path of publish(). */
  private awaitTurn(start: number): void {
    const i32 = this.i32;
    const spin = this.spin;
    const startNs = nowNs();
    this.awaited = start;
    const spun = spinUntil(this.turnCame, currentSpinBudget(spin));
    if (spun > 0) {
      adaptSpinBudget(spin, true);
      this.statsBlock.countContended(spun, 0, nowNs() - startNs);
      return;
    }
    const spins = -spun;
    adaptSpinBudget(spin, false);
    if (testHooks?.beforePark !== undefined) testHooks.beforePark(start);
    const bell = this.bells[start & (BELL_SLOTS - 1)]!;
    let parks = 0;
    while (Atomics.load(i32, TAIL_WORD) !== start) {
      // Parks in slices, so that a poison() (an earlier producer died between reserve and publish:
      // its slots will never be published) ends the wait even if its notify came before the park.
      if (Atomics.load(i32, this.poisoned) !== 0) {
        throw new LockPoisonedError(
          'the ring was poisoned while this producer waited for an earlier one to publish; giving up the push',
        );
      }
      if (bell.park(this.turnCame, POISON_SLICE_MS) !== 'ready') parks++;
    }
    this.statsBlock.countContended(spins, parks, nowNs() - startNs);
  }
}
