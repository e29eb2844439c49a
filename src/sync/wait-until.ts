/**
 * The one way vblk-mq waits for work: poll for an adaptive window, then park
 * on a doorbell, with every park bounded.
 *
 * The consumer's half of the one notification rule (doorbell.ts): used by every emulator worker (an IO
 * thread waiting for any of its rings, the device waiting for its hardware
 * queues, a vCPU waiting for completions), so that all of them poll and park
 * by the same policy. waitUntilAsync is its counterpart for a thread that must not block
 * (the main thread): a poll of a few microseconds at most, then parks that leave the event
 * loop running.
 */
import type { Doorbell } from './doorbell.js';
import type { PollWindow } from './poll-window.js';
import { holdEventLoop, pollBriefly, type AsyncWaitOptions } from './park.js';
import { checkSignal } from './async-abort.js';
import { deadlineNs, msUntil, nowNs } from './clock.js';
import { checkTimeout } from './region.js';

/**
 * Waits until `ready()` is true or `timeoutMs` passes. Returns whether it is ready.
 * @param bell the doorbell producers ring after publishing work
 * @param window this thread's polling window
 * @param timeoutMs Infinity to wait as long as it takes
 * @throws TypeError when timeoutMs is NaN or not a number; RangeError when it is below zero
 */
export function waitUntil(ready: () => boolean, bell: Doorbell, window: PollWindow, timeoutMs: number): boolean {
  checkTimeout('waitUntil', timeoutMs); // NaN would reach Atomics.wait as "for ever"
  if (ready()) return true;
  const start = nowNs();
  if (window.poll(ready)) return true;
  const deadline = deadlineNs(start, timeoutMs);
  for (;;) {
    const waitMs = msUntil(deadline);
    if (waitMs <= 0) return ready();
    bell.park(ready, waitMs);
    if (ready()) {
      window.parked(nowNs() - start);
      return true;
    }
  }
}

/**
 * waitUntil without blocking the thread: polls `ready` for a few microseconds at most
 * (park.ts), then parks on `bell` with Atomics.waitAsync until `ready()` is true or
 * `timeoutMs` passes. Resolves to whether it is ready. It keeps the process alive from its first
 * park until it settles, unless `options.keepAlive` is false (see park.ts for why). With
 * `options.signal`, an abort rejects with `signal.reason`, leaving no sleeper counted on `bell`
 * (Doorbell.parkAsync); an already-aborted signal rejects at once, before `ready` is looked at.
 * @returns a promise that rejects with TypeError for a timeout that is not a number or a signal
 *   that is not an AbortSignal, and with RangeError for a negative timeout.
 */
export async function waitUntilAsync(
  ready: () => boolean,
  bell: Doorbell,
  timeoutMs: number,
  options?: AsyncWaitOptions,
): Promise<boolean> {
  checkTimeout('waitUntilAsync', timeoutMs);
  const signal = checkSignal('waitUntilAsync', options?.signal);
  if (signal?.aborted === true) throw signal.reason;
  if (pollBriefly(ready)) return true;
  const deadline = deadlineNs(nowNs(), timeoutMs);
  // The parks hold no event loop of their own: this wait holds it. Each rejects on an abort.
  const parkOptions: AsyncWaitOptions = { keepAlive: false, signal };
  const letGo = holdEventLoop(options);
  try {
    for (;;) {
      const waitMs = msUntil(deadline);
      if (waitMs <= 0) return ready();
      await bell.parkAsync(ready, waitMs, parkOptions);
      if (ready()) return true;
    }
  } finally {
    letGo();
  }
}
