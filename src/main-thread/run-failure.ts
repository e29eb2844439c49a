/**
 * How a run ends other than with figures: it failed, or a stop request cut it short.
 */

/** Raised when a run loses, duplicates or corrupts a request, a worker fails, or the watchdog finds it stuck. */
export class RunFailure extends Error {
  override name = 'RunFailure';
}

/**
 * Raised when a stop request ended a run before its measured window was
 * over. Every request was still drained and checked; the run has no figures
 * (a window shorter than asked would not compare with the others).
 */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
}
