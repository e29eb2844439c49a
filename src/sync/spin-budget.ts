/**
 * How long a waiter spins before it parks, learned from whether spinning paid.
 *
 * Parking (Atomics.wait) costs a wake-up of about 5 us in V8 (a process-wide
 * mutex and condition variable), so a short spin pays when the holder is
 * running on another core and about to release. It does not pay when the
 * holder has been preempted, which is the common case with more threads than
 * cores: there a spinner burns the time slice the holder needs. No fixed
 * budget is right for both, so the budget adapts, in the spirit of glibc's
 * PTHREAD_MUTEX_ADAPTIVE_NP:
 *
 *   - a wait that the spin ended (the lock came free while spinning) doubles
 *     the budget, up to SPIN_MAX;
 *   - a wait that spun the whole budget and then had to park halves it, down
 *     to MIN_SPIN.
 *
 * MIN_SPIN is not zero so that a lock can find out that spinning has started
 * to pay again; a handful of loads costs far less than one park.
 * SPIN_MAX = -1 marks a fixed budget: it never changes.
 *
 * The budget lives in the lock's shared control words and is updated without
 * a lock: two threads racing on it lose an update at worst, which only slows
 * the adaptation.
 */
import { SPIN_BUDGET, SPIN_MAX } from './lock-base.js';
import { nowNs } from './clock.js';
import { countSpinNs, traceSpin } from './wait-account.js';

/** Smallest adaptive budget, in spin iterations. */
export const MIN_SPIN = 4;

/**
 * Default ceiling of an adaptive budget. One iteration is one load of the
 * lock word (a few ns), so 256 stay well under the ~5-30 us of a park and
 * wake-up; `npm run bench:micro` measures the effect of other ceilings.
 */
export const DEFAULT_SPIN_MAX = 256;

/** Spin iterations between two looks at the clock (for the thread's spin time) and at `giveUp`. */
const CLOCK_EVERY = 256;

/** The spin options of a lock that parks (AdaptiveLock, TicketLock, McsLock). */
export interface SpinOptions {
  /** Ceiling of the adaptive spin budget, in iterations (default DEFAULT_SPIN_MAX). */
  spinMax?: number;
  /** A fixed spin budget instead of an adaptive one; 0 parks at once. */
  spin?: number;
}

/**
 * Checks a new lock's spin options and sets its budget from them. `fixedByDefault` makes the
 * budget fixed at that many iterations unless the options say otherwise (PvLock's SPIN_THRESHOLD).
 */
export function configureSpin(
  what: string,
  i32: Int32Array,
  options: SpinOptions | undefined,
  fixedByDefault?: number,
): void {
  checkSpinOption(what, 'spinMax', options?.spinMax);
  checkSpinOption(what, 'spin', options?.spin);
  const fixed = options?.spin ?? (options?.spinMax === undefined ? fixedByDefault : undefined);
  initSpinBudget(i32, options?.spinMax ?? DEFAULT_SPIN_MAX, fixed);
}

/** Sets an adaptive budget with ceiling `max`, or a fixed one (`fixed` >= 0). */
function initSpinBudget(i32: Int32Array, max: number, fixed: number | undefined): void {
  if (fixed !== undefined) {
    Atomics.store(i32, SPIN_BUDGET, fixed);
    Atomics.store(i32, SPIN_MAX, -1);
  } else {
    Atomics.store(i32, SPIN_BUDGET, Math.min(max, MIN_SPIN * 4));
    Atomics.store(i32, SPIN_MAX, max);
  }
}

/** The budget a waiter may spin now. */
export function currentSpinBudget(i32: Int32Array): number {
  return Atomics.load(i32, SPIN_BUDGET);
}

/** Teaches the budget whether the last spin ended the wait (`won`) or was wasted. */
export function adaptSpinBudget(i32: Int32Array, won: boolean): void {
  const max = Atomics.load(i32, SPIN_MAX);
  if (max < 0) return; // fixed budget
  const budget = Atomics.load(i32, SPIN_BUDGET);
  const next = won ? Math.min(max, budget * 2) : Math.max(Math.min(MIN_SPIN, max), budget >> 1);
  if (next !== budget) Atomics.store(i32, SPIN_BUDGET, next);
}

/**
 * The clock reading (nowNs) at which this thread's last spinUntil ended, so that a caller that
 * takes the lock in the spin reckons its wait without another look at the clock (each look costs
 * tens of nanoseconds, spent holding the lock).
 */
export let lastSpinEndNs = 0;

/**
 * The one busy-wait of the lock kinds that park: reads `ready()` up to `budget` times, and stops
 * early when `giveUp()` (looked at every CLOCK_EVERY iterations) says spinning no longer pays.
 * Adds the time to the thread's spin account (wait-account.ts), one clock segment at a time so
 * that a preemption in the middle is not counted as spinning; `startNs` is the caller's own look
 * at the clock just before (nowNs()), and the last look is left in lastSpinEndNs.
 * @returns the iteration at which `ready()` held (>= 1), or minus the iterations spent without it
 *   (0 for a budget of 0)
 */
export function spinUntil(ready: () => boolean, budget: number, giveUp?: () => boolean, startNs = nowNs()): number {
  lastSpinEndNs = startNs;
  if (budget <= 0) return 0;
  let lastLook = startNs;
  let i = 0;
  let outcome = 0;
  while (i < budget) {
    i++;
    if (ready()) {
      outcome = i;
      break;
    }
    if (i % CLOCK_EVERY === 0) {
      const now = nowNs();
      countSpinNs(lastLook, now);
      lastLook = now;
      if (giveUp?.() === true) break;
    }
  }
  lastSpinEndNs = nowNs();
  countSpinNs(lastLook, lastSpinEndNs);
  traceSpin(startNs, lastSpinEndNs);
  return outcome > 0 ? outcome : -i;
}

/** Validates a spin option. */
export function checkSpinOption(what: string, name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > 1 << 24) {
    throw new RangeError(`${what}: ${name} must be an integer from 0 to ${1 << 24}, got ${String(value)}`);
  }
}
