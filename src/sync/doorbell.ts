/**
 * Doorbell: park until another thread rings, and ring only when somebody is
 * parked. The notification half of every wait in vblk-mq.
 *
 * It plays the part of virtio's kick and interrupt with notification
 * suppression (VRING_USED_F_NO_NOTIFY / VIRTIO_RING_F_EVENT_IDX): a producer
 * that has published work calls ring(), which costs one load when nobody
 * sleeps, and calls Atomics.notify (a process-wide mutex in V8, ~5 us to wake
 * a thread) only when a consumer is parked or about to park.
 *
 * Memory: two Int32 words, best on a cache line of their own:
 *   [0] SEQ       bumped by ring() when it wakes somebody; sleepers wait on it
 *   [1] SLEEPERS  threads inside park()
 *
 * Protocol (an "eventcount"): the waiter increments SLEEPERS, reads SEQ,
 * re-checks its condition, and waits on SEQ only if the condition still says
 * "nothing to do". The notifier publishes its work first, then reads SLEEPERS.
 * All Atomics are sequentially consistent, so either the notifier sees the
 * sleeper (and bumps SEQ, which makes a late Atomics.wait return at once), or
 * the sleeper's re-check sees the work. No wake-up is lost.
 *
 * parkAsync() is park() with Atomics.waitAsync: its waiter counts in SLEEPERS for as long as
 * its promise is pending, so ring() wakes async and blocking sleepers alike, and still calls
 * Atomics.notify only when somebody sleeps.
 */
import { holdEventLoop, waitAsync, type AsyncWaitOptions } from './park.js';
import { notifyCounted, waitCounted } from './wait-account.js';

/** Bytes a Doorbell needs. */
export const DOORBELL_BYTES = 8;
const SEQ = 0;
const SLEEPERS = 1;

/** Outcome of one park(). */
export type ParkResult = 'ready' | 'woken' | 'timed-out';

/** Park until another thread rings; ring only when somebody is parked (an eventcount). */
export class Doorbell {
  private readonly i32: Int32Array;
  private readonly seq: number;
  private readonly sleepers: number;

  /** A doorbell over words `index` and `index + 1` of `i32` (zeroed by whoever allocates them). */
  constructor(i32: Int32Array, index: number) {
    this.i32 = i32;
    this.seq = index + SEQ;
    this.sleepers = index + SLEEPERS;
  }

  /**
   * Parks until `ready()` returns true, ring() is called, or `timeoutMs`
   * passes. `ready` is checked after announcing the sleep, so work published
   * before the ring is never missed. Returns 'ready' without parking when
   * `ready()` is already true. Blocks the calling thread (Atomics.wait): for workers.
   */
  park(ready: () => boolean, timeoutMs: number): ParkResult {
    const i32 = this.i32;
    Atomics.add(i32, this.sleepers, 1);
    try {
      const key = Atomics.load(i32, this.seq);
      if (ready()) return 'ready';
      return waitCounted(i32, this.seq, key, timeoutMs) === 'timed-out' ? 'timed-out' : 'woken';
    } finally {
      Atomics.sub(i32, this.sleepers, 1);
    }
  }

  /**
   * park() without blocking the thread: resolves like park() returns, while the event loop
   * runs, and keeps the process alive meanwhile unless `options.keepAlive` is false (park.ts).
   * Rejects with TypeError where this engine has no Atomics.waitAsync.
   */
  async parkAsync(ready: () => boolean, timeoutMs: number, options?: AsyncWaitOptions): Promise<ParkResult> {
    const i32 = this.i32;
    Atomics.add(i32, this.sleepers, 1);
    let letGo: (() => void) | undefined;
    try {
      const key = Atomics.load(i32, this.seq);
      if (ready()) return 'ready';
      letGo = holdEventLoop(options);
      return (await waitAsync('Doorbell.parkAsync', i32, this.seq, key, timeoutMs)) === 'timed-out'
        ? 'timed-out'
        : 'woken';
    } finally {
      Atomics.sub(i32, this.sleepers, 1);
      letGo?.();
    }
  }

  /** Wakes every parked thread, if any is parked. Returns true when it called Atomics.notify. */
  ring(): boolean {
    const i32 = this.i32;
    if (Atomics.load(i32, this.sleepers) === 0) return false;
    Atomics.add(i32, this.seq, 1);
    notifyCounted(i32, this.seq);
    return true;
  }

  /** Whether a thread is parked (or about to park) right now. */
  hasSleepers(): boolean {
    return Atomics.load(this.i32, this.sleepers) > 0;
  }
}
