/**
 * --trace on real runs: a short run of each mode is traced, and its Trace Event Format file is
 * checked as Perfetto would read it (src/report/trace-check.ts): it parses, every thread has a
 * name, slices nest, each wake-up and request path has one start and one end, every timestamp
 * lies in the window, every name is in docs/model.md's table, and the file stays small. Then the
 * picture is held against the numbers: each role's share of the window spinning, parked and
 * polling and parked, from the trace, against the same run's accounting. Correctness only, never speed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';
import { createWorkerPool } from '../dist/src/main-thread/worker-pool.js';
import { runPoint } from '../dist/src/main-thread/run.js';
import type { TraceInput } from '../dist/src/report/trace-window.js';
import { buildTraceEvents, serializeTraceFile } from '../dist/src/report/trace-json.js';
import { checkTraceFile } from '../dist/src/report/trace-check.js';
import { roleStates, threadStates } from '../dist/src/report/trace-states.js';
import { renderTraceSvg } from '../dist/src/report/trace-svg.js';
import type { RunResult, ThreadFigures } from '../dist/src/report/result.js';
import { point } from './helpers/point.js';

/** The run and its window: the trace covers the whole measured window, so the two agree in time. */
const WINDOW_MS = 60;
/** A file at this size would be far past the 50 MB bound for 8 jobs at iodepth 32. */
const SIZE_BOUND_BYTES = 50e6;
/**
 * How far the trace and the accounting may differ, in shares of the window (0.05 = 5 points).
 * Spinning and polling are the same thing seen twice and must agree within it. Parked is not:
 * the accounting knows a thread's time off a CPU, which is its time parked plus its time
 * runnable but not running (preempted, or woken and waiting for a core: schedstat's run-queue
 * time), while the trace knows the parks, and counts a preemption inside a pass as working. So
 * the trace's share parked must lie between the accounting's share off a CPU less its share
 * runnable, and its share off a CPU, each widened by the tolerance.
 */
const SHARE_TOLERANCE = 0.05;

let pool: Piscina;
beforeAll(() => {
  pool = createWorkerPool(12);
});
afterAll(async () => {
  await pool.destroy();
});

async function tracedRun(mode: 'sq' | 'mq'): Promise<{ run: RunResult; trace: TraceInput }> {
  let trace: TraceInput | undefined;
  const spec = point({
    mode,
    jobs: 4,
    iothreads: mode === 'sq' ? 1 : 2,
    iodepth: 8,
    rampMs: 30,
    runtimeMs: WINDOW_MS,
    trace: { windowNs: WINDOW_MS * 1e6, capacity: 1 << 17, sampleEvery: 16 },
  });
  const run = await runPoint(pool, spec, { onTrace: (t) => (trace = t) });
  if (trace === undefined) throw new Error('the run gave no trace');
  return { run, trace };
}

describe.each(['sq', 'mq'] as const)('a traced %s run', (mode) => {
  let run: RunResult;
  let trace: TraceInput;
  beforeAll(async () => {
    ({ run, trace } = await tracedRun(mode));
  }, 30_000);

  it('writes a file Perfetto reads as meant: names, nesting, flows, window, names in the table, size', () => {
    const text = serializeTraceFile(buildTraceEvents(trace));
    expect(text.length).toBeLessThan(SIZE_BOUND_BYTES);
    const file = JSON.parse(text) as { traceEvents: { ph: string; name: string; bind_id?: number }[] };
    expect(checkTraceFile(file, WINDOW_MS * 1000)).toEqual([]);
    // Every worker is there, and the path sampled and the wake-ups drawn as arrows.
    expect(trace.threads).toHaveLength(run.threads!.length);
    const names = new Set(file.traceEvents.map((e) => e.name));
    for (const name of ['virtio_queue_notify', 'virtqueue_pop', 'block_rq_issue', 'virtblk_done', 'parked']) {
      expect(names).toContain(name);
    }
    expect(file.traceEvents.some((e) => e.bind_id !== undefined)).toBe(true);
  });

  it('agrees with the accounting on each role’s share of time spinning, polling and parked', () => {
    const fromTrace = roleStates(threadStates(trace));
    for (const role of ['vcpu', 'iothread', 'nullblk'] as const) {
      const threads = run.threads!.filter((t) => t.role === role);
      const windowNs = threads.reduce((s, t) => s + t.windowNs, 0);
      const share = (figure: (t: ThreadFigures) => number): number =>
        threads.reduce((s, t) => s + figure(t), 0) / windowNs;
      const traced = fromTrace[role]!;
      expect(Math.abs(traced.spinning - share((t) => t.waits!.spinNs)), `${role} spinning`).toBeLessThanOrEqual(
        SHARE_TOLERANCE,
      );
      expect(Math.abs(traced.polling - share((t) => t.waits!.pollNs)), `${role} polling`).toBeLessThanOrEqual(
        SHARE_TOLERANCE,
      );
      const offCpu = 1 - share((t) => t.cpuNs);
      const runnable = share((t) => t.runqueueNs);
      expect(traced.parked, `${role} parked`).toBeGreaterThanOrEqual(offCpu - runnable - SHARE_TOLERANCE);
      expect(traced.parked, `${role} parked`).toBeLessThanOrEqual(offCpu + SHARE_TOLERANCE);
    }
  });

  it('draws the window as swimlanes', () => {
    const svg = renderTraceSvg(trace);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['vCPU 0', 'IOThread 0', 'device 0']) expect(svg).toContain(label);
  });
});
