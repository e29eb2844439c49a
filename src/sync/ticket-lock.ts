/**
 * TicketLock: a FIFO lock; waiters are served in the order they arrived.
 *
 * What it stands for: the guest kernel's spinlock of Linux 3.x in a KVM guest with paravirtual
 * spinlocks (arch/x86/include/asm/spinlock.h before qspinlock: arch_spin_lock takes a ticket with
 * xadd and spins SPIN_THRESHOLD times for it, then __ticket_lock_spinning halts the vCPU until
 * the unlocker's __ticket_unlock_kick kicks the one vCPU whose ticket is next): spin, then sleep
 * until kicked. Here the spin is the adaptive budget of spin-budget.ts rather than 2^15, and the
 * kick is a notify of the next ticket's slot.
 *
 * Algorithm: the ticket lock (Mellor-Crummey and Scott, "Algorithms for
 * Scalable Synchronization on Shared-Memory Multiprocessors", ACM TOCS 1991):
 * take a ticket with fetch-and-add on NEXT, wait until SERVING equals it;
 * release increments SERVING. Waiters that have spun their budget
 * (spin-budget.ts) park in a small waiting array indexed by ticket, after Dice
 * and Kogan, "TWA - Ticket Locks Augmented with a Waiting Array" (Euro-Par
 * 2019): the releaser wakes only the slot of the next ticket, and only when a
 * thread sleeps there, instead of waking every waiter.
 *
 * Memory (Int32 words; lines 0-1 as in lock-base.ts):
 *   STATE    NEXT: the next ticket to hand out
 *   SERVING  the ticket that holds, or may take, the lock
 *   SLEEPERS threads parked in a timed lock() (see below)
 *   line 2   SEQ[16]: per-slot wake sequence, bumped by the releaser
 *   line 3   SLEEP[16]: per-slot count of parked waiters
 * Tickets are 32-bit and wrap; only equality is ever tested.
 *
 * lock(timeoutMs) cannot take a ticket, because a ticket cannot be given
 * back: a timed waiter instead retries tryLock (which succeeds only when
 * nobody queues) and parks on TIMED_SEQ, which each release bumps while timed
 * waiters sleep. Timed waiters therefore do not keep their place in the queue.
 *
 * Every wait ends: a timed park by its timeout, an untimed slot park by its
 * ticket's release or by poison(), which bumps every SEQ and TIMED_SEQ before
 * notifying. A waiter reads its SEQ before it checks SERVING and the poison
 * word, so a release or a poison that comes between the check and the park
 * changes SEQ and the park returns at once.
 *
 * lockAsync() follows the same rules with Atomics.waitAsync (park.ts): untimed, it takes a
 * ticket and parks on its slot (so an async waiter keeps its place in the queue, and the
 * lock passes to it even while its event loop is busy elsewhere); timed, it waits as a timed
 * waiter. Sleep counts and notifies are the same for both.
 */
import { checkTimeout, openExisting, CACHE_LINE, type ExistingRegion, type Region } from './region.js';
import { nowNs } from './clock.js';
import { notifyCounted } from './wait-account.js';
import { BASE_BYTES, LockBase, SERVING, SLEEPERS, STATE as NEXT, TIMED_SEQ, type LockHandle } from './lock-base.js';
import { parkBlocking, type ParkLoop } from './park.js';
import { adaptSpinBudget, configureSpin, currentSpinBudget, spinUntil, type SpinOptions } from './spin-budget.js';

const MAGIC_TICKET = 0x54434b54; // "TCKT"
const SLOTS = 16;
const SEQ_BASE = BASE_BYTES / 4;
const SLEEP_BASE = SEQ_BASE + CACHE_LINE / 4;

/** Options of a new TicketLock: where it lives, and its spin budget before parking. */
export interface TicketLockOptions extends Partial<Region>, SpinOptions {}

/** A FIFO ticket lock whose waiters spin, then park on a per-ticket slot. */
export class TicketLock extends LockBase {
  /** Bytes a TicketLock needs in a SharedArrayBuffer. */
  static readonly BYTES = BASE_BYTES + 2 * CACHE_LINE;
  readonly kind = 'ticket' as const;

  /**
   * Creates a lock in `options` (buffer, byteOffset), or in a buffer of its
   * own. byteOffset must be a multiple of 8. (An {@link ExistingRegion} opens
   * a view instead: that is what {@link TicketLock.from} passes.)
   */
  constructor(options?: TicketLockOptions | ExistingRegion) {
    super('TicketLock', 'ticket-lock', MAGIC_TICKET, TicketLock.BYTES, options);
    if (this.created) configureSpin('TicketLock', this.i32, options as TicketLockOptions | undefined);
  }

  /** A view of the TicketLock described by `handle`, e.g. in another worker. */
  static from(handle: LockHandle): TicketLock {
    const h = LockBase.checkedHandle('TicketLock', handle, 'ticket-lock');
    return new TicketLock(openExisting(h));
  }

  /** @inheritDoc */
  lock(timeoutMs?: number): boolean {
    // Checked before taking a ticket: a ticket cannot be given back.
    this.checkNotHolder();
    if (timeoutMs !== undefined && checkTimeout('TicketLock.lock', timeoutMs) !== Infinity) {
      return this.tryLock() || parkBlocking(this.i32, this.retryLoop(nowNs(), 0, timeoutMs));
    }
    const ticket = Atomics.add(this.i32, NEXT, 1);
    if (Atomics.load(this.i32, SERVING) === ticket) {
      this.acquiredUncontended();
      return true;
    }
    this.lockSlow(ticket);
    return true;
  }

  protected acquireAsync(timeoutMs: number): Promise<boolean> {
    if (timeoutMs !== Infinity) {
      if (this.tryLock()) return Promise.resolve(true);
      return this.pollThenParkAsync(this.take, (start, polls) => this.retryLoop(start, polls, timeoutMs));
    }
    // An untimed async waiter takes a ticket and keeps its place in the queue, as lock() does.
    const ticket = Atomics.add(this.i32, NEXT, 1);
    if (Atomics.load(this.i32, SERVING) === ticket) {
      this.acquiredUncontended();
      return Promise.resolve(true);
    }
    return this.pollThenParkAsync(
      () => Atomics.load(this.i32, SERVING) === ticket,
      (start, polls) => this.slotLoop(ticket, start, polls),
    );
  }

  /** Waits for `ticket` to be served: spin, then park on its slot. */
  private lockSlow(ticket: number): void {
    const i32 = this.i32;
    const start = nowNs();
    const spun = spinUntil(() => Atomics.load(i32, SERVING) === ticket, currentSpinBudget(i32));
    adaptSpinBudget(i32, spun > 0);
    if (spun > 0) {
      this.acquiredContended(spun, 0, nowNs() - start);
      return;
    }
    parkBlocking(i32, this.slotLoop(ticket, start, -spun));
  }

  /** Parks on the slot of `ticket` until it is served (see the top of this file); for lock() and lockAsync(). */
  private *slotLoop(ticket: number, start: number, spins: number): ParkLoop {
    const i32 = this.i32;
    const slot = ticket & (SLOTS - 1);
    let parks = 0;
    Atomics.add(i32, SLEEP_BASE + slot, 1);
    try {
      for (;;) {
        const seq = Atomics.load(i32, SEQ_BASE + slot);
        if (Atomics.load(i32, SERVING) === ticket) break;
        this.checkPoison();
        parks++;
        yield { index: SEQ_BASE + slot, value: seq, timeoutMs: Infinity };
      }
    } finally {
      Atomics.sub(i32, SLEEP_BASE + slot, 1);
    }
    this.acquiredContended(spins, parks, nowNs() - start);
    return true;
  }

  /** Takes the next ticket only when it is the one served: nobody holds or queues. */
  protected readonly take = (): boolean => {
    const serving = Atomics.load(this.i32, SERVING);
    return Atomics.compareExchange(this.i32, NEXT, serving, (serving + 1) | 0) === serving;
  };

  protected wakeAllWaiters(): void {
    const i32 = this.i32;
    for (let slot = 0; slot < SLOTS; slot++) {
      Atomics.add(i32, SEQ_BASE + slot, 1);
      Atomics.notify(i32, SEQ_BASE + slot);
    }
    Atomics.add(i32, TIMED_SEQ, 1);
    Atomics.notify(i32, TIMED_SEQ);
  }

  protected release(): void {
    const i32 = this.i32;
    const next = (i32[SERVING]! + 1) | 0;
    Atomics.store(i32, SERVING, next);
    const slot = next & (SLOTS - 1);
    if (Atomics.load(i32, SLEEP_BASE + slot) > 0) {
      Atomics.add(i32, SEQ_BASE + slot, 1);
      notifyCounted(i32, SEQ_BASE + slot);
    }
    if (Atomics.load(i32, SLEEPERS) > 0) {
      Atomics.add(i32, TIMED_SEQ, 1);
      notifyCounted(i32, TIMED_SEQ);
    }
  }
}
