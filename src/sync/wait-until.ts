/**
 * The one way vblk-mq waits for work: poll for an adaptive window, then park
 * on a doorbell, with every park bounded.
 *
 * Used by Ring.waitForData/waitForSpace and by every emulator worker (an IO
 * thread waiting for any of its rings, the device waiting for its hardware
 * queues, a vCPU waiting for completions), so that all of them poll and park
 * by the same policy.
 */
import type { Doorbell } from './doorbell.js';
import type { PollWindow } from './poll-window.js';

/**
 * Waits until `ready()` is true or `timeoutMs` passes. Returns whether it is ready.
 * @param bell the doorbell producers ring after publishing work
 * @param window this thread's polling window
 * @param timeoutMs Infinity to wait as long as it takes
 */
export function waitUntil(ready: () => boolean, bell: Doorbell, window: PollWindow, timeoutMs: number): boolean {
  if (ready()) return true;
  const startMs = performance.now();
  if (window.poll(ready)) return true;
  for (;;) {
    let waitMs = Infinity;
    if (timeoutMs !== Infinity) {
      waitMs = startMs + timeoutMs - performance.now();
      if (waitMs <= 0) return ready();
    }
    bell.park(ready, waitMs);
    if (ready()) {
      window.parked((performance.now() - startMs) * 1e6);
      return true;
    }
  }
}
