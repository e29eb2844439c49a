/**
 * A sweep: every (mode, lock, jobs) point of the options on this process's
 * cores, each run --repeat times in an interleaved order, on one worker pool
 * reused throughout. A failure or a stop request ends the sweep and keeps
 * the runs done.
 */
import { createWorkerPool } from './worker-pool.js';
import { runPoint } from './run.js';
import { RunInterrupted } from './run-failure.js';
import { threadsFor, type PointSpec } from './point-spec.js';
import { defaultIothreads } from '../protocol/topology.js';
import { AUTO_ROUNDS, type LockKind, type Mode } from '../protocol/options.js';
import { pointSettings, type BenchOptions } from '../protocol/settings-table.js';
import { modeRatios, narrowEnough } from '../report/ratios.js';
import { DEFAULT_CONFIDENCE } from '../report/confidence.js';
import { medianItem } from '../report/stats.js';
import { explainDesigns } from './explain.js';
import type { LatencyFigures, RunResult } from '../report/result.js';
import type { TraceInput } from '../report/trace-window.js';
import type { TraceSettings } from '../protocol/tasks.js';

export interface SweepOutcome {
  /** A result per point that ran, in report order: the median of its runs, with them as samples. */
  runs: RunResult[];
  /** Every run, in the order it ran (describeRun). */
  order: string[];
  /** Why the sweep ended early, if it did. */
  error?: string;
  /**
   * A stop was requested (SIGINT/SIGTERM) before the sweep finished; with `error` too when the
   * run in progress could not drain within its bound.
   */
  interrupted?: boolean;
}

export interface SweepHooks {
  /** Before each run: its point and repeat (0-based); `done` runs out of `total` are finished. */
  onStart?(spec: PointSpec, repeat: number, done: number, total: number): void;
  /** Now and then while a run warms up and measures: its IOPS over the last moment. */
  onLive?(iops: number): void;
  /** After each run, with its figures; `done` now counts it. */
  onRun?(run: RunResult, repeat: number, done: number, total: number): void;
  /** With --trace or --trace-svg: after the first run of each point, its recording. */
  onTrace?(spec: PointSpec, trace: TraceInput): void;
}

/** Records per worker thread per ms of --trace-window: 8 jobs at iodepth 32 on 2 cores record ~100. */
const TRACE_RECORDS_PER_MS = 512;
/** A vCPU records the path of every TRACE_SAMPLE_EVERY-th request it reaps. */
export const TRACE_SAMPLE_EVERY = 64;

/** What the workers of a traced run record (tasks.ts TraceSettings), or undefined without --trace. */
function traceSettings(options: BenchOptions): TraceSettings | undefined {
  if (options.trace === undefined && options.traceSvg === undefined) return undefined;
  const windowMs = options.traceWindowMs ?? 20;
  return {
    windowNs: windowMs * 1e6,
    capacity: Math.min(1 << 20, Math.max(8192, Math.ceil(windowMs * TRACE_RECORDS_PER_MS))),
    sampleEvery: TRACE_SAMPLE_EVERY,
  };
}

/**
 * The points of a sweep, in report order: mode, then lock, then jobs; with --explain, the
 * designs of explain.ts instead.
 */
export function sweepPoints(options: BenchOptions, cpus: number): PointSpec[] {
  const point = (mode: Mode, lock: LockKind, jobs: number, iothreads?: number): PointSpec =>
    pointSpec(options, cpus, mode, lock, jobs, iothreads);
  if (options.explain) return explainDesigns(options.locks, options.jobs[0]!, point);
  return options.modes.flatMap((mode) =>
    options.locks.flatMap((lock) => options.jobs.map((jobs) => point(mode, lock, jobs))),
  );
}

/** One point of a sweep: its mode, lock, jobs and IO threads (default: as mq's), the rest from `options`. */
function pointSpec(
  options: BenchOptions,
  cpus: number,
  mode: Mode,
  lock: LockKind,
  jobs: number,
  iothreads?: number,
): PointSpec {
  return {
    ...pointSettings(options),
    mode,
    lock,
    jobs,
    iothreads: iothreads ?? options.iothreads ?? defaultIothreads(jobs, cpus),
    cpus,
    watchdogMs: options.watchdogS * 1000,
    ...(options.failpoints !== undefined ? { failpoints: options.failpoints } : {}),
    ...(options.initialIndex !== undefined ? { initialIndex: options.initialIndex } : {}),
  };
}

/**
 * `sq spin jobs=2 repeat 1`, `mq spin jobs=8 iothreads=1 repeat 1`: a run as the result file's run
 * order names it (IO threads named when --explain runs mq with two counts).
 */
export function describeRun(spec: PointSpec, repeat: number, withIothreads = false): string {
  const iothreads = withIothreads && spec.mode === 'mq' ? ` iothreads=${spec.iothreads}` : '';
  return `${spec.mode} ${spec.lock} jobs=${spec.jobs}${iothreads} repeat ${repeat + 1}`;
}

/**
 * The order the runs go in, as indices into `points` (report order) and repeats: round by
 * round, every point once before any point twice, and within a round the modes of a (lock,
 * jobs) point side by side. Load on the machine that drifts over a sweep then weighs on both
 * sides of every mq/sq ratio, and on every repeat of a point alike, instead of on whichever
 * mode or repeat ran last.
 */
export function runSchedule(points: readonly PointSpec[], repeat: number): { point: number; repeat: number }[] {
  const groups = new Map<string, number[]>();
  points.forEach((spec, i) => {
    const key = `${spec.lock} ${spec.jobs}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  });
  const schedule: { point: number; repeat: number }[] = [];
  for (let r = 0; r < repeat; r++) {
    for (const group of groups.values()) for (const point of group) schedule.push({ point, repeat: r });
  }
  return schedule;
}

/**
 * The result of a point from its runs (in run order): the run with the median IOPS (the lower
 * one for an even count: src/report/stats.ts medianItem), with the count, and with every run as
 * `samples` when there are several, so that the spread can be read.
 */
export function medianRun(samples: readonly RunResult[]): RunResult {
  const { samples: _own, ...figures } = medianItem(samples, (run) => run.iops);
  return samples.length > 1
    ? { ...figures, repeats: samples.length, samples: samples.map(withoutBins) }
    : { ...figures, repeats: samples.length };
}

/**
 * A run as a sample of its point: its latency bins left out (LatencyFigures.bins), since the
 * point's figures come from its median run, which keeps them; a result file is then a fraction
 * of the size.
 */
function withoutBins(run: RunResult): RunResult {
  const strip = ({ bins: _bins, ...figures }: LatencyFigures): LatencyFigures => figures;
  return { ...run, slatNs: strip(run.slatNs), clatNs: strip(run.clatNs), latNs: strip(run.latNs) };
}

/**
 * --repeat auto's rule, at the end of a round: every mq/sq ratio's interval lies within
 * ±AUTO_ROUNDS.tolerance of its ratio (a sweep of one mode has none, and needs no more rounds).
 */
function narrowEnoughNow(runs: readonly RunResult[], options: BenchOptions): boolean {
  const level = options.confidence ?? DEFAULT_CONFIDENCE;
  return modeRatios(runs, level).every((r) => narrowEnough(r, AUTO_ROUNDS.tolerance));
}

/** Whether `stop` was aborted; a call, so that TypeScript does not narrow it across an await. */
function stopRequested(stop: AbortSignal | undefined): boolean {
  return stop?.aborted === true;
}

/**
 * Runs the sweep in the order runSchedule gives. A failed run ends it with `error` set; so does
 * `stop` (SIGINT/SIGTERM), with `interrupted` set: the run in progress leaves its measured
 * window early, drains, and is dropped (see RunInterrupted). Either way every point keeps the
 * runs it has: its median is of fewer repeats than asked when the sweep ended in its rounds.
 */
export async function runSweep(
  options: BenchOptions,
  cpus: number,
  hooks: SweepHooks = {},
  stop?: AbortSignal,
): Promise<SweepOutcome> {
  const points = sweepPoints(options, cpus);
  // --repeat auto: schedule the most rounds, and stop at the end of a round once enough ran.
  const auto = options.repeatAuto === true;
  const schedule = runSchedule(points, auto ? (options.maxRounds ?? AUTO_ROUNDS.defaultMax) : options.repeat);
  const pool = createWorkerPool(Math.max(...points.map(threadsFor)));
  const samples: RunResult[][] = points.map(() => []);
  const trace = traceSettings(options);
  const order: string[] = [];
  const outcome = (ending: { error?: string; interrupted?: true } = {}): SweepOutcome => ({
    runs: samples.filter((runs) => runs.length > 0).map(medianRun),
    order,
    ...ending,
  });
  try {
    for (const [done, { point, repeat }] of schedule.entries()) {
      if (stop?.aborted === true) return outcome({ interrupted: true });
      const spec = points[point]!;
      hooks.onStart?.(spec, repeat, done, schedule.length);
      let run: RunResult;
      // The first run of each point is traced, when a trace is asked for.
      const traced = repeat === 0 && trace !== undefined && hooks.onTrace !== undefined;
      try {
        run = await runPoint(pool, traced ? { ...spec, trace } : spec, {
          stop,
          ...(hooks.onLive === undefined ? {} : { live: hooks.onLive }),
          ...(traced ? { onTrace: (input: TraceInput) => hooks.onTrace!(spec, input) } : {}),
        });
      } catch (error) {
        if (error instanceof RunInterrupted) return outcome({ interrupted: true });
        const what = `${spec.mode} lock=${spec.lock} jobs=${spec.jobs} iodepth=${spec.iodepth}`;
        const message = error instanceof Error ? error.message : String(error);
        // A stop request whose drain could not finish (run.ts bounds it) is still a stop: the
        // caller exits as the signal says, and the reason the drain failed goes with it.
        if (stopRequested(stop)) return outcome({ interrupted: true, error: `run ${what} failed: ${message}` });
        return outcome({ error: `run ${what} failed: ${message}` });
      }
      samples[point]!.push(run);
      order.push(describeRun(spec, repeat, options.explain));
      hooks.onRun?.(run, repeat, done + 1, schedule.length);
      const endOfRound = schedule[done + 1]?.repeat !== repeat;
      if (auto && endOfRound && repeat + 1 >= options.repeat && narrowEnoughNow(outcome().runs, options)) {
        return outcome();
      }
    }
    return outcome();
  } finally {
    await pool.destroy();
  }
}
