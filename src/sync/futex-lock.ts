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
 * Eventual fairness (option `eventualFairness`, off by default; the threshold in the header word
 * FAIR_AFTER, so every view agrees). Without it nobody is ever handed the lock, and a waiter that
 * keeps losing to newcomers (a thread that releases and at once retakes the lock, or one that
 * arrives while the woken waiter is still being scheduled) can wait without bound. With it, a
 * waiter that has waited longer than the threshold claims the one heir word FAIR_HEIR (its holder
 * id, thread-id.ts; 0 = no heir), and the next release hands the lock to it instead of freeing it:
 * newcomers cannot barge past a starving waiter. This is Go's starvation mode (src/sync/mutex.go,
 * golang/go: a waiter that has waited more than starvationThresholdNs = 1e6 ns switches the mutex
 * to starvation mode, in which "ownership of the mutex is directly handed off from the unlocking
 * goroutine to the waiter at the front of the queue" and newcomers do not try to acquire it), and
 * parking_lot's eventual fairness (Amanieu/parking_lot: lock_api/raw_mutex.rs `RawMutex::unlock_slow`
 * keeps the mutex locked and hands it to the unparked thread when `be_fair`, which
 * parking_lot_core's src/parking_lot.rs `FairTimeout::should_timeout` sets at a random time
 * between 0 and 1 ms after the last fair unlock, so about every 0.5 ms under contention). Here
 * the waiter, not a timer, decides: the wait that has lasted longer than the threshold is the one
 * served, and the default threshold is Go's 1 ms. One heir at a time; other starving waiters claim
 * the word when it is free again, each at its next look at the lock.
 *   Claim: a waiter that has waited longer than the threshold and finds FAIR_HEIR 0 swaps in its
 *     id, then looks at the lock word once more (a release that missed the claim has freed it),
 *     and parks on FAIR_HEIR (in POISON_SLICE_MS slices), blocking or async alike.
 *   Handoff: release() finds an heir that is not its own thread, marks the word 2 ("waiters may
 *     sleep"), and swaps FAIR_HEIR from id to -id: the lock stays held, by nobody yet (holder()
 *     names the heir: handedTo()), and the release notifies FAIR_HEIR. A newcomer's 0 -> 1 CAS
 *     fails on the held word. The heir takes it by swapping -id back to 0 and writing the holder
 *     word in the same straight run. Any wait of that thread may take it (ownership is the
 *     thread's), so a thread blocked in lock() is not stranded behind its own async heir.
 *   A release that found no heir frees the word as before; a claim that came after it looked is
 *     revoked (FAIR_HEIR id -> 0, notified) so that its waiter, parked on FAIR_HEIR, looks at
 *     the free lock again: no wake-up is lost. A release never hands the lock to its own thread:
 *     its heir is revoked and competes as any waiter does.
 *   An heir that gives up (timeout, poison, an aborted lockAsync) withdraws its claim (id -> 0);
 *     when it finds -id instead, the lock was handed to it meanwhile: a timed-out wait takes it
 *     and returns true, a throwing one releases it (handing it on). FAIR_HEIR is only ever
 *     notified all at once, so an aborted async heir's leftover park takes no wake-up from anyone.
 *   recover(t) withdraws a dead thread's claim, and when the lock had been handed to it, writes t
 *     into the holder word, so that recover() releases (or poisons) it as a lock t held.
 * Statistics are counted as before: the heir counts its acquisition as contended, with its wait.
 *
 * Dead threads: a waiter records the count it holds in the waiter table (waiter-table.ts) in the
 * same straight run of code as the count; recover() gives the dead thread's counts back, and
 * releases the lock when the holder word names the dead thread. Waiters beyond the table's
 * FUTEX_WAITERS entries are not recorded: a dead one leaves a count too many, which costs
 * needless notifies at worst, never a lost wake-up.
 */
import { deadlineNs, msUntil, nowNs } from './clock.js';
import { notifyCounted } from './wait-account.js';
import type { ParkLoop } from './park.js';
import { HOLDER_ID, NO_HOLDER, holderToThreadId } from './thread-id.js';
import {
  ASYNC_SEQ,
  ASYNC_SLEEPERS,
  BASE_BYTES,
  CasLock,
  FAIR_AFTER,
  FAIR_HEIR,
  HOLDER,
  SLEEPERS,
  STATE,
} from './lock-base.js';
import { WaiterTable } from './waiter-table.js';
import { existingRegion, type ExistingRegion, type Region } from './region.js';
import type { LockHandle, RecoverOptions, RecoverReport } from './lock-base.js';

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

/** The threshold of `eventualFairness: true`, ms: Go's starvationThresholdNs (see the top of this file). */
export const DEFAULT_FAIR_AFTER_MS = 1;
/** The longest threshold, ms (FAIR_AFTER holds microseconds + 1 in an Int32 word). */
export const MAX_FAIR_AFTER_MS = 1_000_000;

/**
 * Eventual fairness of a MutexLock or AdaptiveLock (see the top of futex-lock.ts): false (the
 * default) lets whoever runs first after a release take the lock; true hands it to a waiter that
 * has waited longer than DEFAULT_FAIR_AFTER_MS (1 ms); `{ afterMs }` sets that threshold (0 to
 * MAX_FAIR_AFTER_MS, in steps of a microsecond; 0 serves every waiter that has waited at all).
 */
export type EventualFairness = boolean | { afterMs?: number };

/** The option shared by MutexLock and AdaptiveLock. */
export interface FairnessOptions {
  /** Hand the lock to a waiter that has waited longer than a threshold: see {@link EventualFairness}. */
  eventualFairness?: EventualFairness;
}

/**
 * The FAIR_AFTER word for `value` (0: off; else the threshold in microseconds + 1).
 * @throws RangeError, one for every wrong value, saying what is accepted.
 */
function fairAfterWord(what: string, value: unknown): number {
  if (value === undefined || value === false) return 0;
  let afterMs: unknown = value === true ? DEFAULT_FAIR_AFTER_MS : undefined;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.every((key) => key === 'afterMs')) {
      afterMs = (value as { afterMs?: unknown }).afterMs ?? DEFAULT_FAIR_AFTER_MS;
    }
  }
  if (typeof afterMs !== 'number' || !(afterMs >= 0 && afterMs <= MAX_FAIR_AFTER_MS)) {
    let shown: string;
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = String(value);
    }
    throw new RangeError(
      `${what}: eventualFairness must be true, false or { afterMs } with afterMs a number of milliseconds ` +
        `from 0 to ${MAX_FAIR_AFTER_MS}, got ${shown}`,
    );
  }
  return Math.round(afterMs * 1000) + 1;
}

/** Drepper's futex mutex (take 3) with sleeper counts; subclasses choose whether to spin first. */
export abstract class FutexLock extends CasLock {
  /**
   * This lock's eventual fairness, as its region's header says (the same in every view): false,
   * or the threshold after which a waiter is handed the lock (see {@link EventualFairness}).
   */
  readonly eventualFairness: false | { readonly afterMs: number };
  private readonly waiters: WaiterTable;
  /** The threshold in ns; -1 when eventual fairness is off. */
  private readonly fairAfterNs: number;

  protected constructor(
    what: string,
    handleKind: LockHandle['kind'],
    magic: number,
    region: (Partial<Region> & FairnessOptions) | ExistingRegion | undefined,
  ) {
    // Checked before the region is touched, so that a refused option leaves the memory as it was.
    const options = existingRegion(region) === undefined ? (region as FairnessOptions | undefined) : undefined;
    const fairWord = fairAfterWord(what, options?.eventualFairness);
    super(what, handleKind, magic, FUTEX_LOCK_BYTES, region);
    this.waiters = new WaiterTable(this.i32, BASE_BYTES / 4, FUTEX_WAITERS);
    if (this.created) Atomics.store(this.i32, FAIR_AFTER, fairWord);
    const word = Atomics.load(this.i32, FAIR_AFTER);
    this.fairAfterNs = word === 0 ? -1 : (word - 1) * 1000;
    this.eventualFairness = word === 0 ? false : Object.freeze({ afterMs: (word - 1) / 1000 });
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
    const fairAfterNs = this.fairAfterNs;
    const entry = this.waiters.claim();
    const record = entry < 0 ? -1 : this.waiters.at(entry, COUNTED);
    let parks = 0;
    /** This wait's id is in FAIR_HEIR (eventual fairness: see the top of this file). */
    let heir = false;
    let acquired = false;
    Atomics.add(i32, counter, 1);
    if (record >= 0) Atomics.store(i32, record, async ? COUNTED_ASYNC : COUNTED_BLOCKING);
    try {
      for (;;) {
        if (fairAfterNs >= 0) {
          const claim = Atomics.load(i32, FAIR_HEIR);
          if (claim === -HOLDER_ID && this.takeHanded()) {
            heir = false;
            acquired = true;
            break;
          }
          // Revoked (a release freed the lock after this claim), or taken by another wait of this thread.
          if (heir && claim !== HOLDER_ID && claim !== -HOLDER_ID) heir = false;
        }
        const seq = Atomics.load(i32, ASYNC_SEQ);
        if (Atomics.exchange(i32, STATE, 2) === 0) {
          i32[HOLDER] = HOLDER_ID;
          acquired = true;
          break;
        }
        if (
          fairAfterNs >= 0 &&
          !heir &&
          nowNs() - start > fairAfterNs &&
          Atomics.compareExchange(i32, FAIR_HEIR, 0, HOLDER_ID) === 0
        ) {
          heir = true;
          continue; // a release that looked before the claim has freed the lock: look again before parking
        }
        if (heir && msUntil(deadline) <= 0) {
          // Withdraw before giving up; the lock may have been handed over meanwhile: then take it.
          heir = false;
          if (this.leaveHeir()) {
            acquired = true;
            break;
          }
        }
        const waitMs = this.beforeTimedPark(deadline);
        if (waitMs <= 0) return false;
        parks++;
        if (heir) {
          // Sliced as a blocking wait is (poison() does not change FAIR_HEIR), async or not.
          yield { index: FAIR_HEIR, value: HOLDER_ID, timeoutMs: waitMs < POISON_SLICE_MS ? waitMs : POISON_SLICE_MS };
        } else if (async) {
          yield { index: ASYNC_SEQ, value: seq, timeoutMs: waitMs };
        } else {
          // poison() cannot make this wait return by changing STATE (the holder owns it), and its
          // notify can slip in between checkPoison() and the wait; so a long wait is taken in
          // slices that re-check the poison.
          yield { index: STATE, value: 2, timeoutMs: waitMs < POISON_SLICE_MS ? waitMs : POISON_SLICE_MS };
        }
      }
    } finally {
      // An heir that gives up (poison, an abort) and finds the lock handed to it passes it on.
      if (heir && this.leaveHeir() && !acquired) this.release();
      Atomics.sub(i32, counter, 1);
      if (record >= 0) Atomics.store(i32, record, 0);
      if (entry >= 0) this.waiters.free(entry);
    }
    this.countContended(spins, parks, nowNs() - start);
    return true;
  }

  /**
   * Takes the lock if a release handed it to this thread (FAIR_HEIR -id -> 0, and the holder word,
   * in one straight run); false when it was not handed to this thread.
   */
  private takeHanded(): boolean {
    const i32 = this.i32;
    if (Atomics.load(i32, FAIR_HEIR) !== -HOLDER_ID) return false;
    if (Atomics.compareExchange(i32, FAIR_HEIR, -HOLDER_ID, 0) !== -HOLDER_ID) return false;
    i32[HOLDER] = HOLDER_ID;
    return true;
  }

  /**
   * Withdraws this thread's claim on FAIR_HEIR. Returns true when the lock had been handed to this
   * thread instead, and is now taken (the holder word names it).
   */
  private leaveHeir(): boolean {
    if (Atomics.compareExchange(this.i32, FAIR_HEIR, HOLDER_ID, 0) !== -HOLDER_ID) return false;
    return this.takeHanded();
  }

  protected wakeAllWaiters(): void {
    Atomics.notify(this.i32, STATE);
    Atomics.add(this.i32, ASYNC_SEQ, 1);
    Atomics.notify(this.i32, ASYNC_SEQ);
    if (this.fairAfterNs >= 0) Atomics.notify(this.i32, FAIR_HEIR);
  }

  protected release(): void {
    const i32 = this.i32;
    i32[HOLDER] = NO_HOLDER;
    if (this.fairAfterNs >= 0) {
      // Eventual fairness: hand the lock to the heir, if there is one (see the top of this file).
      const heir = Atomics.load(i32, FAIR_HEIR);
      if (heir > 0 && heir !== HOLDER_ID) {
        Atomics.store(i32, STATE, 2);
        if (Atomics.compareExchange(i32, FAIR_HEIR, heir, -heir) === heir) {
          notifyCounted(i32, FAIR_HEIR);
          return;
        }
      }
    }
    if (Atomics.exchange(i32, STATE, 0) === 2) this.wakeSleepers();
    if (this.fairAfterNs >= 0) this.revokeLateClaim();
  }

  /** After a release that freed the lock: revokes a claim it did not see, and wakes its waiter to look again. */
  private revokeLateClaim(): void {
    const i32 = this.i32;
    const late = Atomics.load(i32, FAIR_HEIR);
    if (late > 0 && Atomics.compareExchange(i32, FAIR_HEIR, late, 0) === late) notifyCounted(i32, FAIR_HEIR);
  }

  /** The thread the lock was handed to (eventual fairness) that has not taken it yet; -1 for none. */
  protected override handedTo(): number {
    const heir = Atomics.load(this.i32, FAIR_HEIR);
    return heir < 0 ? holderToThreadId(-heir) : -1;
  }

  /**
   * LockBase.recover(), after undoing the dead thread's claim on FAIR_HEIR: withdrawn, or, when the
   * lock was handed to it, turned into a lock it holds, which recover() then releases or poisons.
   */
  override recover(threadId: number, options?: RecoverOptions): RecoverReport {
    if (this.fairAfterNs >= 0 && Number.isInteger(threadId) && threadId >= 0 && threadId + 1 !== HOLDER_ID) {
      const i32 = this.i32;
      const id = threadId + 1;
      if (
        Atomics.compareExchange(i32, FAIR_HEIR, id, 0) === -id &&
        Atomics.compareExchange(i32, FAIR_HEIR, -id, 0) === -id
      ) {
        Atomics.store(i32, HOLDER, id);
      }
    }
    return super.recover(threadId, options);
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
    if (this.fairAfterNs >= 0 && Atomics.load(this.i32, FAIR_HEIR) !== 0) notifyCounted(this.i32, FAIR_HEIR);
  }
}
