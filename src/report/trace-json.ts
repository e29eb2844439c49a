/**
 * A run's trace window as a Trace Event Format file (issue 29, `--trace FILE`), for
 * ui.perfetto.dev and chrome://tracing. Pure over the records but for writeTraceFile.
 *
 * What goes in, by the import rules of /work/shared/reference/trace-format.md:
 *   - `M` process_name, and a thread_name and thread_sort_index per thread (request order);
 *   - `X` per slice record, named from TRACE_EVENTS (trace-events.ts), nested on each thread
 *     (trace-window.ts clips and orders them);
 *   - wake-ups as v2 flows: a NOTIFY's slice (`flow_out`) to a zero-length `sched_wakeup` at the
 *     end of the PARK it ended (`flow_in`). The arrow ends where the woken thread runs again,
 *     not at the PARK's start, which lies before the notify: Perfetto draws an arrow to the
 *     start of the slice it binds to, so binding the PARK itself would draw it backwards;
 *   - each sampled request as one chain of zero-length slices over the threads it crossed;
 *   - `C` counters of requests in flight and ring depths, `i` instants for preemptions.
 * Times are µs from the window's start, from integer ns (so the importer's µs×1000 rounding
 * gives the same ns back and cannot unnest two slices). Flow ids are renumbered 1, 2, ... in
 * the file, so none is ever reused: Perfetto never closes a JSON flow.
 */
import fs from 'node:fs';
import { TraceKind } from '../protocol/trace-record.js';
import {
  inFlightCounterName,
  NOTIFY_NAMES,
  PREEMPTED_NAME,
  REQUEST_STEP_NAMES,
  ringDepthCounterName,
  SLICE_NAMES,
  WAKEUP_NAME,
} from './trace-events.js';
import {
  threadLabel,
  matchWakeups,
  traceWindows,
  windowTime,
  type ThreadWindow,
  type TraceInput,
  type WindowRecord,
} from './trace-window.js';

/** One event of the file; only the fields its `ph` uses are present. */
export interface TraceEvent {
  name: string;
  ph: 'M' | 'X' | 'i' | 'C';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  /** Instants: the thread's track. */
  s?: 't';
  args?: Record<string, number | string | boolean>;
  bind_id?: number;
  flow_in?: boolean;
  flow_out?: boolean;
}

/** What the file says about itself (`otherData`). */
export interface TraceOtherData {
  title: string;
  windowStartNs: number;
  windowNs: number;
  /** Every Nth request a vCPU reaped was sampled as a path (0: none). */
  sampleEvery: number;
  /** Threads whose buffer filled before the window ended: their records stop early. */
  truncatedThreads: string[];
  /** Wake-ups drawn as arrows, and notifies or parks whose other end is not in the window. */
  wakeups: { linked: number; unlinked: number };
  /** Sampled requests drawn, and those with a stamp outside the window. */
  requests: { drawn: number; outsideWindow: number };
  /** Slices cut back to their enclosing slice's end to keep them nested (0 from a sound recorder). */
  clampedSlices: number;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  otherData: TraceOtherData;
  /**
   * The machine and the code that made it (src/report/machine.ts), as every vblk-mq result file
   * carries it; a top-level key of its own, which the Trace Event Format readers pass over.
   */
  machine?: unknown;
}

/** µs from the window's start, from integer ns. */
function us(ns: number): number {
  return ns / 1000;
}

/** The file's events under construction, with flow ids handed out once each. */
class EventSink {
  readonly events: TraceEvent[] = [];
  private nextFlow = 1;
  constructor(readonly pid: number) {}

  flowId(): number {
    return this.nextFlow++;
  }

  slice(tid: number, name: string, cat: string, start: number, end: number, extra: Partial<TraceEvent> = {}): void {
    this.events.push({ name, ph: 'X', pid: this.pid, tid, ts: us(start), dur: us(end - start), cat, ...extra });
  }
}

/** The args of a slice record, by kind. */
function sliceArgs(record: WindowRecord, input: TraceInput): Record<string, number | string | boolean> {
  const a = record.words[0];
  switch (record.kind) {
    case TraceKind.LOCK_WAIT:
    case TraceKind.LOCK_HELD:
      return { ring: input.ringNames[a] ?? String(a) };
    case TraceKind.POLL:
      return { caught_work: a === 1 };
    case TraceKind.PARK:
      return { woken_by_notify: a === 1 };
    case TraceKind.NOTIFY:
      return { woke_slot: record.words[2] };
    case TraceKind.SPIN:
      return {};
    default:
      return { requests: a };
  }
}

/** The category of a slice kind, so that Perfetto's filter can pick passes, locks or waits. */
function sliceCategory(kind: number): string {
  if (kind <= TraceKind.SERVICE) return 'pass';
  if (kind === TraceKind.LOCK_WAIT || kind === TraceKind.LOCK_HELD) return 'lock';
  if (kind === TraceKind.NOTIFY) return 'wakeup';
  return 'wait';
}

/** A slice record's name. */
function sliceName(record: WindowRecord): string {
  if (record.kind === TraceKind.NOTIFY) return NOTIFY_NAMES[record.words[1]] ?? NOTIFY_NAMES[6]!;
  return SLICE_NAMES[record.kind]!;
}

/** A thread's slices, with the flow ends of the wake-ups it rang or received. */
function emitSlices(
  sink: EventSink,
  window: ThreadWindow,
  input: TraceInput,
  flows: { notify: Map<WindowRecord, number>; park: Map<WindowRecord, number> },
): void {
  const tid = window.thread.threadId;
  for (const record of window.slices) {
    const notifyFlow = flows.notify.get(record);
    const extra: Partial<TraceEvent> = notifyFlow === undefined ? {} : { bind_id: notifyFlow, flow_out: true };
    const args = sliceArgs(record, input);
    sink.slice(tid, sliceName(record), sliceCategory(record.kind), record.start, record.end, { args, ...extra });
    const parkFlow = flows.park.get(record);
    if (parkFlow !== undefined) {
      sink.slice(tid, WAKEUP_NAME, 'wakeup', record.end, record.end, { bind_id: parkFlow, flow_in: true });
    }
  }
}

/** The threads a sampled request crossed, or undefined when one is not traced. */
function requestSteps(
  request: WindowRecord,
  vcpuTid: number,
  input: TraceInput,
  tidOf: (role: 'iothread' | 'nullblk', index: number) => number | undefined,
): { name: string; tid: number; at: number }[] | undefined {
  const [iothread, pop, dev, done, post] = request.words;
  const ioTid = tidOf('iothread', iothread);
  const device = input.hwqDevice[iothread];
  const deviceTid = device === undefined ? undefined : tidOf('nullblk', device);
  if (ioTid === undefined || deviceTid === undefined) return undefined;
  // A NaN stamp is a step the request did not take (no IO thread post with --completion-path direct).
  const middle = (stamp: number): number => (Number.isNaN(stamp) ? NaN : windowTime(input, stamp));
  const steps = [
    { name: REQUEST_STEP_NAMES.submit, tid: vcpuTid, at: request.start },
    { name: REQUEST_STEP_NAMES.pop, tid: ioTid, at: middle(pop) },
    { name: REQUEST_STEP_NAMES.issue, tid: deviceTid, at: middle(dev) },
    { name: REQUEST_STEP_NAMES.complete, tid: deviceTid, at: middle(done) },
    { name: REQUEST_STEP_NAMES.post, tid: ioTid, at: middle(post) },
    { name: REQUEST_STEP_NAMES.reap, tid: vcpuTid, at: request.end },
  ];
  return steps.filter((step) => !Number.isNaN(step.at));
}

/** Each sampled request as a chain of zero-length slices under one flow id; returns drawn and skipped. */
function emitRequests(sink: EventSink, windows: readonly ThreadWindow[], input: TraceInput): [number, number] {
  const tids = new Map(windows.map((w) => [`${w.thread.role} ${w.thread.index}`, w.thread.threadId]));
  const tidOf = (role: string, index: number): number | undefined => tids.get(`${role} ${index}`);
  let drawn = 0;
  let outside = 0;
  for (const window of windows) {
    for (const [n, request] of window.requests.entries()) {
      const steps = requestSteps(request, window.thread.threadId, input, tidOf);
      if (steps === undefined || steps.some((step) => step.at < 0 || step.at > input.windowNs)) {
        outside++;
        continue;
      }
      const id = sink.flowId();
      const args = { vcpu: window.thread.index, sample: n, latency_us: us(request.end - request.start) };
      steps.forEach((step, i) => {
        const flow = {
          bind_id: id,
          ...(i > 0 ? { flow_in: true } : {}),
          ...(i < steps.length - 1 ? { flow_out: true } : {}),
        };
        sink.slice(step.tid, step.name, 'request', step.at, step.at, { args, ...flow });
      });
      drawn++;
    }
  }
  return [drawn, outside];
}

/** A thread's counters and preemption instants. */
function emitMarks(sink: EventSink, window: ThreadWindow, input: TraceInput): void {
  const tid = window.thread.threadId;
  for (const gap of window.preemptions) {
    const args = { gap_us: us(gap.end - gap.start) };
    const ts = us(gap.start);
    sink.events.push({ name: PREEMPTED_NAME, ph: 'i', s: 't', pid: sink.pid, tid, ts, cat: 'sched', args });
  }
  for (const counter of window.counters) {
    const [which, value] = counter.words;
    const name =
      counter.kind === TraceKind.IN_FLIGHT
        ? inFlightCounterName(which)
        : ringDepthCounterName(input.ringNames[which] ?? `ring ${which}`);
    sink.events.push({ name, ph: 'C', pid: sink.pid, tid, ts: us(counter.start), args: { requests: value } });
  }
}

/** The `M` events: the process's name, each thread's name and place. */
function metadata(sink: EventSink, windows: readonly ThreadWindow[], title: string): TraceEvent[] {
  const process: TraceEvent = { name: 'process_name', ph: 'M', pid: sink.pid, tid: 0, args: { name: title } };
  return [
    process,
    ...windows.flatMap((w, order): TraceEvent[] => {
      const thread = { ph: 'M', pid: sink.pid, tid: w.thread.threadId } as const;
      return [
        { name: 'thread_name', ...thread, args: { name: threadLabel(w.thread.role, w.thread.index) } },
        { name: 'thread_sort_index', ...thread, args: { sort_index: order } },
      ];
    }),
  ];
}

/** The trace window of a run as a Trace Event Format object (see the file comment). */
export function buildTraceEvents(input: TraceInput, machine?: unknown): TraceFile {
  const windows = traceWindows(input);
  const sink = new EventSink(input.pid ?? process.pid);
  const { pairs, unlinked } = matchWakeups(windows);
  const flows = { notify: new Map<WindowRecord, number>(), park: new Map<WindowRecord, number>() };
  for (const { notify, park } of pairs.values()) {
    const id = sink.flowId();
    flows.notify.set(notify, id);
    flows.park.set(park, id);
  }
  for (const window of windows) emitSlices(sink, window, input, flows);
  const [drawn, outsideWindow] = emitRequests(sink, windows, input);
  for (const window of windows) emitMarks(sink, window, input);
  return {
    traceEvents: [...metadata(sink, windows, input.title), ...sink.events],
    otherData: {
      title: input.title,
      windowStartNs: input.windowStartNs,
      windowNs: input.windowNs,
      sampleEvery: Math.max(0, ...input.threads.map((t) => t.trace.sampleEvery)),
      truncatedThreads: windows
        .filter((w) => w.thread.trace.truncated)
        .map((w) => threadLabel(w.thread.role, w.thread.index)),
      wakeups: { linked: pairs.size, unlinked },
      requests: { drawn, outsideWindow },
      clampedSlices: windows.reduce((sum, w) => sum + w.clamped, 0),
    },
    ...(machine === undefined ? {} : { machine }),
  };
}

/** The file's text: one event a line, so that a large file streams and diffs line by line. */
export function serializeTraceFile(file: TraceFile): string {
  const events = file.traceEvents.map((event) => JSON.stringify(event)).join(',\n');
  const machine = file.machine === undefined ? '' : `,\n"machine":${JSON.stringify(file.machine)}`;
  return `{"traceEvents":[\n${events}\n],\n"otherData":${JSON.stringify(file.otherData)}${machine}}\n`;
}

/** Writes `file` to `path`. */
export function writeTraceFile(path: string, file: TraceFile): void {
  fs.writeFileSync(path, serializeTraceFile(file));
}
