/**
 * Checks a parsed `--trace` file against the rules it must keep to load in Perfetto as meant
 * (issue 29, "Done when"): every thread named, `X` slices nested on each thread, each flow id
 * with exactly one start and one end, every timestamp in the window, every name in
 * TRACE_EVENTS. Returns the problems as lines; none means the file passes. Used by the tests
 * and by the run after it writes a file.
 */
import { isTraceEventName } from './trace-events.js';

/** Names of `M` events the importer reads; they name threads and processes, not events. */
const METADATA = new Set(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index']);
/** The most problems listed of one kind; a broken writer would otherwise list thousands. */
const MOST_PER_KIND = 5;

interface Event {
  name?: unknown;
  ph?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  bind_id?: unknown;
  flow_in?: unknown;
  flow_out?: unknown;
}

/** Collects problems, at most MOST_PER_KIND of each kind. */
class Problems {
  readonly lines: string[] = [];
  private readonly counts = new Map<string, number>();
  add(kind: string, detail: string): void {
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    if (count <= MOST_PER_KIND) this.lines.push(`${kind}: ${detail}`);
    else if (count === MOST_PER_KIND + 1) this.lines.push(`${kind}: (more)`);
  }
}

/** Integer ns, as Perfetto's importer rounds µs×1000. */
function ns(us: number): number {
  return Math.round(us * 1000);
}

/** `X` slices must nest on their thread: sorted as the importer sorts them, none may outlive the one open. */
function checkNesting(events: readonly Event[], problems: Problems): void {
  const byThread = new Map<unknown, { start: number; end: number; name: string }[]>();
  for (const e of events) {
    if (e.ph !== 'X' || typeof e.ts !== 'number' || typeof e.dur !== 'number') continue;
    const list = byThread.get(e.tid) ?? [];
    list.push({ start: ns(e.ts), end: ns(e.ts) + ns(e.dur), name: String(e.name) });
    byThread.set(e.tid, list);
  }
  for (const [tid, slices] of byThread) {
    // Stable: at equal ts and dur the importer keeps file order.
    slices.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
    const open: { end: number; name: string }[] = [];
    for (const slice of slices) {
      while (open.length > 0 && open[open.length - 1]!.end <= slice.start) open.pop();
      const top = open[open.length - 1];
      if (top !== undefined && slice.end > top.end) {
        problems.add('overlap', `tid ${String(tid)}: ${slice.name} at ${slice.start} ns ends after ${top.name}`);
      }
      open.push(slice);
    }
  }
}

/** Each flow id: numeric, exactly one start (out only) and one end (in only); middles have both. */
function checkFlows(events: readonly Event[], problems: Problems): void {
  const flows = new Map<unknown, { starts: number; ends: number }>();
  for (const e of events) {
    if (e.bind_id === undefined) continue;
    if (typeof e.bind_id !== 'number' || !Number.isInteger(e.bind_id)) {
      problems.add('flow id', `${JSON.stringify(e.bind_id)} is not an integer (a string is read as hex)`);
    }
    const counts = flows.get(e.bind_id) ?? { starts: 0, ends: 0 };
    if (e.flow_out === true && e.flow_in !== true) counts.starts++;
    if (e.flow_in === true && e.flow_out !== true) counts.ends++;
    if (e.flow_in !== true && e.flow_out !== true) {
      problems.add('flow', `${String(e.bind_id)} bound without a direction`);
    }
    flows.set(e.bind_id, counts);
  }
  for (const [id, { starts, ends }] of flows) {
    if (starts !== 1 || ends !== 1) problems.add('flow', `${String(id)} has ${starts} starts and ${ends} ends`);
  }
}

/** The problems of a parsed trace file whose window is `windowUs` long (otherData.windowNs when absent). */
export function checkTraceFile(file: unknown, windowUs?: number): string[] {
  const problems = new Problems();
  const root = file as { traceEvents?: unknown; otherData?: { windowNs?: unknown } } | null;
  if (root === null || typeof root !== 'object' || !Array.isArray(root.traceEvents)) return ['no traceEvents array'];
  const events = root.traceEvents as Event[];
  const window = windowUs ?? (typeof root.otherData?.windowNs === 'number' ? root.otherData.windowNs / 1000 : Infinity);
  const named = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid));
  for (const e of events) {
    const name = String(e.name);
    if (e.ph === 'M') {
      if (!METADATA.has(name)) problems.add('name', `metadata ${name}`);
      continue;
    }
    if (!isTraceEventName(name)) problems.add('name', `${name} is not in TRACE_EVENTS`);
    if (!named.has(e.tid)) problems.add('thread', `tid ${String(e.tid)} has no thread_name`);
    if (typeof e.tid !== 'number' || !Number.isInteger(e.tid)) {
      problems.add('tid', `${String(e.tid)} is not an integer`);
    }
    if (typeof e.ts !== 'number' || e.ts < 0 || e.ts > window) problems.add('time', `${name} at ${String(e.ts)} us`);
    if (e.ph === 'X') {
      const end = typeof e.ts === 'number' && typeof e.dur === 'number' ? e.ts + e.dur : NaN;
      if (typeof e.dur !== 'number' || e.dur < 0) problems.add('dur', `${name} has dur ${String(e.dur)}`);
      else if (!(ns(end) <= ns(window))) problems.add('time', `${name} ends at ${end} us, after the window`);
    }
  }
  checkNesting(events, problems);
  checkFlows(events, problems);
  return problems.lines;
}
