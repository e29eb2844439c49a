/**
 * The one clock of the primitives and the emulator: monotonic, in whole nanoseconds; the one way
 * to keep a deadline on it; and the one busy-wait against it.
 *
 * performance.now() is a monotonic time in milliseconds with a fraction (its origin is the
 * calling thread's start, so two threads' readings differ by a constant: see the stage stamps of
 * the emulator for how a run puts them on one origin). Whole nanoseconds make differences add up
 * exactly: a request's stage times, each a difference of two readings, sum to its latency with
 * no rounding left over.
 *
 * Deadlines are kept in the same unit, nanoseconds on this clock (Infinity for none), and turned
 * into the milliseconds Atomics.wait takes only at the wait.
 */

/** Nanoseconds on the calling thread's monotonic clock, as an integer. */
export function nowNs(): number {
  return Math.round(performance.now() * 1e6);
}

/** The deadline `timeoutMs` after `startNs` (nowNs() time), in ns; Infinity for Infinity. */
export function deadlineNs(startNs: number, timeoutMs: number): number {
  return timeoutMs === Infinity ? Infinity : startNs + timeoutMs * 1e6;
}

/** Milliseconds left before `deadline` (a deadlineNs() value), for Atomics.wait; Infinity stays Infinity. */
export function msUntil(deadline: number): number {
  return deadline === Infinity ? Infinity : (deadline - nowNs()) / 1e6;
}

/**
 * Busy-waits `ns` nanoseconds of wall-clock time, looking only at the clock: CPU work that really
 * holds the core (a what-if run's per-request work, a failpoint's slow lock holder). Returns at
 * once for 0 or less. Not a wait for anything: the waits of the primitives poll or spin on their
 * condition (poll-window.ts pollFor, spin-budget.ts spinUntil).
 */
export function busyWaitNs(ns: number): void {
  if (ns <= 0) return;
  const until = nowNs() + ns;
  while (nowNs() < until) {
    // Each look at the clock is itself the work.
  }
}
