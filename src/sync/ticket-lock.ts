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
 * lock(timeoutMs) cannot take a ticket, because a ticket cannot be given back: a timed waiter
 * instead retries take() (which succeeds only when nobody holds or queues) and parks on
 * TIMED_SEQ, which each release bumps while timed waiters sleep (LockBase.retryLoop). Timed
 * waiters therefore do not keep their place in the queue.
 *
 * Every wait ends: a timed park by its timeout, an untimed slot park by its ticket's release or
 * by poison(), which bumps every SEQ and TIMED_SEQ before notifying. A waiter reads its SEQ
 * before it checks SERVING and the poison word, so a release or a poison that comes between the
 * check and the park changes SEQ and the park returns at once.
 *
 * Mixed waiters: lockAsync() follows the same rules with Atomics.waitAsync (park.ts): untimed, it
 * takes a ticket and parks on its slot, so an async waiter keeps its place in the queue and the
 * lock passes to it in its turn even while its event loop is busy elsewhere: the lock is then
 * that waiter's (holder() names it), not free, and the waiters behind it wait, as FIFO promises.
 * Timed, it waits as a timed waiter, which every release wakes together with the blocking ones.
 *
 * Dead threads: a ticket taken is a promise to take the lock in turn, which a dead waiter cannot
 * keep. Each untimed waiter therefore claims an entry of the waiter table (waiter-table.ts) before
 * it takes a ticket and records the ticket there in the same straight run of code (the entry's
 * indices computed before the fetch-and-add); recover() marks a dead thread's tickets DEAD
 * (counted in SLEEPERS' high bits), and whoever serves a DEAD ticket (the releaser, or recover()
 * when it is being served already) skips it: it frees the entry and serves the next ticket, again
 * in one straight run. A waiter that gives up (poison, or an abort of its lockAsync) leaves its
 * ticket the same way; an aborted waiter's pending Atomics.waitAsync stays on its slot's word, which
 * every wake-up notifies all at once. A timed waiter records its count in SLEEPERS in its entry
 * (RETRYING), and recover() gives it back. The
 * table has MAX_QUEUED_WAITERS (128) entries, more than the waiters of any lock in the emulator; a
 * waiter that finds every entry taken waits as a timed waiter, without a ticket (and so without
 * its FIFO turn) and without a count (it polls: lock-base.ts retryLoop), so that no ticket and no
 * count is ever unrecorded.
 *
 * Memory (Int32 words; lines 0-1 as in lock-base.ts):
 *   STATE        NEXT: the next ticket to hand out
 *   SERVING      the ticket that holds, or may take, the lock
 *   SLEEPERS     threads parked in a timed wait (low 16 bits), plus DEAD_TICKET for each ticket
 *                marked DEAD and not skipped yet: a release reads both in one load
 *   line 2       SEQ[16]: per-slot wake sequence, bumped by the releaser
 *   line 3       SLEEP[16]: per-slot count of parked waiters
 *   lines 4..35  the waiter table, MAX_QUEUED_WAITERS entries of 16 bytes: per entry OWNER, INFO
 *                (HAS_TICKET, IN_SLOT, RETRYING, DEAD), TICKET
 * TicketLock.BYTES = 2304 (36 cache lines). Tickets are 32-bit and wrap; only equality and the sign
 * of a difference are ever tested.
 */
import { checkTimeout, openExisting, CACHE_LINE, type ExistingRegion, type Region } from './region.js';
import { nowNs } from './clock.js';
import { notifyCounted } from './wait-account.js';
import { HOLDER_ID, NO_HOLDER } from './thread-id.js';
import {
  BASE_BYTES,
  HOLDER,
  LockBase,
  SERVING,
  SLEEPERS,
  STATE as NEXT,
  TIMED_SEQ,
  type LockHandle,
} from './lock-base.js';
import { parkBlocking, type AsyncWaitOptions, type ParkLoop } from './park.js';
import {
  adaptSpinBudget,
  configureSpin,
  currentSpinBudget,
  lastSpinEndNs,
  spinUntil,
  type SpinOptions,
} from './spin-budget.js';
import { lockTestHook, MAX_QUEUED_WAITERS, WaiterTable } from './waiter-table.js';

const MAGIC_TICKET = 0x54434b54; // "TCKT"
const SLOTS = 16;
const SEQ_BASE = BASE_BYTES / 4;
const SLEEP_BASE = SEQ_BASE + CACHE_LINE / 4;
const TABLE_BASE = SLEEP_BASE + CACHE_LINE / 4;
/** Entries of the waiter table: waiters that hold a ticket (or sleep in a timed wait) at once. */
const TICKET_WAITERS = MAX_QUEUED_WAITERS;
/** Words 1 and 2 of an entry. */
const INFO = 1;
const TICKET = 2;
/** INFO bits: holds ticket TICKET; counted in SLEEP[slot of TICKET]; counted in SLEEPERS; given up. */
const HAS_TICKET = 1;
const IN_SLOT = 2;
const RETRYING = 4;
const DEAD = 8;
/** INFO of a ticket given up: no count held any more, skipped in its turn. */
const GIVEN_UP = HAS_TICKET | DEAD;
/** What a ticket marked DEAD adds to SLEEPERS, above the count of timed sleepers. */
const DEAD_TICKET = 1 << 16;
const TIMED_SLEEPERS = DEAD_TICKET - 1;

/** Options of a new TicketLock: where it lives, and its spin budget before parking. */
export interface TicketLockOptions extends Partial<Region>, SpinOptions {}

/** A FIFO ticket lock whose waiters spin, then park on a per-ticket slot. */
export class TicketLock extends LockBase {
  /** Bytes a TicketLock needs in a SharedArrayBuffer. */
  static readonly BYTES = BASE_BYTES + 2 * CACHE_LINE + WaiterTable.bytes(TICKET_WAITERS);
  /** Untimed waiters that keep their FIFO place at once (waiter-table.ts MAX_QUEUED_WAITERS). */
  static readonly MAX_QUEUED_WAITERS = MAX_QUEUED_WAITERS;
  readonly kind = 'ticket' as const;
  private readonly waiters: WaiterTable;

  /**
   * Creates a lock in `options` (buffer, byteOffset), or in a buffer of its
   * own. byteOffset must be a multiple of 8. (An {@link ExistingRegion} opens
   * a view instead: that is what {@link TicketLock.from} passes.)
   */
  constructor(options?: TicketLockOptions | ExistingRegion) {
    super('TicketLock', 'ticket-lock', MAGIC_TICKET, TicketLock.BYTES, options);
    this.waiters = new WaiterTable(this.i32, TABLE_BASE, TICKET_WAITERS);
    if (this.created) configureSpin('TicketLock', this.i32, options as TicketLockOptions | undefined);
  }

  /** A view of the TicketLock described by `handle`, e.g. in another worker. */
  static from(handle: LockHandle): TicketLock {
    const h = LockBase.checkedHandle('TicketLock', handle, 'ticket-lock');
    return new TicketLock(openExisting(h));
  }

  /** @inheritDoc */
  lock(timeoutMs?: number): boolean {
    const timeout = timeoutMs === undefined ? Infinity : checkTimeout('TicketLock.lock', timeoutMs);
    const i32 = this.i32;
    const serving = Atomics.load(i32, SERVING);
    if (Atomics.compareExchange(i32, NEXT, serving, (serving + 1) | 0) === serving) {
      i32[HOLDER] = HOLDER_ID;
      this.countUncontended();
      return true;
    }
    // Checked before taking a ticket: a ticket cannot be given back.
    this.checkNotHolder();
    const entry = timeout === Infinity ? this.waiters.claim() : -1;
    if (entry < 0) return parkBlocking(i32, this.retryLoop(nowNs(), 0, timeout));
    const start = nowNs();
    const ticket = this.takeTicket(entry);
    const spun = spinUntil(() => Atomics.load(i32, SERVING) === ticket, currentSpinBudget(i32), undefined, start);
    if (spun > 0) {
      this.acquired(entry);
      this.countContended(spun, 0, lastSpinEndNs - start);
      adaptSpinBudget(i32, true);
      return true;
    }
    adaptSpinBudget(i32, false);
    return parkBlocking(i32, this.slotLoop(entry, ticket, start, -spun));
  }

  protected acquireAsync(timeoutMs: number, options: AsyncWaitOptions | undefined): Promise<boolean> {
    if (this.tryLock()) return Promise.resolve(true);
    const entry = timeoutMs === Infinity ? this.waiters.claim() : -1;
    if (entry < 0) {
      return this.pollThenParkAsync(this.take, (start, polls) => this.retryLoop(start, polls, timeoutMs), options);
    }
    // An untimed async waiter takes a ticket and keeps its place in the queue, as lock() does.
    const ticket = this.takeTicket(entry);
    const served = (): boolean => {
      if (Atomics.load(this.i32, SERVING) !== ticket) return false;
      this.acquired(entry);
      return true;
    };
    return this.pollThenParkAsync(served, (start, polls) => this.slotLoop(entry, ticket, start, polls), options);
  }

  /** Takes the next ticket when it is the one served (nobody holds or queues); the winner writes the holder word. */
  protected readonly take = (): boolean => {
    const serving = Atomics.load(this.i32, SERVING);
    if (Atomics.compareExchange(this.i32, NEXT, serving, (serving + 1) | 0) !== serving) return false;
    this.i32[HOLDER] = HOLDER_ID;
    return true;
  };

  /**
   * Takes a ticket and records it in waiter-table entry `entry`, in one straight run of code: the
   * indices are computed first, so that no call (where a terminated thread may stop) comes between
   * the ticket and its record (waiter-table.ts).
   */
  private takeTicket(entry: number): number {
    const i32 = this.i32;
    const ticketAt = this.waiters.at(entry, TICKET);
    const infoAt = this.waiters.at(entry, INFO);
    if (lockTestHook !== null) lockTestHook('ticket-claimed');
    const ticket = Atomics.add(i32, NEXT, 1);
    Atomics.store(i32, ticketAt, ticket);
    Atomics.store(i32, infoAt, HAS_TICKET);
    if (lockTestHook !== null) lockTestHook('ticket-taken');
    return ticket;
  }

  /** The waiter of `entry`, whose ticket is served, takes the lock: holder word first, then the entry goes. */
  private acquired(entry: number): void {
    this.i32[HOLDER] = HOLDER_ID;
    Atomics.store(this.i32, this.waiters.at(entry, INFO), 0);
    this.waiters.free(entry);
  }

  /** Parks on the slot of `ticket` until it is served (see the top of this file); for lock() and lockAsync(). */
  private *slotLoop(entry: number, ticket: number, start: number, spins: number): ParkLoop {
    const i32 = this.i32;
    const slot = ticket & (SLOTS - 1);
    const info = this.waiters.at(entry, INFO);
    let parks = 0;
    let served = false;
    Atomics.add(i32, SLEEP_BASE + slot, 1);
    Atomics.or(i32, info, IN_SLOT);
    try {
      for (;;) {
        const seq = Atomics.load(i32, SEQ_BASE + slot);
        if (Atomics.load(i32, SERVING) === ticket) {
          served = true;
          break;
        }
        this.checkPoison();
        parks++;
        yield { index: SEQ_BASE + slot, value: seq, timeoutMs: Infinity };
      }
    } finally {
      Atomics.sub(i32, SLEEP_BASE + slot, 1);
      Atomics.and(i32, info, ~IN_SLOT);
      // Given up (poison, or an abort thrown in at the park): the ticket is skipped in its turn, at once
      // if that has come (the next ticket is served).
      if (!served) this.abandonTicket(entry);
    }
    this.acquired(entry);
    this.countContended(spins, parks, nowNs() - start);
    return true;
  }

  /**
   * The ticket of `entry` will never be taken (its waiter gave up or died): marks it DEAD, and
   * skips it at once when it is being served already (else whoever serves it skips it).
   */
  private abandonTicket(entry: number): void {
    const i32 = this.i32;
    const infoAt = this.waiters.at(entry, INFO);
    const ticket = Atomics.load(i32, this.waiters.at(entry, TICKET));
    Atomics.store(i32, infoAt, GIVEN_UP);
    Atomics.add(i32, SLEEPERS, DEAD_TICKET);
    if (Atomics.load(i32, SERVING) === ticket) this.skipServed(ticket);
  }

  /**
   * Ticket `ticket` is served: while its entry is DEAD, frees the entry and serves the next
   * ticket. The compare-and-swap on the entry's INFO lets exactly one of the threads that may get
   * here at once (a releaser, recover(), a waiter giving up) skip each ticket; the one that wins
   * frees the entry, uncounts the ticket and serves the next in one straight run of code, so that
   * its death (a releaser's) never leaves a ticket half skipped.
   */
  private skipServed(ticket: number): void {
    const i32 = this.i32;
    for (let t = ticket; Atomics.load(i32, SERVING) === t; t = (t + 1) | 0) {
      const entry = this.entryOf(t, ~0, GIVEN_UP);
      if (entry < 0) return;
      const ownerAt = this.waiters.at(entry);
      const ticketAt = this.waiters.at(entry, TICKET);
      if (Atomics.compareExchange(i32, this.waiters.at(entry, INFO), GIVEN_UP, 0) !== GIVEN_UP) return;
      Atomics.store(i32, ticketAt, 0);
      Atomics.store(i32, ownerAt, 0); // the entry is free (as WaiterTable.free leaves it)
      Atomics.sub(i32, SLEEPERS, DEAD_TICKET);
      Atomics.store(i32, SERVING, (t + 1) | 0);
      this.wakeServed((t + 1) | 0);
    }
  }

  /** The entry recording ticket `ticket` whose INFO bits under `mask` are `info`, or -1. */
  private entryOf(ticket: number, mask: number, info: number): number {
    const i32 = this.i32;
    for (let e = 0; e < this.waiters.entries; e++) {
      if (
        Atomics.load(i32, this.waiters.at(e)) !== 0 &&
        (Atomics.load(i32, this.waiters.at(e, INFO)) & mask) === info &&
        Atomics.load(i32, this.waiters.at(e, TICKET)) === ticket
      ) {
        return e;
      }
    }
    return -1;
  }

  /**
   * Ticket `ticket` is served now: wakes its waiter if one sleeps on its slot, and the timed
   * waiters if any sleep; returns whether a ticket marked DEAD waits to be skipped.
   */
  private wakeServed(ticket: number): boolean {
    const i32 = this.i32;
    const slot = ticket & (SLOTS - 1);
    if (Atomics.load(i32, SLEEP_BASE + slot) > 0) {
      Atomics.add(i32, SEQ_BASE + slot, 1);
      notifyCounted(i32, SEQ_BASE + slot);
    }
    const sleepers = Atomics.load(i32, SLEEPERS);
    if ((sleepers & TIMED_SLEEPERS) !== 0) {
      Atomics.add(i32, TIMED_SEQ, 1);
      notifyCounted(i32, TIMED_SEQ);
    }
    return sleepers >= DEAD_TICKET;
  }

  protected enterRetryWait(): number {
    const entry = this.waiters.claim();
    if (entry < 0) return -1;
    const infoAt = this.waiters.at(entry, INFO);
    Atomics.add(this.i32, SLEEPERS, 1);
    Atomics.store(this.i32, infoAt, RETRYING);
    if (lockTestHook !== null) lockTestHook('retry-counted');
    return entry;
  }

  protected leaveRetryWait(entry: number): void {
    if (entry < 0) return;
    const infoAt = this.waiters.at(entry, INFO);
    Atomics.sub(this.i32, SLEEPERS, 1);
    Atomics.store(this.i32, infoAt, 0);
    this.waiters.free(entry);
  }

  /** The owner of the entry whose ticket is served while nobody has taken the lock. */
  protected override handedTo(): number {
    const serving = Atomics.load(this.i32, SERVING);
    if (Atomics.load(this.i32, NEXT) === serving) return -1;
    const entry = this.entryOf(serving, GIVEN_UP, HAS_TICKET);
    return entry < 0 ? -1 : this.waiters.ownerOf(entry);
  }

  protected recoverWaits(threadId: number): number {
    const i32 = this.i32;
    let undone = 0;
    for (const entry of this.waiters.ownedBy(threadId)) {
      const info = Atomics.load(i32, this.waiters.at(entry, INFO));
      if ((info & DEAD) !== 0) continue; // given up already: skipped in its turn
      undone++;
      const ticket = Atomics.load(i32, this.waiters.at(entry, TICKET));
      if ((info & IN_SLOT) !== 0) Atomics.sub(i32, SLEEP_BASE + (ticket & (SLOTS - 1)), 1);
      if ((info & RETRYING) !== 0) Atomics.sub(i32, SLEEPERS, 1);
      const ahead = (ticket - Atomics.load(i32, SERVING)) | 0;
      // A ticket served already, or the served ticket of a holder that recover() poisoned for, is over.
      const over = ahead < 0 || (ahead === 0 && Atomics.load(i32, HOLDER) === threadId + 1);
      if ((info & HAS_TICKET) === 0 || over) this.waiters.free(entry);
      else this.abandonTicket(entry);
    }
    return undone;
  }

  protected nudge(): void {
    const serving = Atomics.load(this.i32, SERVING);
    if (this.wakeServed(serving)) this.skipServed(serving);
  }

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
    i32[HOLDER] = NO_HOLDER;
    const next = (i32[SERVING]! + 1) | 0;
    Atomics.store(i32, SERVING, next);
    if (this.wakeServed(next)) this.skipServed(next);
  }
}
