/**
 * FutexLock: Drepper's futex mutex, the waiting half shared by MutexLock (no spin) and
 * AdaptiveLock (a bounded, adaptive spin first).
 *
 * Algorithm: "mutex, take 3" of Ulrich Drepper, "Futexes Are Tricky" (2011), with Atomics.wait
 * and Atomics.notify in place of the futex system call. On top of Drepper's third state ("somebody
 * may be waiting") sleeper counts let unlock() skip Atomics.notify unless a thread is actually
 * parked or about to park, because in V8 every notify takes a process-wide mutex.
 *
 * Lock word (STATE, see lock-base.ts):
 *   0  free
 *   1  held, nobody waiting
 *   2  held, waiters may be parked
 * SLEEPERS counts blocking waiters, ASYNC_SLEEPERS async ones (lockAsync), each from "I will
 * park" to "I have the lock".
 *
 * Acquire: CAS 0->1 (the whole uncontended path). Otherwise (after the subclass's spin, if any)
 * count yourself and exchange the word to 2 until the exchange returns 0, parking in between:
 * a blocking waiter on "STATE == 2", an async one on ASYNC_SEQ (an eventcount: it reads ASYNC_SEQ
 * before its exchange, so a release in between changes the word and the wait returns at once).
 * Release: exchange the word to 0; if it was 2, wake one blocking sleeper (if one is counted) and
 * every async sleeper (if one is counted), bumping ASYNC_SEQ first. A sleeper counted before the
 * exchange is always seen by the releaser (all Atomics are sequentially consistent), and one that
 * parks after the release finds its word changed and returns at once, so no wake-up is lost.
 *
 * Mixed waiters: the lock is not handed over, whoever runs first after a release takes it. One
 * Atomics.notify on a shared word would wake the earliest waiter whatever it is, and an async
 * waiter's promise cannot run while its event loop is busy: the blocking waiters behind it would
 * sleep on a free lock. So blocking and async waiters park on different words, and a release wakes
 * one of each kind: a blocking waiter that can run always gets its chance, and an async waiter is
 * never left asleep behind blocking ones. Every async sleeper is woken, because a releaser cannot
 * tell which event loop is free; they are few (a thread's event loop queues its own tasks). A
 * thread that takes the lock meanwhile with the 0 -> 1 compare-and-swap clears the "waiters"
 * mark, but the blocking waiter woken with it sets the mark again before it parks again.
 *
 * Dead threads: a waiter records the count it holds in the waiter table (waiter-table.ts) in the
 * same straight run of code as the count; recover() gives the dead thread's counts back, and
 * releases the lock when the holder word names the dead thread. Waiters beyond the table's
 * FUTEX_WAITERS entries are not recorded: a dead one leaves a count too many, which costs
 * needless notifies at worst, never a lost wake-up.
 */
import { deadlineNs, nowNs } from './clock.js';
import { notifyCounted } from './wait-account.js';
import type { ParkLoop } from './park.js';
import { HOLDER_ID, NO_HOLDER } from './thread-id.js';
import { ASYNC_SEQ, ASYNC_SLEEPERS, BASE_BYTES, CasLock, HOLDER, SLEEPERS, STATE } from './lock-base.js';
import { WaiterTable } from './waiter-table.js';
import type { ExistingRegion, Region } from './region.js';
import type { LockHandle } from './lock-base.js';

/** Longest single park of a blocking waiter, ms, so that a poisoned lock is noticed. */
const POISON_SLICE_MS = 100;
/** Entries of the waiter table. */
const FUTEX_WAITERS = 16;
/** Word 1 of an entry: which sleeper count the wait holds. */
const COUNTED = 1;
const COUNTED_BLOCKING = 1;
const COUNTED_ASYNC = 2;

/** Bytes of a futex lock: the control and statistics lines, then the waiter table. */
export const FUTEX_LOCK_BYTES = BASE_BYTES + WaiterTable.bytes(FUTEX_WAITERS);

/** Drepper's futex mutex (take 3) with sleeper counts; subclasses choose whether to spin first. */
export abstract class FutexLock extends CasLock {
  private readonly waiters: WaiterTable;

  protected constructor(
    what: string,
    handleKind: LockHandle['kind'],
    magic: number,
    region: Partial<Region> | ExistingRegion | undefined,
  ) {
    super(what, handleKind, magic, FUTEX_LOCK_BYTES, region);
    this.waiters = new WaiterTable(this.i32, BASE_BYTES / 4, FUTEX_WAITERS);
  }

  /** Drepper's waiting loop for lock(), parking on STATE (see the top of this file). */
  protected parkLoop(start: number, spins: number, timeoutMs: number): ParkLoop {
    return this.sleepLoop(start, spins, timeoutMs, false);
  }

  /** Drepper's waiting loop for lockAsync(), parking on ASYNC_SEQ (see the top of this file). */
  protected asyncLoop(start: number, polls: number, timeoutMs: number): ParkLoop {
    return this.sleepLoop(start, polls, timeoutMs, true);
  }

  private *sleepLoop(start: number, spins: number, timeoutMs: number, async: boolean): ParkLoop {
    const i32 = this.i32;
    const deadline = deadlineNs(start, timeoutMs);
    const counter = async ? ASYNC_SLEEPERS : SLEEPERS;
    const entry = this.waiters.claim();
    const record = entry < 0 ? -1 : this.waiters.at(entry, COUNTED);
    let parks = 0;
    Atomics.add(i32, counter, 1);
    if (record >= 0) Atomics.store(i32, record, async ? COUNTED_ASYNC : COUNTED_BLOCKING);
    try {
      for (;;) {
        const seq = Atomics.load(i32, ASYNC_SEQ);
        if (Atomics.exchange(i32, STATE, 2) === 0) {
          i32[HOLDER] = HOLDER_ID;
          break;
        }
        const waitMs = this.beforeTimedPark(deadline);
        if (waitMs <= 0) return false;
        parks++;
        if (async) {
          yield { index: ASYNC_SEQ, value: seq, timeoutMs: waitMs };
        } else {
          // poison() cannot make this wait return by changing STATE (the holder owns it), and its
          // notify can slip in between checkPoison() and the wait; so a long wait is taken in
          // slices that re-check the poison.
          yield { index: STATE, value: 2, timeoutMs: waitMs < POISON_SLICE_MS ? waitMs : POISON_SLICE_MS };
        }
      }
    } finally {
      Atomics.sub(i32, counter, 1);
      if (record >= 0) Atomics.store(i32, record, 0);
      if (entry >= 0) this.waiters.free(entry);
    }
    this.countContended(spins, parks, nowNs() - start);
    return true;
  }

  protected wakeAllWaiters(): void {
    Atomics.notify(this.i32, STATE);
    Atomics.add(this.i32, ASYNC_SEQ, 1);
    Atomics.notify(this.i32, ASYNC_SEQ);
  }

  protected release(): void {
    const i32 = this.i32;
    i32[HOLDER] = NO_HOLDER;
    if (Atomics.exchange(i32, STATE, 0) === 2) this.wakeSleepers();
  }

  /** Wakes one blocking sleeper and every async one, each only if one is counted. */
  private wakeSleepers(): void {
    const i32 = this.i32;
    if (Atomics.load(i32, SLEEPERS) > 0) notifyCounted(i32, STATE, 1);
    if (Atomics.load(i32, ASYNC_SLEEPERS) > 0) {
      Atomics.add(i32, ASYNC_SEQ, 1);
      notifyCounted(i32, ASYNC_SEQ);
    }
  }

  protected recoverWaits(threadId: number): number {
    const i32 = this.i32;
    const owned = this.waiters.ownedBy(threadId);
    for (const entry of owned) {
      const counted = Atomics.load(i32, this.waiters.at(entry, COUNTED));
      if (counted === COUNTED_BLOCKING) Atomics.sub(i32, SLEEPERS, 1);
      if (counted === COUNTED_ASYNC) Atomics.sub(i32, ASYNC_SLEEPERS, 1);
      this.waiters.free(entry);
    }
    return owned.length;
  }

  protected nudge(): void {
    this.wakeSleepers();
  }
}
