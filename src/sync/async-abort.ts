/**
 * Cancelling an async wait with an AbortSignal, although Atomics.waitAsync cannot be cancelled:
 * the abandoned wait becomes a "ghost" that a primitive counts and wakes on top of its real waiters.
 *
 * The problem: a waiter parked with Atomics.waitAsync stays on the word's list of waiters until a
 * notify or its timeout removes it; nothing else can. An aborted wait must reject at once and give
 * back its sleeper count, but its entry stays on the list, in the order it began to wait: a later
 * Atomics.notify(i32, index, 1) may pick the ghost and wake nobody who cares, and the real waiter
 * behind it sleeps on (a lost wake-up).
 *
 * The cure, shared by Condition and Semaphore: a word of the primitive (GHOSTS) counts the abandoned
 * waits whose waitAsync is still pending. The abort raises it, then gives back the waiter's sleeper
 * count; the pending promise lowers it when it finally settles (woken, or its timeout). A notifier
 * that means to wake k sleepers reads the sleeper count, then GHOSTS, and wakes k + GHOSTS: however
 * many ghosts stand ahead of the real waiters on the list, at most GHOSTS of the woken are ghosts.
 * All Atomics are sequentially consistent and the abort raises GHOSTS before it lowers the sleeper
 * count, so a notifier that reads them in the other order never misses the waiter in both.
 *
 * One race is left: a notify can wake the wait (take it off the list) a moment before the abort,
 * while the resolution is still queued on the waiter's event loop; the abort then sees a pending
 * wait, and the wake-up it took is lost to the real waiters. So a ghost whose wait settles 'ok'
 * (it was notified) passes a wake-up on (`passOn`: the primitive wakes one more sleeper if one could
 * use it). When the notifier had already counted the ghost, that costs one spurious wake-up, which
 * both primitives allow (their waiters re-check); it never loses one.
 *
 * A ghost does not keep the process alive (the primitive lets go of the event loop at the abort),
 * and a ghost with no timeout that nobody ever notifies stays counted: each later notify then wakes
 * one thread more than it needs, never fewer.
 */
import { holdEventLoop, waitAsync, type AsyncWaitOptions, type Park, type WaitOutcome } from './park.js';

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

/**
 * Options of an async wait that can be cancelled: Condition.waitAsync, Semaphore.acquireAsync,
 * Latch.waitAsync, Barrier.waitAsync, Channel.sendAsync and recvAsync.
 */
export interface AbortableWaitOptions extends AsyncWaitOptions {
  /** Give up after this many milliseconds (resolving to false); default: wait as long as it takes. */
  timeoutMs?: number;
  /**
   * Give up when this signal aborts: the promise rejects with `signal.reason` and no waiter is left
   * registered. An already-aborted signal rejects at once.
   */
  signal?: AbortSignalLike;
}

/** What an abortable wait came to: a WaitOutcome, or 'aborted' when the signal aborted first. */
export type AbortableOutcome = WaitOutcome | 'aborted';

/** Where a primitive counts its ghosts, and how it passes on a wake-up a ghost may have taken. */
export interface GhostWord {
  /** Index of the GHOSTS word in the Int32Array the wait parks in. */
  readonly index: number;
  /** Called when an abandoned wait settles 'ok' (it was notified): wake one more sleeper if one needs it. */
  readonly passOn: () => void;
}

/**
 * Checks the `signal` option: undefined, or an AbortSignal.
 * @throws TypeError for anything else
 */
export function checkSignal(what: string, signal: unknown): AbortSignalLike | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new TypeError(`${what}: signal must be an AbortSignal, got ${typeof signal}`);
}

/**
 * Atomics.waitAsync(i32, index, value, timeoutMs) (park.ts waitAsync: counted in the thread's wait
 * account) that `signal` can abandon. Resolves to the wait's outcome, or to 'aborted' when the
 * signal aborts first (or had aborted already: then it does not park). On abort it counts a ghost
 * in word `ghosts.index`, then calls `giveBack()` (the caller's sleeper count goes), both in the
 * abort event itself, in that order (see the top of this file); the ghost is uncounted when the
 * pending wait settles, and passes its wake-up on if it was notified.
 */
export function waitAsyncAbortable(
  what: string,
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
  signal: AbortSignalLike | undefined,
  ghosts: GhostWord,
  giveBack: () => void,
): Promise<AbortableOutcome> {
  if (signal === undefined) return waitAsync(what, i32, index, value, timeoutMs);
  if (signal.aborted) {
    giveBack();
    return Promise.resolve('aborted');
  }
  const pending = waitAsync(what, i32, index, value, timeoutMs);
  return new Promise<AbortableOutcome>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      Atomics.add(i32, ghosts.index, 1);
      giveBack();
      pending.then(
        (outcome) => {
          Atomics.sub(i32, ghosts.index, 1);
          if (outcome === 'ok') ghosts.passOn();
        },
        () => Atomics.sub(i32, ghosts.index, 1),
      );
      resolve('aborted');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (outcome) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** passOn for the primitives whose every wake-up is a notify of all (Latch, Barrier): nothing to pass on. */
export const NO_PASS_ON = (): void => {};

/** A park loop (park.ts) whose result is of type T. */
export type WaitLoop<T> = Generator<Park, T, void>;

/**
 * Drives `loop` with Atomics.waitAsync, as park.ts parkAsync does, and honours `options.signal`
 * through waitAsyncAbortable: on an abort the pending park becomes a ghost (word `ghosts.index`),
 * and the loop is resumed at once; it must look at the signal every time it resumes after a park
 * and, when it is aborted, end (throw `signal.reason`, or return if what it waited for came first),
 * its finally blocks giving back its sleeper count after the ghost was counted. A park woken just
 * before the abort passes its wake-up on (`ghosts.passOn`). For Latch, Barrier and Channel, whose
 * waits are park loops.
 */
export async function parkAbortable<T>(
  what: string,
  i32: Int32Array,
  loop: WaitLoop<T>,
  ghosts: GhostWord,
  options: AbortableWaitOptions | undefined,
): Promise<T> {
  const signal = options?.signal;
  let letGo: (() => void) | undefined;
  try {
    for (let step = loop.next(); ; step = loop.next()) {
      if (step.done === true) return step.value;
      if (signal?.aborted === true) continue; // the loop sees the abort as it resumes, and ends
      const park = step.value;
      letGo ??= holdEventLoop(options);
      // The loop's own finally gives its sleeper count back, after the ghost is counted.
      const { index, value, timeoutMs } = park;
      const outcome = await waitAsyncAbortable(what, i32, index, value, timeoutMs, signal, ghosts, NO_PASS_ON);
      if (outcome === 'ok' && abortedNow(signal)) ghosts.passOn(); // woken, but aborted before it could act
    }
  } catch (error) {
    // Let the loop's finally blocks give back its sleeper count (a no-op if the loop threw).
    (loop as Generator<Park, unknown, void>).return(undefined);
    throw error;
  } finally {
    letGo?.();
  }
}

/** Whether `signal` is aborted now (a call, so that no narrowing from before an await applies). */
function abortedNow(signal: AbortSignalLike | undefined): boolean {
  return signal?.aborted === true;
}

/** checkSignal, then throws `signal.reason` when the signal has aborted already. */
export function checkedLiveSignal(what: string, signal: unknown): AbortSignalLike | undefined {
  const checked = checkSignal(what, signal);
  if (checked?.aborted === true) throw checked.reason;
  return checked;
}
