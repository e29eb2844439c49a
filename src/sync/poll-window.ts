/**
 * PollWindow: how long a waiter busy-polls for work before it parks, adapted
 * to whether polling pays.
 *
 * Modelled on QEMU's adaptive polling (util/aio-posix.c, adjust_polling_time):
 * with `block` = the time from the start of polling until work arrived,
 *   1. block <= window:           polling caught the work; keep the window;
 *   2. block >  max:              polling that long would be futile; drop to 0;
 *   3. otherwise (window < block <= max): a longer window would have caught
 *      it; grow (4 us first, then doubling, up to max).
 * parked() decides these in this order, as QEMU does.
 *
 * One addition for machines with fewer cores than threads: a window that
 * expires with no work is cost without gain, and there the poller often is
 * the reason the work is late (it holds the core the producer needs). So a
 * wasted window shrinks to 0 and makes growing wait for `cooldown` parks; the
 * cooldown doubles with every further wasted window (up to MAX_COOLDOWN) and
 * returns to 1 as soon as a poll catches work. Where polling never pays the
 * poller thus tries again only once every MAX_COOLDOWN parks; where it pays,
 * the window behaves as QEMU's does.
 *
 * A PollWindow belongs to one thread (it is plain JS state, not shared).
 */

import { nowNs } from './clock.js';
import { countPoll, countPollNs, tracePoll } from './wait-account.js';

/**
 * Default ceiling of a window, ns: QEMU's default `poll-max-ns` (32768,
 * AIO_POLL_MAX_NS_DEFAULT), used by the bench's --poll-max-ns and by a
 * Ring's waits alike.
 */
export const DEFAULT_POLL_MAX_NS = 32_768;
/** First non-zero window, ns (QEMU grows from 4 us too). */
const INITIAL_NS = 4000;
const MAX_COOLDOWN = 1024;
/** Polls between two looks at the clock. */
const CLOCK_EVERY = 8;

/**
 * The one poll loop against the clock: calls `ready` until it returns true or `windowNs` have
 * passed, and adds the time to the thread's poll account (wait-account.ts), one clock segment at
 * a time so that a preemption in between is not counted. Used by PollWindow (an adaptive window)
 * and by the async waits (park.ts pollBriefly: a fixed few microseconds).
 * @returns whether `ready()` returned true
 */
export function pollFor(ready: () => boolean, windowNs: number): boolean {
  if (ready()) return true;
  const start = nowNs();
  const limit = start + windowNs;
  // The clock is read every CLOCK_EVERY polls: for the window's end and for the thread's poll time.
  let lastLook = start;
  for (let i = 1; ; i++) {
    if (ready()) {
      countPollNs(lastLook, nowNs());
      tracePoll(start, true);
      return true;
    }
    if (i % CLOCK_EVERY === 0) {
      const now = nowNs();
      countPollNs(lastLook, now);
      lastLook = now;
      if (now >= limit) {
        tracePoll(start, false);
        return false;
      }
    }
  }
}

/** How long one thread busy-polls before it parks, adapted to whether polling pays (QEMU's policy). */
export class PollWindow {
  /** Current window, ns. */
  windowNs = 0;
  /** Parks to sit out before the window may grow again. */
  private cooldown = 0;
  /** Cooldown the next wasted window imposes. */
  private penalty = 1;
  /** Polls that caught work, and windows that expired with none. */
  hits = 0;
  misses = 0;

  /** @param maxNs ceiling of the window; 0 turns polling off. */
  constructor(readonly maxNs: number) {}

  /** Busy-polls `ready` for up to the current window. Returns true when it became ready. */
  poll(ready: () => boolean): boolean {
    if (this.windowNs === 0) return ready();
    if (pollFor(ready, this.windowNs)) {
      // Polling caught the work: the window pays, and a later waste starts from the mildest cooldown.
      this.hits++;
      countPoll(true);
      this.penalty = 1;
      return true;
    }
    // The addition to QEMU's policy: the whole window went by without work, so
    // it cost a core's time for nothing (and may have kept the producer off
    // it). Stop polling, and sit out `penalty` parks before growing again.
    this.misses++;
    countPoll(false);
    this.windowNs = 0;
    this.cooldown = this.penalty;
    this.penalty = Math.min(MAX_COOLDOWN, this.penalty * 2);
    return false;
  }

  /** Learns from a wait that polled and then parked; `blockNs` runs from the start of polling to the work's arrival. */
  parked(blockNs: number): void {
    if (blockNs <= this.windowNs) {
      // The sweet spot: the window would have caught it; no adjustment needed.
      return;
    }
    if (blockNs > this.maxNs) {
      // Polling would have had to last longer than the ceiling: poll less
      // (QEMU's poll-shrink is 0 by default, which drops the window to 0).
      this.windowNs = 0;
      return;
    }
    if (this.windowNs >= this.maxNs) {
      // Already at the ceiling: no room to grow.
      return;
    }
    if (this.cooldown > 0) {
      // Room to grow, but a recent window was wasted: wait out the cooldown first.
      this.cooldown--;
      return;
    }
    // Room to grow, and a longer window would have caught it: poll longer
    // (4 us first, then doubling, never past the ceiling).
    this.windowNs = Math.min(this.maxNs, this.windowNs === 0 ? INITIAL_NS : this.windowNs * 2);
  }
}
