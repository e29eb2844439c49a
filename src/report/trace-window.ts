/**
 * A run's trace records (src/protocol/trace-record.ts) read into the trace window: decoded,
 * clipped to it, on integer nanoseconds from its start, and each thread's slices in the order
 * that nests them. The JSON writer, the state shares and the swimlanes all read records through
 * here, so that they agree on what lies in the window and on which slice holds which.
 */
import type { WorkerRole } from '../protocol/roster.js';
import { TRACE_WORDS, TraceKind, type ThreadTrace } from '../protocol/trace-record.js';

/** One traced worker of the run. */
export interface TraceThread {
  role: WorkerRole;
  index: number;
  /** The worker's threadId (node:worker_threads): the trace file's tid. */
  threadId: number;
  trace: ThreadTrace;
}

/** What the trace outputs are made from. */
export interface TraceInput {
  threads: readonly TraceThread[];
  /** The window on the run's stamp time line, ns. */
  windowStartNs: number;
  windowNs: number;
  /** The device thread (nullblk index) that serves IO thread k's hardware queue. */
  hwqDevice: readonly number[];
  /** Each submission ring's name, by ring index (LOCK_WAIT, LOCK_HELD, RING_DEPTH). */
  ringNames: readonly string[];
  /** The process's name in the file, e.g. `vblk-mq sq spin jobs=8 iodepth=32`. */
  title: string;
  /** The file's pid; process.pid when absent. */
  pid?: number;
}

/** One record, with times in integer ns from the window's start. */
export interface WindowRecord {
  kind: number;
  start: number;
  end: number;
  /** The kind's own words, [3..7] of the record. */
  words: readonly [number, number, number, number, number];
}

/** A thread's records in the window. */
export interface ThreadWindow {
  thread: TraceThread;
  /** Slices (kinds up to LAST_SLICE), clipped, in nesting order (see nestingOrder). */
  slices: WindowRecord[];
  /** Slices whose end was moved back to their enclosing slice's end to keep them nested. */
  clamped: number;
  /** PREEMPTED gaps, clipped. */
  preemptions: WindowRecord[];
  /** IN_FLIGHT and RING_DEPTH samples inside the window. */
  counters: WindowRecord[];
  /** REQUEST samples, unclipped: their stamps are checked one by one (trace-json.ts). */
  requests: WindowRecord[];
}

/** The roles in request order: the order of rows and of thread_sort_index. */
const ROLE_ORDER: readonly WorkerRole[] = ['vcpu', 'iothread', 'nullblk'];

/** `vCPU 3`, `IOThread 0`, `device 0`: how the trace file and the swimlanes name a thread. */
export function threadLabel(role: WorkerRole, index: number): string {
  const prefix = { vcpu: 'vCPU', iothread: 'IOThread', nullblk: 'device' }[role];
  return `${prefix} ${index}`;
}

/** The threads in request order: vCPUs, then IO threads, then devices, each by index. */
export function requestOrder<T extends { role: WorkerRole; index: number }>(threads: readonly T[]): T[] {
  return [...threads].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || a.index - b.index);
}

/**
 * Which of two slices with the same start and end holds the other: a pass holds a lock's wait
 * or hold, which hold a poll, which holds a spin or park, which hold a notify. The recorder
 * writes a record when its bracket closes, so its order cannot say.
 */
const HOLDING_RANK: Readonly<Record<number, number>> = {
  [TraceKind.LOCK_WAIT]: 1,
  [TraceKind.LOCK_HELD]: 1,
  [TraceKind.POLL]: 2,
  [TraceKind.SPIN]: 3,
  [TraceKind.PARK]: 3,
  [TraceKind.NOTIFY]: 4,
};

/** Start first, then the longer first, then the holder first: an enclosing slice comes before what it holds. */
export function nestingOrder(a: WindowRecord, b: WindowRecord): number {
  return a.start - b.start || b.end - a.end || (HOLDING_RANK[a.kind] ?? 0) - (HOLDING_RANK[b.kind] ?? 0);
}

/** A stamp on the run's time line as integer ns from the window's start. */
export function windowTime(input: TraceInput, stampNs: number): number {
  return Math.round(stampNs - input.windowStartNs);
}

/** Every record of a thread's trace, times moved to the window's line (not clipped). */
function decode(input: TraceInput, trace: ThreadTrace): WindowRecord[] {
  const records: WindowRecord[] = [];
  const r = trace.records;
  for (let at = 0; at < trace.count * TRACE_WORDS; at += TRACE_WORDS) {
    records.push({
      kind: r[at]!,
      start: windowTime(input, r[at + 1]!),
      end: windowTime(input, r[at + 2]!),
      words: [r[at + 3]!, r[at + 4]!, r[at + 5]!, r[at + 6]!, r[at + 7]!],
    });
  }
  return records;
}

/** A record clipped to [0, windowNs], or undefined when it lies wholly outside. */
function clip(record: WindowRecord, windowNs: number): WindowRecord | undefined {
  if (record.end < 0 || record.start > windowNs) return undefined;
  return { ...record, start: Math.max(0, record.start), end: Math.min(windowNs, record.end) };
}

/**
 * Slices sorted into nesting order, each ending no later than the slice that holds it. Clipping
 * keeps nested records nested; the clamp only guards against a recorder that did not (a slice
 * that outlives its parent would go to Perfetto's overflow track), and is counted.
 */
function nest(slices: WindowRecord[]): { slices: WindowRecord[]; clamped: number } {
  const sorted = [...slices].sort(nestingOrder);
  const open: number[] = [];
  let clamped = 0;
  const nested = sorted.map((slice) => {
    // A slice that starts where the open one ends follows it rather than sits in it.
    while (open.length > 0 && open[open.length - 1]! <= slice.start) open.pop();
    const limit = open[open.length - 1];
    let end = slice.end;
    if (limit !== undefined && end > limit) {
      end = limit;
      clamped++;
    }
    open.push(end);
    return end === slice.end ? slice : { ...slice, end };
  });
  return { slices: nested, clamped };
}

/** One thread's records in the window. */
export function threadWindow(input: TraceInput, thread: TraceThread): ThreadWindow {
  const records = decode(input, thread.trace);
  const inside = (kinds: (kind: number) => boolean): WindowRecord[] =>
    records.flatMap((r) => (kinds(r.kind) ? (clip(r, input.windowNs) ?? []) : []));
  const { slices, clamped } = nest(inside((k) => k >= 1 && k <= TraceKind.LAST_SLICE));
  return {
    thread,
    slices,
    clamped,
    preemptions: inside((k) => k === TraceKind.PREEMPTED),
    counters: inside((k) => k === TraceKind.IN_FLIGHT || k === TraceKind.RING_DEPTH),
    requests: records.filter((r) => r.kind === TraceKind.REQUEST),
  };
}

/**
 * The wake-ups with both ends in the window, by the recorder's flow id: the NOTIFY that rang
 * and the PARK it ended. `unlinked` counts the notifies and parks left without a partner.
 */
export function matchWakeups(windows: readonly ThreadWindow[]): {
  pairs: Map<number, { notify: WindowRecord; park: WindowRecord }>;
  unlinked: number;
} {
  const notifies = new Map<number, WindowRecord[]>();
  const parks = new Map<number, WindowRecord[]>();
  const add = (map: Map<number, WindowRecord[]>, id: number, record: WindowRecord): void => {
    if (id !== 0) map.set(id, [...(map.get(id) ?? []), record]);
  };
  for (const window of windows) {
    for (const slice of window.slices) {
      if (slice.kind === TraceKind.NOTIFY) add(notifies, slice.words[0], slice);
      if (slice.kind === TraceKind.PARK) add(parks, slice.words[1], slice);
    }
  }
  const pairs = new Map<number, { notify: WindowRecord; park: WindowRecord }>();
  for (const [id, [notify, ...moreNotifies]] of notifies) {
    const [park, ...moreParks] = parks.get(id) ?? [];
    // A recorder id seen twice cannot say which end goes with which: draw neither.
    if (notify !== undefined && park !== undefined && moreNotifies.length === 0 && moreParks.length === 0) {
      pairs.set(id, { notify, park });
    }
  }
  const ends = [...notifies.values(), ...parks.values()].reduce((sum, list) => sum + list.length, 0);
  return { pairs, unlinked: ends - 2 * pairs.size };
}

/** Every thread's records in the window, in request order. */
export function traceWindows(input: TraceInput): ThreadWindow[] {
  return requestOrder(input.threads).map((thread) => threadWindow(input, thread));
}
