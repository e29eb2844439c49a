/**
 * Condition: a condition variable over shared memory, used with any vblk-mq Lock: wait until
 * another thread changes what the lock guards and says so with notify().
 *
 * Algorithm: the sequence-counter condition variable of glibc's NPTL pthread_cond (Ulrich
 * Drepper's design, nptl/pthread_cond_wait.c and pthread_cond_signal.c before glibc 2.25: every
 * signal and broadcast bumps the futex word, and a waiter reads that word while it holds the mutex,
 * unlocks, and FUTEX_WAITs on the value it read), in the one-word form of Rust's standard library
 * (library/std/src/sys/sync/condvar/futex.rs), with Atomics.wait and Atomics.notify in place of
 * the futex system call; plus a sleeper count, so that notify() calls Atomics.notify only when a
 * thread is waiting (in V8 every notify takes a process-wide mutex).
 *
 * Memory (Int32 words of one 64-byte line):
 *   [0] SEQ       bumped by notify()/notifyAll() when somebody waits; waiters park on it
 *   [1] SLEEPERS  waiters (blocking and async), each from before it unlocks to its wake-up;
 *                 Atomics.add/sub by the waiters themselves (an aborted wait gives its own back)
 *   [2] GHOSTS    aborted async waits whose Atomics.waitAsync is still pending (async-abort.ts)
 *   [3] MAGIC     marks the region as an initialised Condition; written once, at creation
 *
 * Wait: check that the calling thread holds the lock; count yourself in SLEEPERS; read SEQ; unlock;
 * park on "SEQ still holds what I read"; uncount; lock again. Notify: if SLEEPERS > 0, bump SEQ and
 * wake n + GHOSTS waiters. No wake-up is lost between the unlock and the park: a notify in between
 * changes SEQ, so the park returns at once. And none is lost to the sleeper count: the waiter counts
 * itself while it holds the lock, so a notifier that changed the guarded state under the lock and
 * then reads SLEEPERS either sees the waiter, or the waiter saw the change before it decided to wait.
 *
 * As with pthread_cond_wait, a wait may return without a notify meant for it (a notify between its
 * read of SEQ and its park, meant for an earlier waiter; a wake-up passed on by a ghost): re-check
 * the condition in a loop, as waitUntil() does. Blocking and async waiters park on the same word, so
 * notify(1) wakes the one that began to wait first, whichever kind it is; an async waiter whose event
 * loop is busy acts on it only when its event loop runs.
 *
 * Cancellation (waitAsync's `signal`): the aborted wait gives its sleeper count back at once and is
 * counted in GHOSTS until its pending waitAsync settles; every notify wakes GHOSTS waiters more, so a
 * ghost never takes a real waiter's wake-up (async-abort.ts). Like Java's Condition.await, the wait
 * takes the lock again before it rejects: the caller holds the lock however the wait ends.
 */
import { deadlineNs, msUntil, nowNs } from './clock.js';
import { claimView, checkHandle, checkTimeout, openExisting } from './region.js';
import type { ExistingRegion, Region } from './region.js';
import { hasWaitAsync, holdEventLoop, type AsyncWaitOptions } from './park.js';
import { checkSignal, waitAsyncAbortable, type AbortableWaitOptions, type GhostWord } from './async-abort.js';
import { notifyCounted, waitCounted } from './wait-account.js';
import { LockOwnershipError, type Lock } from './lock-base.js';
import { HOLDER_ID, holderToThreadId } from './thread-id.js';

const SEQ = 0;
const SLEEPERS = 1;
const GHOSTS = 2;
const MAGIC = 3;
const MAGIC_CONDITION = 0x434f4e44; // "COND"

/** Bytes of a Condition: one cache line. */
const CONDITION_BYTES = 64;
/** Alignment of a Condition's byteOffset (as the locks': 64 avoids false sharing). */
const CONDITION_ALIGN = 8;

/** A structured-cloneable description of a Condition: post it to a worker, call `Condition.from(handle)` there. */
export interface ConditionHandle {
  kind: 'condition';
  /** The shared memory the condition variable lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/** A condition variable over shared memory, used with any vblk-mq Lock (see the top of this file). */
export class Condition {
  /** Bytes a Condition needs in a SharedArrayBuffer. */
  static readonly BYTES = CONDITION_BYTES;
  /** Pass this to another thread and call `Condition.from(handle)` there to use the same condition. */
  readonly handle: ConditionHandle;
  private readonly i32: Int32Array;
  private readonly ghosts: GhostWord;

  /**
   * Creates a condition variable in `options` (buffer, byteOffset: a multiple of 8), or in a buffer
   * of its own. (An {@link ExistingRegion} opens a view instead: that is what {@link Condition.from} passes.)
   */
  constructor(options?: Partial<Region> | ExistingRegion) {
    const layout = { bytes: CONDITION_BYTES, align: CONDITION_ALIGN, magicIndex: MAGIC, magic: MAGIC_CONDITION };
    ({ handle: this.handle, i32: this.i32 } = claimView('Condition', 'condition', options, layout, () => {}));
    this.ghosts = { index: GHOSTS, passOn: () => void this.notify(1) };
  }

  /** A view of the Condition described by `handle`, e.g. in another worker. */
  static from(handle: ConditionHandle): Condition {
    const h = checkHandle<ConditionHandle>('Condition', handle, 'condition');
    return new Condition(openExisting({ buffer: h.buffer, byteOffset: h.byteOffset }));
  }

  /**
   * Releases `lock`, which the calling thread must hold, sleeps until notified (or `timeoutMs`
   * passes), and takes `lock` again (blocking, without a timeout) before it returns. Returns false
   * when the wait timed out, true otherwise; it may return true without a notify meant for it, so
   * re-check the condition (or use waitUntil). Blocks the calling thread (Atomics.wait).
   * @throws LockOwnershipError when the calling thread does not hold `lock`.
   * @throws RangeError when timeoutMs is below zero; what `lock.lock()` throws (LockPoisonedError).
   */
  wait(lock: Lock, timeoutMs?: number): boolean {
    const timeout = checkTimeout('Condition.wait', timeoutMs);
    this.checkHolder('Condition.wait', lock);
    const i32 = this.i32;
    Atomics.add(i32, SLEEPERS, 1);
    let outcome: ReturnType<typeof Atomics.wait>;
    try {
      const seq = Atomics.load(i32, SEQ);
      lock.unlock();
      outcome = waitCounted(i32, SEQ, seq, timeout);
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
    lock.lock();
    return outcome !== 'timed-out';
  }

  /**
   * wait() that does not block the thread: releases `lock`, parks with Atomics.waitAsync, and takes
   * `lock` again with lock.lockAsync() before it settles. Resolves to false when `options.timeoutMs`
   * passed, true otherwise (re-check the condition). With `options.signal`, an abort rejects with
   * `signal.reason` and leaves no waiter registered (after taking the lock again, as Java's
   * Condition.await does); an already-aborted signal rejects at once, before the lock is released.
   * Keeps the process alive while it waits unless `options.keepAlive` is false (park.ts).
   * @returns a promise that rejects with LockOwnershipError when the calling thread does not hold
   *   `lock`, RangeError for a negative timeout, TypeError where there is no Atomics.waitAsync.
   */
  async waitAsync(lock: Lock, options: AbortableWaitOptions = {}): Promise<boolean> {
    const what = 'Condition.waitAsync';
    const timeout = checkTimeout(what, options.timeoutMs);
    const signal = checkSignal(what, options.signal);
    if (!hasWaitAsync()) throw new TypeError(`${what}: this JavaScript engine has no Atomics.waitAsync; use wait()`);
    this.checkHolder(what, lock);
    if (signal?.aborted === true) throw signal.reason;
    const i32 = this.i32;
    Atomics.add(i32, SLEEPERS, 1);
    let counted = true;
    const giveBack = (): void => {
      if (!counted) return;
      counted = false;
      Atomics.sub(i32, SLEEPERS, 1);
    };
    let outcome;
    let letGo: (() => void) | undefined;
    try {
      const seq = Atomics.load(i32, SEQ);
      lock.unlock();
      letGo = holdEventLoop(options);
      outcome = await waitAsyncAbortable(what, i32, SEQ, seq, timeout, signal, this.ghosts, giveBack);
    } finally {
      giveBack();
      letGo?.();
    }
    await lock.lockAsync(undefined, keepAliveOf(options));
    if (outcome === 'aborted') throw signal!.reason;
    return outcome !== 'timed-out';
  }

  /**
   * Waits (with wait()) until `predicate()` is true, as parking_lot's Condvar::wait_while does for
   * the negated condition: `predicate` runs holding `lock`, first before any wait. Returns true once
   * it is true, false when `timeoutMs` passed and it is still false. The calling thread holds `lock`
   * when it returns. Blocks the calling thread.
   * @throws what wait() throws, and what `predicate` throws (holding the lock).
   */
  waitUntil(lock: Lock, predicate: () => boolean, timeoutMs?: number): boolean {
    const timeout = checkTimeout('Condition.waitUntil', timeoutMs);
    this.checkHolder('Condition.waitUntil', lock);
    const deadline = deadlineNs(nowNs(), timeout);
    while (!predicate()) {
      const left = msUntil(deadline);
      if (left <= 0) return false;
      this.wait(lock, left);
    }
    return true;
  }

  /**
   * waitUntil() with waitAsync(): resolves to true once `predicate()` is true, false when
   * `options.timeoutMs` passed first; rejects as waitAsync() does (an abort: with `signal.reason`).
   * The calling thread holds `lock` when it settles.
   */
  async waitUntilAsync(lock: Lock, predicate: () => boolean, options: AbortableWaitOptions = {}): Promise<boolean> {
    const what = 'Condition.waitUntilAsync';
    const timeout = checkTimeout(what, options.timeoutMs);
    this.checkHolder(what, lock);
    const deadline = deadlineNs(nowNs(), timeout);
    while (!predicate()) {
      const left = msUntil(deadline);
      if (left <= 0) return false;
      await this.waitAsync(lock, { ...options, timeoutMs: left });
    }
    return true;
  }

  /**
   * Wakes up to `n` waiters (default 1), blocking and async alike, in the order they began to wait.
   * Costs one load when nobody waits. Call it after changing, under the lock, what the waiters wait
   * for; holding the lock while notifying is allowed, not needed. Returns whether it called
   * Atomics.notify (somebody was waiting).
   * @throws RangeError when n is not an integer >= 0.
   */
  notify(n = 1): boolean {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`Condition.notify: n must be an integer >= 0, got ${String(n)}`);
    }
    return n > 0 && this.wake(n);
  }

  /** Wakes every waiter. Costs one load when nobody waits. Returns whether it called Atomics.notify. */
  notifyAll(): boolean {
    return this.wake(Infinity);
  }

  /** Waiters counted right now (blocking and async, parked or about to park); aborted waits are not. */
  waiters(): number {
    return Atomics.load(this.i32, SLEEPERS);
  }

  /** Async parks still pending (the GHOSTS word, async-abort.ts): live async waiters and aborted ones. */
  abandonedWaits(): number {
    return Atomics.load(this.i32, GHOSTS);
  }

  /** Bumps SEQ and wakes `n` waiters plus the ghosts, if a waiter is counted (see the top of this file). */
  private wake(n: number): boolean {
    const i32 = this.i32;
    if (Atomics.load(i32, SLEEPERS) === 0) return false;
    Atomics.add(i32, SEQ, 1);
    const count = n === Infinity ? undefined : n + Atomics.load(i32, GHOSTS);
    notifyCounted(i32, SEQ, count);
    return true;
  }

  /** Refuses a wait by a thread that does not hold `lock`, in one line that names both threads. */
  private checkHolder(what: string, lock: Lock): void {
    if (typeof lock !== 'object' || lock === null || typeof lock.holder !== 'function') {
      throw new TypeError(`${what}: lock must be a vblk-mq Lock, got ${lock === null ? 'null' : typeof lock}`);
    }
    const me = holderToThreadId(HOLDER_ID);
    const holder = lock.holder();
    if (holder === me) return;
    throw new LockOwnershipError(
      holder === -1
        ? `${what}: the calling thread ${me} must hold the ${lock.kind} lock, and it is not held`
        : `${what}: the calling thread ${me} must hold the ${lock.kind} lock, and thread ${holder} holds it`,
    );
  }
}

/** The keepAlive option alone, for the lockAsync() that takes the lock again. */
function keepAliveOf(options: AsyncWaitOptions): AsyncWaitOptions {
  return options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive };
}
