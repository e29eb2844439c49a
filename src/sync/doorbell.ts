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
 * Memory: seven Int32 words (DOORBELL_BYTES), best on a cache line of their own:
 *   [0] SEQ       bumped by ring() when it wakes somebody; sleepers wait on it
 *   [1] SLEEPERS  threads inside park()
 *   [2] PENDING   1 once a ring() has woken the sleepers, until a thread parks
 *                 again (re-arms): while it is 1, ring() notifies nobody
 *   [3..6] WOKEN  the rings that woke the sleepers, counted by the ringer's source
 *                 (ring(source), 0 to 3): the bell's own count of its wake-ups, which
 *                 its owner reads (wakeups()). Each is one Atomics.add on the path that
 *                 already pays for an Atomics.notify, so a ring that wakes nobody costs
 *                 no more than it did.
 *
 * One bell per waiting thread: a consumer owns one bell and parks on it whatever it waits for
 * (one ring or several, a phase change), and every producer that hands it work rings it after
 * publishing. In the emulator the vCPU's bell is its interrupt line, the IO thread's is rung
 * by the vCPUs' kicks and by the device's completion notices (sources tell them apart), and
 * the device's by the IO threads.
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
 * Atomics.notify only when somebody sleeps. Its `signal` gives the park up (async-abort.ts
 * waitAsyncAbortable): the waiter leaves SLEEPERS at the abort, and its pending Atomics.waitAsync
 * (a ghost) takes no wake-up from anybody, since ring() wakes every sleeper at once.
 */
import { holdEventLoop, type AsyncWaitOptions } from './park.js';
import { checkSignal, waitAsyncAbortable } from './async-abort.js';
import { notifyCounted, waitCounted } from './wait-account.js';

/** Bytes a Doorbell needs. */
export const DOORBELL_BYTES = 28;
const SEQ = 0;
const SLEEPERS = 1;
const PENDING = 2;
const WOKEN = 3;
/** Sources a bell counts its wake-ups by: ring(source) takes 0 to DOORBELL_SOURCES - 1. */
export const DOORBELL_SOURCES = 4;
const WORDS = WOKEN + DOORBELL_SOURCES;

/** A structured-cloneable description of a doorbell; `Doorbell.from(handle)` in another worker. */
export interface DoorbellHandle {
  /** Always `doorbell`. */
  kind: 'doorbell';
  /** The shared memory the bell's words live in. */
  buffer: SharedArrayBuffer;
  /** Where its first word is, in bytes. */
  byteOffset: number;
}

/** Outcome of one park(). */
export type ParkResult = 'ready' | 'woken' | 'timed-out';

/** Park until another thread rings; ring only when somebody is parked (an eventcount). */
export class Doorbell {
  /** Bytes a doorbell needs (its words: DOORBELL_BYTES). */
  static readonly BYTES = DOORBELL_BYTES;

  private readonly i32: Int32Array;
  private readonly seq: number;
  private readonly sleepers: number;
  private readonly pending: number;
  private readonly woken: number;

  /** A view of the doorbell that `handle` describes, e.g. in another worker. */
  static from(handle: DoorbellHandle): Doorbell {
    if (handle?.kind !== 'doorbell' || !(handle.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError('Doorbell.from: expected the handle of a Doorbell (bell.handle)');
    }
    return new Doorbell(new Int32Array(handle.buffer, handle.byteOffset, WORDS), 0);
  }

  /**
   * A doorbell over words `index` to `index + 6` of `i32` (DOORBELL_BYTES, zeroed by whoever
   * allocates them), or, without arguments, in a buffer of its own.
   */
  constructor(i32: Int32Array = new Int32Array(new SharedArrayBuffer(DOORBELL_BYTES)), index = 0) {
    if (!Number.isInteger(index) || index < 0 || index + WORDS > i32.length) {
      const words = `words ${index} to ${index + WORDS - 1}`;
      throw new RangeError(`Doorbell: ${words} do not fit an Int32Array of ${i32.length}`);
    }
    this.i32 = i32;
    this.seq = index + SEQ;
    this.sleepers = index + SLEEPERS;
    this.pending = index + PENDING;
    this.woken = index + WOKEN;
  }

  /** Pass this to another thread and call `Doorbell.from(handle)` there to use the same bell. */
  get handle(): DoorbellHandle {
    const { i32 } = this;
    return { kind: 'doorbell', buffer: i32.buffer as SharedArrayBuffer, byteOffset: i32.byteOffset + this.seq * 4 };
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
   * With `options.signal`, an abort rejects with `signal.reason` and leaves no sleeper counted
   * (the next ring() wakes only real sleepers); an already-aborted signal rejects at once, before
   * `ready` is looked at. Rejects with TypeError where this engine has no Atomics.waitAsync, or
   * when `options.signal` is not an AbortSignal.
   */
  async parkAsync(ready: () => boolean, timeoutMs: number, options?: AsyncWaitOptions): Promise<ParkResult> {
    const what = 'Doorbell.parkAsync';
    const signal = checkSignal(what, options?.signal);
    if (signal?.aborted === true) throw signal.reason;
    const i32 = this.i32;
    const sleepers = this.sleepers;
    Atomics.add(i32, sleepers, 1);
    let counted = true;
    const giveBack = (): void => {
      if (counted) Atomics.sub(i32, sleepers, 1);
      counted = false;
    };
    let letGo: (() => void) | undefined;
    try {
      const key = Atomics.load(i32, this.seq);
      Atomics.store(i32, this.pending, 0);
      if (ready()) return 'ready';
      letGo = holdEventLoop(options);
      const outcome = await waitAsyncAbortable(what, i32, this.seq, key, timeoutMs, signal, undefined, giveBack);
      if (outcome === 'aborted') throw signal!.reason;
      return outcome === 'timed-out' ? 'timed-out' : 'woken';
    } finally {
      giveBack();
      letGo?.();
    }
  }

  /**
   * Wakes every parked thread, if any is parked and no earlier ring() has woken them since they
   * parked, and then counts the wake-up under `source` (0 to 3, default 0: who rang, as the
   * bell's owner wants to tell them apart). Returns true when it called Atomics.notify.
   */
  ring(source = 0): boolean {
    const i32 = this.i32;
    if (Atomics.load(i32, this.sleepers) === 0) return false;
    if (Atomics.exchange(i32, this.pending, 1) !== 0) return false;
    Atomics.add(i32, this.seq, 1);
    notifyCounted(i32, this.seq);
    Atomics.add(i32, this.woken + (source & (DOORBELL_SOURCES - 1)), 1);
    return true;
  }

  /**
   * How many rings woke this bell's sleepers since it was allocated: those from `source`, or
   * from every source when it is omitted. A count of the bell's, shared by every view.
   */
  wakeups(source?: number): number {
    const i32 = this.i32;
    if (source !== undefined) return Atomics.load(i32, this.woken + (source & (DOORBELL_SOURCES - 1)));
    let total = 0;
    for (let s = 0; s < DOORBELL_SOURCES; s++) total += Atomics.load(i32, this.woken + s);
    return total;
  }

  /** Whether a thread is parked (or about to park) right now. */
  hasSleepers(): boolean {
    return Atomics.load(this.i32, this.sleepers) > 0;
  }
}
