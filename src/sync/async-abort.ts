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
 * The same holds for a live async waiter whose event loop is busy (in a blocking call of its own,
 * maybe waiting on the very thread a notify meant to wake): woken, it cannot act until its loop
 * runs, and a notify of 1 spent on it is lost to the blocking waiters behind it.
 *
 * The cure, shared by every primitive with async waits: a word of the primitive (GHOSTS) counts the
 * parks of Atomics.waitAsync that are pending, from before each parks until it settles, whether its
 * wait was aborted (a ghost proper: the abort gives back the waiter's sleeper count, its park stays
 * counted here) or not. A notifier that means to wake k sleepers reads the sleeper count, then
 * GHOSTS, and wakes k + GHOSTS: however many async parks stand ahead of the blocking waiters on the
 * list, at most GHOSTS of the woken are they, so k waiters who can act are woken whenever k exist.
 * All Atomics are sequentially consistent and a park is counted in GHOSTS before its abort lowers
 * the sleeper count, so a notifier that reads them in the other order never misses it in both.
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
 *
 * The locks' lockAsync, Doorbell.parkAsync and waitUntilAsync keep no GHOSTS word: no notify of a
 * limited count reaches a word they park on (see GhostWord), so a ghost there takes no wake-up
 * from anybody, and an abort needs only give back what the waiter holds. A lock's park loop is
 * ended at its park (AbortInto 'throw'): its finally blocks give up its sleeper count, its ticket
 * (skipped in its turn, or at once, serving the next, when it is being served already) or its
 * queue node (passing the headship on), exactly as when it times out or sees the lock poisoned.
 */
import {
  holdEventLoop,
  waitAsync,
  type AbortSignalLike,
  type AsyncWaitOptions,
  type Park,
  type WaitOutcome,
} from './park.js';

export type { AbortSignalLike } from './park.js';

/**
 * Options of an async wait that takes its timeout among its options: Condition.waitAsync,
 * Semaphore.acquireAsync, Latch.waitAsync, Barrier.waitAsync, Channel.sendAsync and recvAsync.
 * `signal` (AsyncWaitOptions): an abort rejects with `signal.reason` and leaves no waiter
 * registered; an already-aborted signal rejects at once.
 */
export interface AbortableWaitOptions extends AsyncWaitOptions {
  /** Give up after this many milliseconds (resolving to false); default: wait as long as it takes. */
  timeoutMs?: number;
}

/** What an abortable wait came to: a WaitOutcome, or 'aborted' when the signal aborted first. */
export type AbortableOutcome = WaitOutcome | 'aborted';

/**
 * Where a primitive counts its ghosts, and how it passes on a wake-up a ghost may have taken. A
 * wait passes none (undefined) where no notify of a limited count can reach a ghost: every word it
 * parks on is notified all at once (the Doorbell's SEQ; a lock's TIMED_SEQ, ticket slots,
 * ASYNC_SEQ and FAIR_HEIR), or nobody notifies it (SpinLock's lock word), or it is its waiter's own (a queue
 * lock's node, which the lock notifies all at once, so a ghost left there by an earlier owner of
 * the node is woken with the new owner).
 */
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
 * signal aborts first (or had aborted already: then it does not park). Every park is counted in
 * word `ghosts.index` from before it parks until it settles; on abort `giveBack()` (the caller's
 * sleeper count goes) runs in the abort event, the park staying counted there as a ghost until it
 * settles, when it passes its wake-up on if it was notified.
 */
export function waitAsyncAbortable(
  what: string,
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
  signal: AbortSignalLike | undefined,
  ghosts: GhostWord | undefined,
  giveBack: () => void,
): Promise<AbortableOutcome> {
  if (signal?.aborted === true) {
    giveBack();
    return Promise.resolve('aborted');
  }
  // Counted in GHOSTS from before it parks until it settles, aborted or not (see the top of this
  // file: an async waiter may not be able to act on a wake-up at once, its event loop busy).
  if (ghosts !== undefined) Atomics.add(i32, ghosts.index, 1);
  const pending = waitAsync(what, i32, index, value, timeoutMs);
  const uncount = (): void => {
    if (ghosts !== undefined) Atomics.sub(i32, ghosts.index, 1);
  };
  if (signal === undefined) {
    return pending.then(
      (outcome) => {
        uncount();
        return outcome;
      },
      (error: unknown) => {
        uncount();
        throw error;
      },
    );
  }
  return new Promise<AbortableOutcome>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      giveBack(); // its park stays counted in GHOSTS until it settles: a ghost
      pending.then(
        (outcome) => {
          uncount();
          if (outcome === 'ok') ghosts?.passOn();
        },
        uncount,
      );
      resolve('aborted');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (outcome) => {
        if (settled) return;
        settled = true;
        uncount();
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        uncount();
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
 * How a park loop driven by parkAbortable learns of an abort: 'resume' resumes it, and it looks at
 * the signal itself (Latch, Barrier, Channel: what it waited for may have come first); 'throw'
 * throws `signal.reason` into it at its park (the locks: the loop ends there, and its finally
 * blocks give up whatever it holds, as they do when it times out or is poisoned).
 */
export type AbortInto = 'resume' | 'throw';

/**
 * Drives `loop` with Atomics.waitAsync, holding the event loop open from its first park unless
 * `options.keepAlive` is false (park.ts), and honours `options.signal` through waitAsyncAbortable:
 * on an abort the pending park becomes a ghost (counted in word `ghosts.index`, if the primitive
 * has one), and the loop ends at once as `abortInto` says: 'resume' resumes it, and it must look
 * at the signal every time it resumes after a park and, when it is aborted, end (throw
 * `signal.reason`, or return if what it waited for came first); 'throw' throws `signal.reason`
 * into it at its park. Either way its finally blocks give back its sleeper count (or its place)
 * after the ghost was counted. A park woken just before the abort passes its wake-up on
 * (`ghosts.passOn`). For every async wait written as a park loop: the locks' lockAsync (park.ts),
 * Latch, Barrier and Channel.
 */
export async function parkAbortable<T>(
  what: string,
  i32: Int32Array,
  loop: WaitLoop<T>,
  ghosts: GhostWord | undefined,
  options: AsyncWaitOptions | undefined,
  abortInto: AbortInto = 'resume',
): Promise<T> {
  const signal = options?.signal;
  let letGo: (() => void) | undefined;
  try {
    for (let step = loop.next(); ; ) {
      if (step.done === true) return step.value;
      if (abortedNow(signal)) {
        // 'resume': the loop sees the abort as it resumes, and ends; 'throw': it ends at its park.
        step = abortInto === 'throw' ? loop.throw(signal!.reason) : loop.next();
        continue;
      }
      letGo ??= holdEventLoop(options);
      // The loop's own finally gives its sleeper count back, after the ghost is counted.
      const { index, value, timeoutMs } = step.value;
      const outcome = await waitAsyncAbortable(what, i32, index, value, timeoutMs, signal, ghosts, NO_PASS_ON);
      if (outcome === 'ok' && abortedNow(signal)) ghosts?.passOn(); // woken, but aborted before it could act
      // 'throw' and aborted: the loop is not resumed (it could take what it waited for); see above.
      if (abortInto === 'resume' || !abortedNow(signal)) step = loop.next();
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
