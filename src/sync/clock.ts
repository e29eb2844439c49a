/**
 * The one clock of the primitives and the emulator: monotonic, in whole nanoseconds.
 *
 * performance.now() is a monotonic time in milliseconds with a fraction (its origin is the
 * calling thread's start, so two threads' readings differ by a constant: see the stage stamps of
 * the emulator for how a run puts them on one origin). Whole nanoseconds make differences add up
 * exactly: a request's stage times, each a difference of two readings, sum to its latency with
 * no rounding left over.
 */

/** Nanoseconds on the calling thread's monotonic clock, as an integer. */
export function nowNs(): number {
  return Math.round(performance.now() * 1e6);
}
