/**
 * Per-request CPU work for what-if runs (--guest-ns, --iothread-ns): a busy
 * loop on the clock, not a sleep, so that the thread really holds its core
 * for that long, as the guest block layer or QEMU's request processing would.
 */

/** Spins for `ns` nanoseconds of wall-clock time; returns at once for 0. */
export function burnCpu(ns: number): void {
  if (ns <= 0) return;
  const until = performance.now() + ns / 1e6;
  while (performance.now() < until) {
    // Each look at the clock is itself the work.
  }
}
