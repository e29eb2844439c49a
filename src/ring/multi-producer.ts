/**
 * MultiProducer: the producer side of an unguarded Ring created with `producers: 'multi'`,
 * which any number of threads may push into without a lock; the consumer side is the one of
 * the single-producer ring, unchanged.
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
 * Memory: six cache lines after the ring's header (byte offsets from the ring's byteOffset):
 *   320  PROD_HEAD   next index to reserve; producers CAS it; POISONED (word 1 of the line),
 *        set by poison(): producers waiting to publish give up with LockPoisonedError
 *   384  publication spin budget (spin-budget.ts words SPIN_BUDGET and SPIN_MAX of this line),
 *        shared by the producers of the ring and adapted by their waits
 *   448  16 publication doorbells (doorbell.ts: SEQ, SLEEPERS, PENDING each), three lines
 *   640  publication statistics (atomic-stats.ts: BigInt64 words)
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
import { CACHE_LINE } from '../sync/region.js';
import { Doorbell, DOORBELL_BYTES } from '../sync/doorbell.js';
import type { LockStats } from '../sync/lock-stats.js';
import { nowNs } from '../sync/clock.js';
import { AtomicStatsBlock } from '../sync/atomic-stats.js';
import { LockPoisonedError } from '../sync/lock-base.js';
import { adaptSpinBudget, configureSpin, currentSpinBudget, spinUntil } from '../sync/spin-budget.js';

/** Bytes of the block after a multi-producer ring's header. */
export const MULTI_PRODUCER_BYTES = 6 * CACHE_LINE;
const WORDS_PER_LINE = CACHE_LINE / 4;
/** Word offsets inside the block. */
const PROD_HEAD = 0;
const SPIN_LINE = WORDS_PER_LINE;
const POISONED = 1;
const BELLS = 2 * WORDS_PER_LINE;
/** Longest single park of a producer waiting to publish, ms: a poison() is noticed this late at most. */
const POISON_SLICE_MS = 100;
const BELL_SLOTS = 16;
const BELL_WORDS = DOORBELL_BYTES / 4;
const STATS_LINE = 5;

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

/** Reservation and in-order publication for the producers of a multi-producer ring. */
export class MultiProducer {
  /** Index of PROD_HEAD in the ring's header view. */
  readonly prodHead: number;
  /** Index of POISONED in the ring's header view. */
  private readonly poisoned: number;
  /** Where the last successful reserve() starts. */
  start = 0;
  private readonly i32: Int32Array;
  private readonly head: number;
  private readonly tail: number;
  private readonly spin: Int32Array;
  private readonly bells: readonly Doorbell[];
  private readonly statsBlock: AtomicStatsBlock;
  /** The TAIL the current park waits for, and the check of it the doorbell runs. */
  private awaited = 0;
  private readonly turnCame = (): boolean => Atomics.load(this.i32, this.tail) === this.awaited;

  /**
   * The producer side over `i32`, the ring's header view, which covers the block from word
   * `blockWord` on (at byte `blockByte` of the buffer); `head` and `tail` index HEAD and TAIL.
   * `start` initialises a new block (zeroed by the caller) with PROD_HEAD = start; undefined
   * opens an existing one.
   */
  constructor(i32: Int32Array, blockWord: number, blockByte: number, head: number, tail: number, start?: number) {
    this.i32 = i32;
    this.head = head;
    this.tail = tail;
    this.prodHead = blockWord + PROD_HEAD;
    this.poisoned = blockWord + PROD_HEAD + POISONED;
    this.spin = i32.subarray(blockWord + SPIN_LINE, blockWord + SPIN_LINE + WORDS_PER_LINE);
    this.bells = Array.from({ length: BELL_SLOTS }, (_, k) => new Doorbell(i32, blockWord + BELLS + BELL_WORDS * k));
    this.statsBlock = new AtomicStatsBlock(i32.buffer as SharedArrayBuffer, blockByte + STATS_LINE * CACHE_LINE);
    if (start !== undefined) {
      configureSpin('Ring', this.spin, undefined);
      Atomics.store(i32, this.prodHead, start);
    }
  }

  /**
   * Reserves up to `count` slots of a ring of `capacity`: returns how many (0 when full), and
   * leaves the first one's index in `start`. Never waits.
   */
  reserve(count: number, capacity: number): number {
    const i32 = this.i32;
    let start = Atomics.load(i32, this.prodHead);
    for (;;) {
      // More than the capacity when `start` is already stale (HEAD moved past it): the CAS fails then.
      const room = (capacity + Atomics.load(i32, this.head) - start) >>> 0;
      const n = count < room ? count : room;
      if (n === 0) return 0;
      const seen = Atomics.compareExchange(i32, this.prodHead, start, (start + n) | 0);
      if (seen === start) {
        this.start = start;
        return n;
      }
      start = seen;
    }
  }

  /**
   * Publishes the `count` slots reserved at `start`, once every earlier reservation is
   * published: spins, then parks (see the file comment). Counts the reservation in the
   * statistics.
   */
  publish(start: number, count: number): void {
    const i32 = this.i32;
    if (testHooks?.beforePublish !== undefined) testHooks.beforePublish(start, count);
    if (Atomics.load(i32, this.tail) === start) this.statsBlock.countUncontended();
    else this.awaitTurn(start);
    const next = (start + count) | 0;
    Atomics.store(i32, this.tail, next);
    this.bells[next & (BELL_SLOTS - 1)]!.ring();
  }

  /** Statistics of the publication waits (see atomic-stats.ts for reads while producers run). */
  stats(): LockStats {
    return this.statsBlock.read();
  }

  /** Zeroes the statistics, each figure atomically, and returns what it cleared. */
  resetStats(): LockStats {
    return this.statsBlock.drain();
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
    while (Atomics.load(i32, this.tail) !== start) {
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

  /**
   * Marks the ring abandoned, e.g. because a producer died between reserve and publish: every
   * producer waiting to publish, now or later, stops with LockPoisonedError. Pushes that need no
   * wait still go through.
   */
  poison(): void {
    Atomics.store(this.i32, this.poisoned, 1);
    for (const bell of this.bells) bell.ring();
  }
}

