/**
 * FutexLock: Drepper's futex mutex, the waiting half shared by MutexLock (no spin) and
 * AdaptiveLock (a bounded, adaptive spin first).
 *
 * Algorithm: "mutex, take 3" of Ulrich Drepper, "Futexes Are Tricky" (2011), with Atomics.wait
 * and Atomics.notify in place of the futex system call. On top of Drepper's third state ("somebody
 * may be waiting") a sleeper count lets unlock() skip Atomics.notify unless a thread is actually
 * parked or about to park, because in V8 every notify takes a process-wide mutex.
 *
 * Lock word (STATE, see lock-base.ts):
 *   0  free
 *   1  held, nobody waiting
 *   2  held, waiters may be parked
 * SLEEPERS counts threads between "I will park" and "I have the lock".
 *
 * Acquire: CAS 0->1 (the whole uncontended path). Otherwise (after the subclass's spin, if any)
 * SLEEPERS += 1 and exchange the word to 2 until the exchange returns 0, parking on "word == 2"
 * in between. Release: exchange the word to 0; if it was 2 and SLEEPERS > 0, wake one. A sleeper
 * counted before the exchange is always seen by the releaser (all Atomics are sequentially
 * consistent), and a sleeper that parks after the release finds the word no longer 2 and returns
 * at once, so no wake-up is lost.
 *
 * lockAsync() runs the same waiting loop (parkLoop) with Atomics.waitAsync in place of
 * Atomics.wait (park.ts), after a poll of a few microseconds instead of the spin; an async
 * waiter counts in SLEEPERS like a blocking one, and the releaser's notify wakes either.
 */
import { deadlineNs, nowNs } from './clock.js';
import { notifyCounted } from './wait-account.js';
import type { ParkLoop } from './park.js';
import { CasLock, SLEEPERS, STATE } from './lock-base.js';

/** Longest single park, ms, so that a poisoned lock is noticed. */
const POISON_SLICE_MS = 100;

/** Drepper's futex mutex (take 3) with a sleeper count; subclasses choose whether to spin first. */
export abstract class FutexLock extends CasLock {
  /** Drepper's waiting loop (see the top of this file), for lock() and lockAsync() alike. */
  protected *parkLoop(start: number, spins: number, timeoutMs: number): ParkLoop {
    const i32 = this.i32;
    const deadline = deadlineNs(start, timeoutMs);
    let parks = 0;
    Atomics.add(i32, SLEEPERS, 1);
    try {
      while (Atomics.exchange(i32, STATE, 2) !== 0) {
        const waitMs = this.beforeTimedPark(deadline);
        if (waitMs <= 0) return false;
        parks++;
        // poison() cannot make this wait return by changing STATE (the holder
        // owns it), and its notify can slip in between checkPoison() and the
        // wait; so a long wait is taken in slices that re-check the poison.
        yield { index: STATE, value: 2, timeoutMs: waitMs < POISON_SLICE_MS ? waitMs : POISON_SLICE_MS };
      }
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
    this.acquiredContended(spins, parks, nowNs() - start);
    return true;
  }

  protected wakeAllWaiters(): void {
    Atomics.notify(this.i32, STATE);
  }

  protected release(): void {
    if (Atomics.exchange(this.i32, STATE, 0) === 2 && Atomics.load(this.i32, SLEEPERS) > 0) {
      notifyCounted(this.i32, STATE, 1);
    }
  }
}
