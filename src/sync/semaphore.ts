/**
 * Semaphore: a counting semaphore over shared memory: at most `permits` holders at once, across
 * threads, with blocking and async waits.
 *
 * Algorithm: Dijkstra's counting semaphore (E. W. Dijkstra, "Cooperating sequential processes",
 * EWD123, 1965: P waits until the count is positive and decrements it, V increments it), on one
 * Int32 word with compare-and-swap, parking in Atomics.wait/Atomics.waitAsync on the count itself.
 * The API follows java.util.concurrent.Semaphore's non-fair mode: acquire(n) takes n permits at
 * once or none, tryAcquire(n) never waits and may barge ahead of sleeping waiters, release(n) may be
 * called by any thread (permits have no owner), and a semaphore may start at 0 permits.
 *
 * Memory (Int32 words of one 64-byte line):
 *   [0] COUNT     permits available, >= 0: compare-and-swap by acquirers (down) and releasers (up);
 *                 waiters park on it
 *   [1] SLEEPERS  waiters (blocking and async) from "I will park" to "I am done"; Atomics.add/sub by
 *                 the waiters themselves (an aborted wait gives its own back)
 *   [2] MULTI     those of them waiting for more than one permit
 *   [3] GHOSTS    aborted async waits whose Atomics.waitAsync is still pending (async-abort.ts)
 *   [4] LIMIT     the initial permits of a bounded semaphore, -1 when unbounded; written once
 *   [5] MAGIC     marks the region as an initialised Semaphore; written once, at creation
 *
 * Acquire(n): compare-and-swap COUNT c -> c - n while c >= n (the whole uncontended path). Else count
 * yourself in SLEEPERS (and MULTI if n > 1), then loop: read COUNT as c; if c >= n, try the swap; else
 * park on "COUNT still holds c". Release(n): compare-and-swap COUNT c -> c + n; then, if SLEEPERS > 0,
 * wake n + GHOSTS waiters, or every waiter when MULTI > 0 (a waiter for 3 permits woken by a release
 * of 1 parks again, and must not be the only one woken while a waiter for 1 sleeps on). The waiter
 * counts itself before it reads COUNT and the releaser changes COUNT before it reads SLEEPERS; all
 * Atomics are sequentially consistent, so either the releaser sees the sleeper, or the sleeper sees
 * the new count (its park returns at once, the word having changed). A woken waiter that finds the
 * permits gone (another thread barged in) parks again: the permits were used, no wake-up was lost.
 * An async waiter woken while its event loop is busy takes its permit only when its event loop runs.
 *
 * Cancellation (acquireAsync's `signal`): the aborted wait gives its sleeper count back at once and is
 * counted in GHOSTS until its pending waitAsync settles; a release wakes GHOSTS waiters more, so a
 * ghost never takes a real waiter's wake-up (async-abort.ts).
 */
import { deadlineNs, msUntil, nowNs } from './clock.js';
import { claimView, checkHandle, checkTimeout, existingRegion, openExisting } from './region.js';
import type { ExistingRegion, Region } from './region.js';
import { hasWaitAsync, holdEventLoop, pollBriefly } from './park.js';
import { checkSignal, waitAsyncAbortable, type AbortableWaitOptions, type GhostWord } from './async-abort.js';
import { notifyCounted, waitCounted } from './wait-account.js';

const COUNT = 0;
const SLEEPERS = 1;
const MULTI = 2;
const GHOSTS = 3;
const LIMIT = 4;
const MAGIC = 5;
const MAGIC_SEMAPHORE = 0x53454d41; // "SEMA"

/** Bytes of a Semaphore: one cache line. */
const SEMAPHORE_BYTES = 64;
/** Alignment of a Semaphore's byteOffset (as the locks': 64 avoids false sharing). */
const SEMAPHORE_ALIGN = 8;
/** The most permits an Int32 word holds. */
const MAX_PERMITS = 0x7fffffff;

/** A structured-cloneable description of a Semaphore: post it to a worker, call `Semaphore.from(handle)` there. */
export interface SemaphoreHandle {
  kind: 'semaphore';
  /** The shared memory the semaphore lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/** Options of a new Semaphore: where it lives, and whether releases are bounded. */
export interface SemaphoreOptions extends Partial<Region> {
  /**
   * Refuse (RangeError) a release() that would raise the permits above the initial count, which
   * betrays a release without its acquire (default false: any release is allowed, as in Java).
   */
  bounded?: boolean;
}

/** A counting semaphore over shared memory (see the top of this file). */
export class Semaphore {
  /** Bytes a Semaphore needs in a SharedArrayBuffer. */
  static readonly BYTES = SEMAPHORE_BYTES;
  /** Pass this to another thread and call `Semaphore.from(handle)` there to use the same semaphore. */
  readonly handle: SemaphoreHandle;
  private readonly i32: Int32Array;
  private readonly ghosts: GhostWord;

  /**
   * Creates a semaphore with `permits` permits in `options` (buffer, byteOffset: a multiple of 8),
   * or in a buffer of its own. (An {@link ExistingRegion} opens a view instead and ignores `permits`:
   * that is what {@link Semaphore.from} passes.)
   * @throws RangeError when permits is not an integer from 0 to 2^31 - 1.
   */
  constructor(permits: number, options?: SemaphoreOptions | ExistingRegion) {
    const creating = options as SemaphoreOptions | undefined;
    if (existingRegion(options) === undefined) {
      checkCount('Semaphore', 'permits', permits);
      if (creating?.bounded === true && permits === 0) {
        throw new RangeError('Semaphore: a bounded semaphore needs at least one permit (it could never be released)');
      }
    }
    const layout = { bytes: SEMAPHORE_BYTES, align: SEMAPHORE_ALIGN, magicIndex: MAGIC, magic: MAGIC_SEMAPHORE };
    ({ handle: this.handle, i32: this.i32 } = claimView('Semaphore', 'semaphore', options, layout, (i32) => {
      Atomics.store(i32, COUNT, permits);
      Atomics.store(i32, LIMIT, creating?.bounded === true ? permits : -1);
    }));
    this.ghosts = { index: GHOSTS, passOn: () => this.passOn() };
  }

  /** A view of the Semaphore described by `handle`, e.g. in another worker. */
  static from(handle: SemaphoreHandle): Semaphore {
    const h = checkHandle<SemaphoreHandle>('Semaphore', handle, 'semaphore');
    return new Semaphore(0, openExisting({ buffer: h.buffer, byteOffset: h.byteOffset }));
  }

  /**
   * Takes `n` permits (default 1) at once, waiting as long as it takes, or at most `timeoutMs`.
   * Returns true when it took them, false on timeout (having taken none). Blocks the calling thread
   * (Atomics.wait).
   * @throws RangeError when n is not an integer >= 0 or exceeds a bounded semaphore's permits, or
   *   when timeoutMs is below zero.
   */
  acquire(n = 1, timeoutMs?: number): boolean {
    this.checkN('Semaphore.acquire', n);
    const timeout = checkTimeout('Semaphore.acquire', timeoutMs);
    if (this.take(n)) return true;
    return timeout > 0 && this.acquireSlow(n, timeout);
  }

  /**
   * acquire() that does not block the thread: polls a few microseconds at most, then parks with
   * Atomics.waitAsync. Resolves to true when it took the `n` permits, false when `options.timeoutMs`
   * passed. With `options.signal`, an abort rejects with `signal.reason`, takes no permit and leaves
   * no waiter registered; an already-aborted signal rejects at once. Keeps the process alive while it
   * waits unless `options.keepAlive` is false (park.ts).
   * @returns a promise that rejects with RangeError for a bad n or timeout, TypeError where there is
   *   no Atomics.waitAsync.
   */
  async acquireAsync(n = 1, options: AbortableWaitOptions = {}): Promise<boolean> {
    const what = 'Semaphore.acquireAsync';
    this.checkN(what, n);
    const timeout = checkTimeout(what, options.timeoutMs);
    const signal = checkSignal(what, options.signal);
    if (!hasWaitAsync()) throw new TypeError(`${what}: this JavaScript engine has no Atomics.waitAsync; use acquire()`);
    if (signal?.aborted === true) throw signal.reason;
    if (this.take(n) || (timeout > 0 && pollBriefly(() => this.take(n)))) return true;
    const i32 = this.i32;
    const deadline = deadlineNs(nowNs(), timeout);
    this.enter(n);
    let counted = true;
    const giveBack = (): void => {
      if (!counted) return;
      counted = false;
      this.leave(n);
    };
    let letGo: (() => void) | undefined;
    try {
      for (;;) {
        const c = Atomics.load(i32, COUNT);
        if (c >= n) {
          if (Atomics.compareExchange(i32, COUNT, c, c - n) === c) return true;
          continue;
        }
        const waitMs = msUntil(deadline);
        if (waitMs <= 0) return false;
        letGo ??= holdEventLoop(options);
        const outcome = await waitAsyncAbortable(what, i32, COUNT, c, waitMs, signal, this.ghosts, giveBack);
        if (outcome === 'aborted') throw signal!.reason;
      }
    } finally {
      giveBack();
      letGo?.();
    }
  }

  /** Takes `n` permits (default 1) only if that needs no waiting. Never blocks. */
  tryAcquire(n = 1): boolean {
    this.checkN('Semaphore.tryAcquire', n);
    return this.take(n);
  }

  /**
   * Gives back `n` permits (default 1), waking waiters that can use them. Any thread may release.
   * @throws RangeError when n is not an integer >= 0, when a bounded semaphore would hold more than
   *   its initial permits, or when the count would pass 2^31 - 1.
   */
  release(n = 1): void {
    checkCount('Semaphore.release', 'n', n);
    const i32 = this.i32;
    const limit = Atomics.load(i32, LIMIT);
    for (;;) {
      const c = Atomics.load(i32, COUNT);
      const next = c + n;
      if (limit >= 0 && next > limit) {
        throw new RangeError(
          `Semaphore.release: releasing ${n} would raise the permits to ${next}, above the bounded ${limit}`,
        );
      }
      if (next > MAX_PERMITS) {
        throw new RangeError(`Semaphore.release: releasing ${n} would raise the permits past ${MAX_PERMITS}`);
      }
      if (Atomics.compareExchange(i32, COUNT, c, next) === c) break;
    }
    if (n > 0) this.wake(n);
  }

  /** Permits available right now: a moment's snapshot. */
  available(): number {
    return Atomics.load(this.i32, COUNT);
  }

  /** Waiters counted right now (blocking and async, parked or about to park); aborted waits are not. */
  waiters(): number {
    return Atomics.load(this.i32, SLEEPERS);
  }

  /** Async parks still pending (the GHOSTS word, async-abort.ts): live async waiters and aborted ones. */
  abandonedWaits(): number {
    return Atomics.load(this.i32, GHOSTS);
  }

  /** One attempt loop of the compare-and-swap c -> c - n while c >= n; false once c < n. */
  private take(n: number): boolean {
    const i32 = this.i32;
    for (let c = Atomics.load(i32, COUNT); c >= n; c = Atomics.load(i32, COUNT)) {
      if (Atomics.compareExchange(i32, COUNT, c, c - n) === c) return true;
    }
    return false;
  }

  /** acquire()'s wait once the permits were not there (see the top of this file). */
  private acquireSlow(n: number, timeoutMs: number): boolean {
    const i32 = this.i32;
    const deadline = deadlineNs(nowNs(), timeoutMs);
    this.enter(n);
    try {
      for (;;) {
        const c = Atomics.load(i32, COUNT);
        if (c >= n) {
          if (Atomics.compareExchange(i32, COUNT, c, c - n) === c) return true;
          continue;
        }
        const waitMs = msUntil(deadline);
        if (waitMs <= 0) return false;
        waitCounted(i32, COUNT, c, waitMs);
      }
    } finally {
      this.leave(n);
    }
  }

  /** Counts a waiter for `n` permits (MULTI first: a releaser that sees it in SLEEPERS sees it in MULTI). */
  private enter(n: number): void {
    if (n > 1) Atomics.add(this.i32, MULTI, 1);
    Atomics.add(this.i32, SLEEPERS, 1);
  }

  /** Uncounts a waiter for `n` permits. */
  private leave(n: number): void {
    Atomics.sub(this.i32, SLEEPERS, 1);
    if (n > 1) Atomics.sub(this.i32, MULTI, 1);
  }

  /** Wakes `n` waiters plus the ghosts, or every waiter when one waits for several permits; only if one waits. */
  private wake(n: number): void {
    const i32 = this.i32;
    if (Atomics.load(i32, SLEEPERS) === 0) return;
    const count = Atomics.load(i32, MULTI) > 0 ? undefined : n + Atomics.load(i32, GHOSTS);
    notifyCounted(i32, COUNT, count);
  }

  /** A ghost was notified (async-abort.ts): wake a waiter in its place, if there is a permit to take. */
  private passOn(): void {
    if (Atomics.load(this.i32, COUNT) > 0) this.wake(1);
  }

  /** Checks a count of permits to take: an integer >= 0, and not more than a bounded semaphore holds. */
  private checkN(what: string, n: number): void {
    checkCount(what, 'n', n);
    const limit = Atomics.load(this.i32, LIMIT);
    if (limit >= 0 && n > limit) {
      throw new RangeError(`${what}: n = ${n} permits can never be had from a bounded semaphore of ${limit}`);
    }
  }
}

/** Checks that `value` is an integer from 0 to 2^31 - 1. */
function checkCount(what: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_PERMITS) {
    throw new RangeError(`${what}: ${name} must be an integer from 0 to ${MAX_PERMITS}, got ${String(value)}`);
  }
}
