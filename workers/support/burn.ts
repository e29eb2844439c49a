/**
 * Per-request CPU work for what-if runs (--guest-ns, --iothread-ns): a busy
 * loop on the clock, not a sleep, so that the thread really holds its core
 * for that long, as the guest block layer or QEMU's request processing would.
 */
import { busyWaitNs } from '../../src/sync/clock.js';

/** Spins for `ns` nanoseconds of wall-clock time; returns at once for 0. */
export function burnCpu(ns: number): void {
  busyWaitNs(ns);
}
