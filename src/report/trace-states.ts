/**
 * Where each thread's time in the trace window went, by state, computed from its records
 * (issue 29: the picture must agree with the per-role accounting). At each moment a thread is
 * in the state of the innermost slice open on it that has one, so nested kinds win over their
 * parents (a spin inside a lock wait is spinning, a park inside it parked):
 *   spinning   SPIN                       polling   POLL
 *   parked     PARK                       lock held LOCK_HELD
 *   working    inside a pass (or a lock wait, or a notify) and none of the above
 *   preempted  a gap inside a spin or a poll long enough to be a preemption (PREEMPTED, > 100 us):
 *              runnable but off its CPU, which the accounting leaves out of spin and poll too
 *   other      no slice open: nothing was recorded
 * The swimlanes (trace-svg.ts) colour their rows by the same segments.
 */
import type { WorkerRole } from '../protocol/roster.js';
import { TraceKind } from '../protocol/trace-record.js';
import { nestingOrder, traceWindows, type ThreadWindow, type TraceInput, type WindowRecord } from './trace-window.js';

export const THREAD_STATES = ['working', 'lock held', 'spinning', 'polling', 'parked', 'preempted', 'other'] as const;
export type ThreadState = (typeof THREAD_STATES)[number];

/** The state a slice kind puts its thread in; kinds without one take their parent's. */
const KIND_STATE: Readonly<Record<number, ThreadState>> = {
  [TraceKind.LOCK_HELD]: 'lock held',
  [TraceKind.SPIN]: 'spinning',
  [TraceKind.POLL]: 'polling',
  [TraceKind.PARK]: 'parked',
  [TraceKind.PREEMPTED]: 'preempted',
};

/** A stretch of one state, ns from the window's start. */
export interface StateSegment {
  start: number;
  end: number;
  state: ThreadState;
}

/** ns in each state. */
export type StateTimes = Record<ThreadState, number>;

/** One thread's time in the window by state. */
export interface ThreadStates {
  role: WorkerRole;
  index: number;
  threadId: number;
  /** ns by state; they add up to the window. */
  ns: StateTimes;
  /** Shares of the window by state; they add up to 1. */
  shares: StateTimes;
}

/** The state segments of a thread's slices (in nesting order, as ThreadWindow has them) over [0, windowNs]. */
export function stateSegments(slices: readonly WindowRecord[], windowNs: number): StateSegment[] {
  const segments: StateSegment[] = [];
  const open: { end: number; state: ThreadState }[] = [];
  let cursor = 0;
  const reach = (to: number, state: ThreadState): void => {
    if (to <= cursor) return;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.state === state && last.end === cursor) last.end = to;
    else segments.push({ start: cursor, end: to, state });
    cursor = to;
  };
  const closeUntil = (time: number): void => {
    while (open.length > 0 && open[open.length - 1]!.end <= time) {
      const top = open.pop()!;
      reach(top.end, top.state);
    }
  };
  for (const slice of slices) {
    closeUntil(slice.start);
    const parent = open[open.length - 1];
    reach(slice.start, parent?.state ?? 'other');
    open.push({ end: slice.end, state: KIND_STATE[slice.kind] ?? parent?.state ?? 'working' });
  }
  closeUntil(Infinity);
  reach(windowNs, 'other');
  return segments;
}

function zeroTimes(): StateTimes {
  return { working: 0, 'lock held': 0, spinning: 0, polling: 0, parked: 0, preempted: 0, other: 0 };
}

/** ns by state of `segments`. */
function timesOf(segments: readonly StateSegment[]): StateTimes {
  const ns = zeroTimes();
  for (const segment of segments) ns[segment.state] += segment.end - segment.start;
  return ns;
}

function sharesOf(ns: StateTimes, total: number): StateTimes {
  const shares = zeroTimes();
  for (const state of THREAD_STATES) shares[state] = total > 0 ? ns[state] / total : 0;
  return shares;
}

/**
 * A thread's state segments over its window: its slices, and its preemption gaps, each of which
 * lies inside the spin or poll that saw it, as the innermost slice there.
 */
export function threadSegments(window: ThreadWindow, windowNs: number): StateSegment[] {
  return stateSegments([...window.slices, ...window.preemptions].sort(nestingOrder), windowNs);
}

/** One thread's states from its window. */
export function statesOfWindow(window: ThreadWindow, windowNs: number): ThreadStates {
  const ns = timesOf(threadSegments(window, windowNs));
  const { role, index, threadId } = window.thread;
  return { role, index, threadId, ns, shares: sharesOf(ns, windowNs) };
}

/** Every thread's time in the window by state, in request order. */
export function threadStates(input: TraceInput): ThreadStates[] {
  return traceWindows(input).map((window) => statesOfWindow(window, input.windowNs));
}

/** Each role's shares by state: its threads' ns together over their windows together. */
export function roleStates(states: readonly ThreadStates[]): Partial<Record<WorkerRole, StateTimes>> {
  const roles: Partial<Record<WorkerRole, StateTimes>> = {};
  for (const role of new Set(states.map((s) => s.role))) {
    const mine = states.filter((s) => s.role === role);
    const ns = zeroTimes();
    for (const s of mine) for (const state of THREAD_STATES) ns[state] += s.ns[state];
    const total = THREAD_STATES.reduce((sum, state) => sum + ns[state], 0);
    roles[role] = sharesOf(ns, total);
  }
  return roles;
}
