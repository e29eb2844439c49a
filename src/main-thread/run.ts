/**
 * One run of the emulator, from start to figures: one mode, lock kind, job
 * count and iodepth.
 *
 * Sequence: allocate the run's memory (run-memory.ts), start every worker
 * (run-workers.ts), wait for all of them at the start barrier, RAMP, start
 * the lock statistics' window (no lock taken: lock-stats.ts), MEASURE between
 * two snapshots, STOP, wait for every
 * worker to drain and return, check conservation (conservation.ts), and put
 * the figures together (run-figures.ts).
 *
 * Faults end the run within seconds, never in a hang: a worker that throws or
 * exits fails its task; the watchdog (watchdog.ts) fails a run in which a
 * worker stops making progress; either way RunAbort aborts the phase and
 * poisons the ring locks, so every other worker leaves its bounded waits, and
 * runPoint throws a RunFailure naming the worker. A stop request (SIGINT)
 * ends the run early but cleanly: it drains, is checked, and is dropped.
 */
import { MultiProducerRing } from '../ring/multi-producer-ring.js';
import type { Piscina } from 'piscina';
import { isAborted, type Aborted } from '../protocol/tasks.js';
import { RAMP, MEASURE, STOP, type RunControl } from '../protocol/run-control.js';
import { rosterSize } from '../protocol/roster.js';
import type { RunResult } from '../report/result.js';
import { topologyOf, type PointSpec } from './point-spec.js';
import { allocateRunMemory } from './run-memory.js';
import { BARRIER_MS, startWorkers } from './run-workers.js';
import { RunAbort } from './run-abort.js';
import { RunFailure, RunInterrupted } from './run-failure.js';
import { Watchdog, watchdogPollMs } from './watchdog.js';
import { checkConservation } from './conservation.js';
import { lockFigures, runResult, takeSnapshot, type MeasuredWindow } from './run-figures.js';
import { pause, within } from './timers.js';
import { ringName } from '../protocol/topology.js';
import type { TraceInput } from '../report/trace-window.js';

/** How a caller may end a run early. */
export interface RunOptions {
  /**
   * A stop request (SIGINT): once aborted, the run leaves RAMP or MEASURE at
   * once, drains and is checked as usual, and runPoint throws RunInterrupted.
   */
  stop?: AbortSignal | undefined;
  /** Called every LIVE_MS while the run warms up and measures, with its IOPS over that time. */
  live?: (iops: number) => void;
  /** With spec.trace: called once the run has ended well, with every worker's recording. */
  onTrace?: (trace: TraceInput) => void;
}

const DEFAULT_WATCHDOG_MS = 10_000;
/** The longest a drain's bound grows beyond the watchdog time for a slow run, ms. */
const DRAIN_EXTRA_MAX_MS = 5 * 60_000;
/** fio's log_avg_msec for the run's iops log (RunResult.iopsLog), ms. */
const IOPS_LOG_MS = 100;
/** How often a run reports its live IOPS (RunOptions.live). */
const LIVE_MS = 500;
/** How long the workers may take to return after an abort (they notice it within their longest park). */
const ABORT_GRACE_MS = 3_000;

/** `results` without {@link Aborted}: a worker only returns that once the run has failed. */
function unlessAborted<T>(results: readonly (T | Aborted)[], abort: RunAbort): T[] {
  if (results.some(isAborted)) throw abort.failure ?? new RunFailure('a worker left the run as if it had been aborted');
  return results as T[];
}

/** Resolves when `check` is true, polling every few ms; rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new RunFailure(what);
    await pause(2);
  }
}

/**
 * Runs one point on `pool` (which must have at least threadsFor(spec) threads).
 * @throws RunFailure when a worker fails, the watchdog finds the run stuck, or the conservation check fails
 * @throws RunInterrupted when `options.stop` ended the run early
 */
export async function runPoint(pool: Piscina, spec: PointSpec, options: RunOptions = {}): Promise<RunResult> {
  const topology = topologyOf(spec);
  const memory = allocateRunMemory(spec, topology);
  const { control, guards } = memory;
  const abort = new RunAbort(control, memory.rings);
  const workers = startWorkers(pool, spec, topology, memory, abort);

  const { stop } = options;
  // A function, not a narrowed property read: a stop request may come during any await.
  const stopped = (): boolean => stop?.aborted === true;
  // A request takes completionNs by design: never call that a hang.
  const watchdogMs = Math.max(spec.watchdogMs ?? DEFAULT_WATCHDOG_MS, (2 * spec.completionNs) / 1e6);
  const watchdog = new Watchdog(control, topology, guards, watchdogMs, workers.returned);
  let watching: NodeJS.Timeout | undefined;
  let reporting: NodeJS.Timeout | undefined;
  const everyone = rosterSize(topology.workers);
  try {
    const started = (): boolean => abort.failed || control.arrived() === everyone;
    await until(started, BARRIER_MS, `workers did not start within ${BARRIER_MS} ms`);
    abort.throwIfFailed();
    control.setPhase(RAMP);
    const rampAtMs = performance.now();
    watchdog.start(rampAtMs);
    // The run's bounds (watchdog.ts): RAMP to STOP within ramp + runtime + the watchdog time,
    // and the drain after STOP within the watchdog time, however slowly it progresses.
    const windowBoundMs = spec.rampMs + spec.runtimeMs + watchdogMs;
    let stopAtMs: number | null = null;
    let drainBoundMs = watchdogMs;
    const overrun = (now: number): string | null => {
      if (stopAtMs === null && now - rampAtMs > windowBoundMs) {
        const bound = `ramp + runtime + watchdog = ${seconds(windowBoundMs)}`;
        return `the run outlived its bound (${bound}) without reaching STOP: ${watchdog.laggard(now)}`;
      }
      if (stopAtMs !== null && now - stopAtMs > drainBoundMs) {
        const limit = `its bound (${seconds(drainBoundMs)}${stopped() ? ', the watchdog time' : ''})`;
        return `the drain after STOP did not end within ${limit}: ${watchdog.laggard(now)}`;
      }
      return null;
    };
    watching = setInterval(() => {
      const now = performance.now();
      const stuck = watchdog.check(now) ?? overrun(now);
      if (stuck !== null) abort.fail(new RunFailure(stuck));
    }, watchdogPollMs(watchdogMs));
    if (options.live !== undefined) reporting = liveIops(control, topology.jobs, options.live);
    await pause(spec.rampMs, abort.signal, stop);
    abort.throwIfFailed();

    let window: MeasuredWindow | null = null;
    let traceFromNs = 0;
    if (!stopped()) {
      // The ring locks' window starts without taking them: the main thread never queues behind
      // the vCPUs for a lock (lock-stats.ts startWindow). A multi-producer ring's publication
      // waits (sq --lock none) count like a lock's; no lock there either.
      const locksBefore = guards.map((guard) => guard?.startStatsWindow() ?? null);
      for (const ring of memory.rings) if (ring instanceof MultiProducerRing) ring.resetPublishStats();
      const before = takeSnapshot(control, topology);
      // The trace window opens here, on the run's stamp time line (trace-recorder.ts).
      traceFromNs = Number(process.hrtime.bigint() - workers.stageOriginHrNs);
      control.setTraceFrom(traceFromNs);
      control.setPhase(MEASURE);
      const iopsLog = new IopsLog(() => reapedSoFar(control, topology.jobs), IOPS_LOG_MS);
      let iops: number[];
      try {
        await pause(spec.runtimeMs, abort.signal, stop);
      } finally {
        iops = iopsLog.stop();
      }
      abort.throwIfFailed();
      // A window cut short by a stop request has no figures worth keeping.
      if (!stopped()) {
        const after = takeSnapshot(control, topology);
        const locks = lockFigures(topology, memory.rings, locksBefore);
        window = { before, after, locks, iopsLog: { msec: IOPS_LOG_MS, iops } };
      }
    }
    control.setPhase(STOP);
    stopAtMs = performance.now();
    // A stop request drains for the watchdog time at most. Otherwise the drain may also take twice
    // what the requests in flight need at the rate the run kept (at most DRAIN_EXTRA_MAX_MS more): a
    // slow but legitimate configuration (a convoy at a few kIOPS, deep queues) is not a hang.
    if (!stopped()) {
      const perMs = reapedSoFar(control, topology.jobs) / Math.max(1, stopAtMs - rampAtMs);
      const needMs = (2 * topology.jobs * spec.iodepth) / Math.max(perMs, 1e-6);
      drainBoundMs = watchdogMs + Math.min(needMs, DRAIN_EXTRA_MAX_MS);
    }

    const settled = await abort.race(workers.settled);
    const vcpus = unlessAborted(settled.vcpus, abort);
    const iothreads = unlessAborted(settled.iothreads, abort);
    const devices = unlessAborted(settled.devices, abort);
    checkConservation(topology, vcpus, iothreads, devices);
    if (window === null) {
      throw new RunInterrupted('stopped before the end of its measured window; its requests were drained and checked');
    }
    if (spec.trace !== undefined && options.onTrace !== undefined) {
      const threads = [
        ...vcpus.map((r) => ({ role: 'vcpu' as const, index: r.index, trace: r.trace })),
        ...iothreads.map((r) => ({ role: 'iothread' as const, index: r.index, trace: r.trace })),
        ...devices.map((r) => ({ role: 'nullblk' as const, index: r.index, trace: r.trace })),
      ].flatMap(({ role, index, trace }) =>
        trace === null ? [] : [{ role, index, trace, threadId: control.progress(role, index).threadId }],
      );
      options.onTrace({
        threads,
        windowStartNs: traceFromNs,
        windowNs: spec.trace.windowNs,
        hwqDevice: topology.hwqDevice,
        ringNames: topology.ringIothread.map((_, r) => ringName(topology, r)),
        title: `vblk-mq ${spec.mode} ${spec.lock} cpus=${spec.cpus} jobs=${spec.jobs} iodepth=${spec.iodepth}`,
      });
    }
    return runResult(spec, topology, window, { vcpus, iothreads, devices }, guards);
  } catch (error) {
    if (error instanceof RunInterrupted) throw error;
    abort.fail(error instanceof Error ? error : new RunFailure(String(error)));
    // Let every worker return before the pool is reused or destroyed; bounded,
    // since the caller destroys the pool (terminating any straggler) anyway.
    await within(
      workers.settled.catch(() => undefined),
      ABORT_GRACE_MS,
    );
    throw abort.failure ?? error;
  } finally {
    clearInterval(watching);
    clearInterval(reporting);
  }
}

/** `ms` as seconds for a message: `10 s`, `1.35 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

/** Requests the vCPUs reaped so far, all of them together. */
function reapedSoFar(control: RunControl, jobs: number): number {
  let total = 0;
  for (let v = 0; v < jobs; v++) total += control.progress('vcpu', v).completed;
  return total;
}

/**
 * The measured window's IOPS in slices, as fio's iops log (log_avg_msec): a timer of the main
 * thread reads the vCPUs' reaped counters every `msec` ms, and each slice's IOPS is its requests
 * over its own length as measured (timers run late on a busy machine: the length, not `msec`, is
 * what the requests are divided by).
 */
class IopsLog {
  private readonly iops: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private lastCount: number;
  private lastMs = performance.now();

  constructor(
    private readonly reaped: () => number,
    msec: number,
  ) {
    this.lastCount = reaped();
    this.timer = setInterval(() => this.slice(), msec);
  }

  /** Ends the log with the slice in progress; returns every slice's IOPS. */
  stop(): number[] {
    clearInterval(this.timer);
    this.slice();
    return this.iops;
  }

  private slice(): void {
    const count = this.reaped();
    const nowMs = performance.now();
    if (nowMs > this.lastMs) this.iops.push(((count - this.lastCount) * 1000) / (nowMs - this.lastMs));
    this.lastCount = count;
    this.lastMs = nowMs;
  }
}

/** Calls `report` every LIVE_MS with the IOPS the vCPUs reaped since the last call. */
function liveIops(control: RunControl, jobs: number, report: (iops: number) => void): NodeJS.Timeout {
  const reaped = (): number => reapedSoFar(control, jobs);
  let lastCount = reaped();
  let lastMs = performance.now();
  return setInterval(() => {
    const count = reaped();
    const nowMs = performance.now();
    report(((count - lastCount) * 1000) / (nowMs - lastMs));
    lastCount = count;
    lastMs = nowMs;
  }, LIVE_MS);
}
