/**
 * WaitAccount: where the calling thread's time goes on the slow paths of the primitives, kept
 * per thread, so that a report can say how much of a thread's CPU time went to spinning on a
 * lock, polling for work and waking other threads, and how often it slept and was woken.
 *
 * Every primitive in src/sync and src/ring adds to the account of the thread that runs it, when
 * that thread keeps one, and only on a slow path, so an uncontended lock, a push to an awake
 * consumer and a pop that finds work pay nothing new:
 *   spinNs     busy-waiting for a lock that another thread holds (a contended lock's spin
 *              phase, a spin lock's whole wait, a multi-producer ring's wait for an earlier
 *              producer's publication)
 *   pollNs     busy-polling for work before parking (PollWindow, and the few microseconds an
 *              async wait polls)
 *   pollHits   PollWindow polls that caught the work (QEMU's adaptive polling paid)
 *   pollMisses PollWindow windows that ran out with no work (the thread parks next)
 *   notifyNs   inside Atomics.notify calls made because a thread was (about to be) asleep:
 *              a doorbell's ring, a lock's release to a parked waiter
 *   notifies   those notify calls
 *   parks      Atomics.wait and Atomics.waitAsync calls
 *   wakeups    parks that ended because another thread notified them ('ok'), not by a timeout
 *              or because the word had already changed
 * (A park's own duration is not timed: it is off a CPU, and two clock reads per park would cost
 * more than the count is worth on a machine where every handoff parks.)
 *
 * Busy-wait times are wall-clock times between two looks at the clock. A thread that is
 * preempted while it spins is off its CPU, and that time must not count as spinning: a gap
 * between two looks at the clock longer than PREEMPTED_GAP_NS is taken as preemption and not
 * counted at all (see onCpuNs). The spin and poll loops look at the clock often enough that a
 * gap on a running thread is far shorter (a few microseconds).
 *
 * The account is plain module state: each worker thread loads its own copy of this module, so
 * each thread has its own account and nothing is shared or locked. Read it with
 * threadWaitFigures(). The account is kept only where setThreadWaitAccounting(true) turned it on
 * (the emulator's workers, with --breakdown on): otherwise the primitives skip the clock reads
 * that only the account needs (around each notify) and every addition to it; the spin and poll
 * loops read the clock for their own limits anyway.
 */
import { nowNs } from './clock.js';

/**
 * The longest gap between two looks at the clock in a busy-wait that still counts as time on
 * a CPU, ns. A spin or poll loop looks at the clock every few hundred loads (well under 100 us
 * on a running thread); a longer gap means the thread was preempted in between.
 */
export const PREEMPTED_GAP_NS = 100_000;

/** What the calling thread spent on the primitives' slow paths; times in ns (see the top of this file). */
export interface WaitFigures {
  spinNs: number;
  pollNs: number;
  pollHits: number;
  pollMisses: number;
  notifyNs: number;
  notifies: number;
  parks: number;
  wakeups: number;
}

/** The calling thread's account. Primitives add to it directly; others read threadWaitFigures(). */
export const threadWaits: WaitFigures = {
  spinNs: 0,
  pollNs: 0,
  pollHits: 0,
  pollMisses: 0,
  notifyNs: 0,
  notifies: 0,
  parks: 0,
  wakeups: 0,
};

/**
 * Whether the calling thread keeps its account: off by default, so that a library user's
 * notifies and parks cost what a bare Atomics.notify or Atomics.wait does and no busy-wait adds
 * to an account; the emulator turns it on in its workers with --breakdown on (workers/support/arrive.ts).
 */
let accounting = false;

/**
 * Turns the calling thread's account on or off (off by default): off, notifies and parks cost
 * what a bare Atomics.notify or Atomics.wait does, and spins and polls add nothing.
 */
export function setThreadWaitAccounting(on: boolean): void {
  accounting = on;
}

/** Whether the calling thread keeps its account (setThreadWaitAccounting). */
export function isThreadWaitAccountingOn(): boolean {
  return accounting;
}

/** A copy of the calling thread's account since it started (or since resetThreadWaitFigures()). */
export function threadWaitFigures(): WaitFigures {
  return { ...threadWaits };
}

/** Zeroes the calling thread's account; returns what it held. */
export function resetThreadWaitFigures(): WaitFigures {
  const held = threadWaitFigures();
  for (const key of Object.keys(threadWaits) as (keyof WaitFigures)[]) threadWaits[key] = 0;
  return held;
}

/**
 * The part of a busy-wait's segment of `elapsedNs` (between two looks at the clock) that counts
 * as time on a CPU: all of it, or nothing when it is so long that the thread was preempted.
 */
export function onCpuNs(elapsedNs: number): number {
  return elapsedNs <= PREEMPTED_GAP_NS ? elapsedNs : 0;
}

/**
 * What the calling thread's slow paths tell a trace recorder (the emulator's --trace), when one
 * is set: each busy-wait, park, notify and lock wait as it ends, with its times on the thread's
 * clock (nowNs()). Unset, every hook below costs one test of a null.
 */
export interface WaitTracer {
  /** A spin: a lock's spin phase, a spin lock's whole wait, a publication wait. */
  spun(startNs: number, endNs: number): void;
  /** An adaptive poll window; `hit` when it caught the work. */
  polled(startNs: number, endNs: number, hit: boolean): void;
  /** An Atomics.wait on word `index` of `i32`; `woken` when another thread's notify ended it. */
  parked(i32: Int32Array, index: number, startNs: number, endNs: number, woken: boolean): void;
  /** An Atomics.notify on word `index` of `i32`, made because a thread was parked there. */
  notified(i32: Int32Array, index: number, startNs: number, endNs: number): void;
  /** A wait for the lock whose words are `i32`, from the first failed try to the acquisition. */
  lockWaited(i32: Int32Array, startNs: number, endNs: number): void;
  /** A gap in a busy-wait long enough to be a preemption (PREEMPTED_GAP_NS). */
  preempted(startNs: number, endNs: number): void;
}

let tracer: WaitTracer | null = null;

/** Sets the calling thread's trace recorder, or removes it (null). */
export function setThreadWaitTracer(next: WaitTracer | null): void {
  tracer = next;
}

/**
 * Adds a busy-wait segment, between two looks at the clock at `fromNs` and `toNs`, to the calling
 * thread's spin time when it keeps an account; a segment long enough to be a preemption goes to
 * the trace recorder, if any.
 */
export function countSpinNs(fromNs: number, toNs: number): void {
  if (accounting) threadWaits.spinNs += onCpuNs(toNs - fromNs);
  if (tracer !== null && toNs - fromNs > PREEMPTED_GAP_NS) tracer.preempted(fromNs, toNs);
}

/** countSpinNs for a busy-poll segment: the calling thread's poll time. */
export function countPollNs(fromNs: number, toNs: number): void {
  if (accounting) threadWaits.pollNs += onCpuNs(toNs - fromNs);
  if (tracer !== null && toNs - fromNs > PREEMPTED_GAP_NS) tracer.preempted(fromNs, toNs);
}

/** Tells the trace recorder, if any, of a spin from `startNs` to `endNs` (nowNs() times). */
export function traceSpin(startNs: number, endNs: number): void {
  if (tracer !== null) tracer.spun(startNs, endNs);
}

/** Tells the trace recorder, if any, of a poll window from `startNs` to now. */
export function tracePoll(startNs: number, hit: boolean): void {
  if (tracer !== null) tracer.polled(startNs, nowNs(), hit);
}

/** Tells the trace recorder, if any, of a wait for the lock over `i32` that took `waitNs` and ends now. */
export function traceLockWait(i32: Int32Array, waitNs: number): void {
  if (tracer === null) return;
  const now = nowNs();
  tracer.lockWaited(i32, now - waitNs, now);
}

/** Counts a poll window that caught work (`hit`) or ran out, when the calling thread keeps an account. */
export function countPoll(hit: boolean): void {
  if (!accounting) return;
  if (hit) threadWaits.pollHits++;
  else threadWaits.pollMisses++;
}

/**
 * Atomics.notify(i32, index, count), counted as a notify of the calling thread with its time.
 * Call it only when a sleeper was seen: the count and time are of wake-ups paid for.
 * @returns the number of threads it woke
 */
export function notifyCounted(i32: Int32Array, index: number, count?: number): number {
  if (!accounting) return Atomics.notify(i32, index, count);
  const start = nowNs();
  const woken = Atomics.notify(i32, index, count);
  const end = nowNs();
  threadWaits.notifies++;
  threadWaits.notifyNs += onCpuNs(end - start);
  if (tracer !== null && woken > 0) tracer.notified(i32, index, start, end);
  return woken;
}

/**
 * Atomics.wait(i32, index, value, timeoutMs), counted as a park of the calling thread (and as a
 * wake-up when another thread's notify ended it).
 */
export function waitCounted(
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
): ReturnType<typeof Atomics.wait> {
  if (tracer !== null) return waitTraced(tracer, i32, index, value, timeoutMs);
  const outcome = Atomics.wait(i32, index, value, timeoutMs);
  if (!accounting) return outcome;
  threadWaits.parks++;
  if (outcome === 'ok') threadWaits.wakeups++;
  return outcome;
}

/** waitCounted with a trace recorder: the park's two ends are read off the clock and recorded. */
function waitTraced(
  to: WaitTracer,
  i32: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
): ReturnType<typeof Atomics.wait> {
  const start = nowNs();
  const outcome = Atomics.wait(i32, index, value, timeoutMs);
  to.parked(i32, index, start, nowNs(), outcome === 'ok');
  if (accounting) {
    threadWaits.parks++;
    if (outcome === 'ok') threadWaits.wakeups++;
  }
  return outcome;
}
