/**
 * The two ways a waiter parks on a shared word: blocking its thread (Atomics.wait), or
 * returning a promise and leaving the event loop free (Atomics.waitAsync).
 *
 * Every lock writes the waiting half of its algorithm once, as a generator (a "park loop")
 * that yields each park it wants (which word, the value it expects there, for how long) and
 * returns whether it got what it waited for. `parkBlocking` drives such a loop with
 * Atomics.wait, for lock(); async-abort.ts `parkAbortable` drives the same loop with
 * Atomics.waitAsync, for lockAsync(), and ends it at its park when `options.signal` aborts.
 * The bookkeeping that must bracket the waits (a sleeper count raised before the first park
 * and lowered after the last, even on a throw) lives in the loop's own try/finally, so it is
 * written once for both, and for every way a wait ends (acquired, timed out, poisoned, aborted).
 *
 * Atomics.waitAsync puts its waiter on the same list of the same word that Atomics.wait uses,
 * so one Atomics.notify wakes blocking and async waiters alike, in the order they began to
 * wait; a sleeper count raised by an async waiter makes a notifier call Atomics.notify just
 * as a blocking one does. The rule "never notify a thread that is not asleep" thus holds for
 * both without a second mechanism. But a notify of one waiter may then wake an async waiter
 * whose event loop is busy, which cannot act on it: the kinds that hand the lock to nobody in
 * particular park the two on different words (futex-lock.ts).
 *
 * An async waiter never busy-waits for long, because it may be on the main thread: it polls
 * for at most ASYNC_POLL_NS, then yields to the event loop.
 *
 * Process lifetime: Node does not count a pending Atomics.waitAsync as work that keeps the
 * process alive (nodejs/node issue 61941): a main thread whose only other work is an unref()'d
 * worker exits (with code 13, an unsettled top-level await) while it awaits a lock the worker
 * holds. So every async wait holds the event loop open, by default, from its first park to its
 * settling, with one shared ref'd interval timer per thread (holdEventLoop); the option
 * { keepAlive: false } gives the old behaviour, for a wait that must not keep a process alive.
 */

import { pollFor } from './poll-window.js';
import { isThreadWaitAccountingOn, threadWaits, waitCounted } from './wait-account.js';

/** One park a loop asks for: wait while word `index` holds `value`, for at most `timeoutMs`. */
export interface Park {
  index: number;
  value: number;
  /** Milliseconds; Infinity = until notified. */
  timeoutMs: number;
}

/** The waiting half of a lock's algorithm: yields parks, returns whether it acquired. */
export type ParkLoop = Generator<Park, boolean, void>;

/**
 * The part of an AbortSignal the waits use, named here so that the shipped types need no DOM or
 * @types/node declarations of AbortSignal: Node's `AbortSignal` (from an AbortController, or
 * `AbortSignal.timeout(ms)`) is one.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Options of every async wait (lockAsync, Doorbell.parkAsync, waitUntilAsync...). */
export interface AsyncWaitOptions {
  /**
   * Keep the process alive while the wait is pending (default true): Node does not count a
   * pending Atomics.waitAsync as work, so without this a process whose only other work is an
   * unref()'d worker exits before the worker releases the lock or pushes the data. false: the
   * wait alone does not keep the process alive.
   */
  keepAlive?: boolean;
  /**
   * Give up when this signal (an AbortSignal) aborts: the promise rejects with `signal.reason` and
   * the wait leaves no waiter registered (async-abort.ts). An already-aborted signal rejects at
   * once, without waiting.
   */
  signal?: AbortSignalLike | undefined;
}

/** What a waitAsync (or wait) came to. */
export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/**
 * How long an async waiter polls before it yields to the event loop, ns. A few microseconds:
 * less than one wake-up through Atomics.notify costs (about 4-22 us on the machines measured),
 * and short enough that a main thread serving requests does not notice it.
 */
export const ASYNC_POLL_NS = 4000;

type WaitAsyncResult =
  { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<WaitOutcome> };
type WaitAsyncFn = (i32: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;

/** Atomics.waitAsync where this JavaScript engine has it (Node 16 and later), else undefined. */
const waitAsyncFn = (Atomics as unknown as { waitAsync?: WaitAsyncFn }).waitAsync;

/** Whether async waits can work here: feature-tested, not read from the version. */
export function hasWaitAsync(): boolean {
  return typeof waitAsyncFn === 'function';
}

/**
 * Atomics.waitAsync as a promise in every case: resolves to 'not-equal' at once when word
 * `index` no longer holds `value`, else to 'ok' when notified or 'timed-out'.
 * @throws TypeError when this engine lacks Atomics.waitAsync (`what` names the caller).
 */
export function waitAsync(
  what: string,
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
): Promise<WaitOutcome> {
  if (waitAsyncFn === undefined) {
    throw new TypeError(`${what}: this JavaScript engine has no Atomics.waitAsync; use the blocking wait in a worker`);
  }
  const result = waitAsyncFn(i32, index, value, timeoutMs === Infinity ? undefined : timeoutMs);
  // Counted as the park began, wake-up included, so that a switch in between never counts one without the other.
  if (!isThreadWaitAccountingOn()) return result.async ? result.value : Promise.resolve(result.value);
  threadWaits.parks++;
  if (!result.async) return Promise.resolve(result.value);
  return result.value.then((outcome) => {
    if (outcome === 'ok') threadWaits.wakeups++;
    return outcome;
  });
}

/** Drives `loop` with Atomics.wait: blocks the calling thread through every park. */
export function parkBlocking<T = boolean>(i32: Int32Array, loop: Generator<Park, T, void>): T {
  for (let step = loop.next(); ; step = loop.next()) {
    if (step.done === true) return step.value;
    const park = step.value;
    waitCounted(i32, park.index, park.value, park.timeoutMs);
  }
}

/** A timer that never fires in practice: the one ref'd handle that keeps this thread's event loop alive. */
let keepAliveTimer: ReturnType<typeof setInterval> | undefined;
/** Async waits of this thread holding the event loop open. */
let eventLoopHolds = 0;
/** The longest delay a Node timer takes (about 24.8 days). */
const KEEP_ALIVE_MS = 2 ** 31 - 1;

/**
 * Holds this thread's event loop open (a ref'd interval, shared by every hold) until the returned
 * function is called; with `{ keepAlive: false }`, holds nothing. Calling the function again does
 * nothing.
 */
export function holdEventLoop(options?: AsyncWaitOptions): () => void {
  if (options?.keepAlive === false) return () => {};
  if (eventLoopHolds++ === 0) keepAliveTimer = setInterval(() => {}, KEEP_ALIVE_MS);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--eventLoopHolds === 0) {
      clearInterval(keepAliveTimer);
      keepAliveTimer = undefined;
    }
  };
}

/**
 * Polls `ready` for at most ASYNC_POLL_NS (poll-window.ts pollFor): the only busy-waiting an async
 * wait does. Returns true as soon as `ready()` does.
 */
export function pollBriefly(ready: () => boolean): boolean {
  return pollFor(ready, ASYNC_POLL_NS);
}
