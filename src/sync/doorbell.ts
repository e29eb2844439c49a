/**
 * Doorbell: park until another thread rings, and ring only when somebody is
 * parked. The notification half of every wait in vblk-mq.
 *
 * It plays the part of virtio's kick and interrupt with notification
 * suppression (VRING_USED_F_NO_NOTIFY / VIRTIO_RING_F_EVENT_IDX): a producer
 * that has published work calls ring(), which costs one load when nobody
 * sleeps, and calls Atomics.notify (a process-wide mutex in V8, ~1-5 us) only
 * when a consumer is parked or about to park, and only once until a consumer
 * parks again: like virtio's event index, which the device moves only when it
 * re-arms notifications before it sleeps, so that a driver kicks once per
 * sleep, not once per request. A woken consumer can take tens of microseconds
 * to get a CPU; without the PENDING word every push in that time would notify
 * it again.
 *
 * Memory: three Int32 words, best on a cache line of their own:
 *   [0] SEQ       bumped by ring() when it wakes somebody; sleepers wait on it
 *   [1] SLEEPERS  threads inside park()
 *   [2] PENDING   1 once a ring() has woken the sleepers, until a thread parks
 *                 again (re-arms): while it is 1, ring() notifies nobody
 *
 * Protocol (an "eventcount"): the waiter increments SLEEPERS, reads SEQ,
 * clears PENDING (re-arms), re-checks its condition, and waits on SEQ only if
 * the condition still says "nothing to do". The notifier publishes its work
 * first, then reads SLEEPERS, and if somebody sleeps, sets PENDING; only the
 * notifier that turned PENDING from 0 to 1 bumps SEQ and notifies. All Atomics
 * are sequentially consistent, so no wake-up is lost:
 *   - a notifier that sees no sleeper published its work before the sleeper's
 *     announcement, so the sleeper's re-check sees it;
 *   - a notifier that finds PENDING already 1 either came before the waiter's
 *     re-arm (so its work, published earlier, is seen by the re-check), or
 *     after a notifier that set PENDING after the re-arm, and that notifier's
 *     SEQ bump comes after the waiter read SEQ, so the waiter's Atomics.wait
 *     returns at once or is woken by that notifier.
 *
 * parkAsync() is park() with Atomics.waitAsync: its waiter counts in SLEEPERS for as long as
 * its promise is pending, so ring() wakes async and blocking sleepers alike, and still calls
 * Atomics.notify only when somebody sleeps.
 */
import { holdEventLoop, waitAsync, type AsyncWaitOptions } from './park.js';
import { notifyCounted, waitCounted } from './wait-account.js';

/** Bytes a Doorbell needs. */
export const DOORBELL_BYTES = 12;
const SEQ = 0;
const SLEEPERS = 1;
const PENDING = 2;

/** Outcome of one park(). */
export type ParkResult = 'ready' | 'woken' | 'timed-out';

/** Park until another thread rings; ring only when somebody is parked (an eventcount). */
export class Doorbell {
  private readonly i32: Int32Array;
  private readonly seq: number;
  private readonly sleepers: number;
  private readonly pending: number;

  /** A doorbell over words `index` to `index + 2` of `i32` (zeroed by whoever allocates them). */
  constructor(i32: Int32Array, index: number) {
    if (!Number.isInteger(index) || index < 0 || index + PENDING >= i32.length) {
      throw new RangeError(`Doorbell: words ${index} to ${index + PENDING} do not fit an Int32Array of ${i32.length}`);
    }
    this.i32 = i32;
    this.seq = index + SEQ;
    this.sleepers = index + SLEEPERS;
    this.pending = index + PENDING;
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
      Atomics.store(i32, this.pending, 0);
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
      Atomics.store(i32, this.pending, 0);
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

  /**
   * Wakes every parked thread, if any is parked and no earlier ring() has woken them since they
   * parked. Returns true when it called Atomics.notify.
   */
  ring(): boolean {
    const i32 = this.i32;
    if (Atomics.load(i32, this.sleepers) === 0) return false;
    if (Atomics.exchange(i32, this.pending, 1) !== 0) return false;
    Atomics.add(i32, this.seq, 1);
    notifyCounted(i32, this.seq);
    return true;
  }

  /** Whether a thread is parked (or about to park) right now. */
  hasSleepers(): boolean {
    return Atomics.load(this.i32, this.sleepers) > 0;
  }
}
