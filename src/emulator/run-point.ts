/**
 * One run of the emulator: one mode, lock kind, job count and iodepth.
 *
 * Builds the shared memory of the topology, starts every role as a piscina
 * task (vCPUs, IO threads, the null-block device), moves the run through its
 * phases (run-control.ts), takes the figures of the measured window, and
 * checks that every request submitted was completed exactly once.
 *
 * Faults end the run within seconds, never in a hang: a worker that throws or
 * exits fails its task; the watchdog (watchdog.ts) fails a run in which a
 * worker stops making progress; either way RunAbort aborts the phase and
 * poisons the ring locks, so every other worker leaves its bounded waits, and
 * runPoint throws a RunFailure naming the worker. A stop request (SIGINT)
 * ends the run early but cleanly: it drains, is checked, and is dropped.
 */
import { createHistogram } from 'node:perf_hooks';
import type { Piscina } from 'piscina';
import { Ring } from '../ring/ring.js';
import { DESC_WORDS } from './descriptor.js';
import { RunControl, RAMP, MEASURE, STOP } from './run-control.js';
import { buildTopology, ringGuard, ringName, type Topology } from './topology.js';
import { WORKER_FILES } from './worker-pool.js';
import { RunAbort } from './run-abort.js';
import { isAborted } from './abort-exit.js';
import { Watchdog, watchdogPollMs } from './watchdog.js';
import { failpointOf, type Failpoint } from './failpoints.js';
import { pause, within } from './timers.js';
import type { Lock } from '../sync/lock-base.js';
import type { LockKind, Mode } from './options.js';
import type { LockFigures, RunResult } from '../report/result.js';
import type { Aborted, IothreadResult, IothreadTask, NullblkResult, NullblkTask, VcpuResult, VcpuTask } from './tasks.js';

/** The settings of one run. */
export interface PointSpec {
  mode: Mode;
  lock: LockKind;
  jobs: number;
  iodepth: number;
  iothreads: number;
  bs: number;
  sizeBytes: number;
  seed: number;
  completionNs: number;
  memoryBacked: boolean;
  pollMaxNs: number;
  rampMs: number;
  runtimeMs: number;
  /** Cores the run may use (recorded in the result). */
  cpus: number;
  /** Where ring indices start (tests start them near 2^32 to cross the wrap). */
  initialIndex?: number;
  /** How long a worker with work may go without progress before the run fails (--watchdog); default 10 s. */
  watchdogMs?: number;
  /** Faults to inject (VBLK_FAILPOINTS); each worker gets its own, if any. */
  failpoints?: readonly Failpoint[];
}

/** How a caller may end a run early. */
export interface RunOptions {
  /**
   * A stop request (SIGINT): once aborted, the run leaves RAMP or MEASURE at
   * once, drains and is checked as usual, and runPoint throws RunInterrupted.
   */
  stop?: AbortSignal;
}

/** Threads a run of `spec` needs in the pool. */
export function threadsFor(spec: Pick<PointSpec, 'mode' | 'jobs' | 'iothreads' | 'iodepth'>): number {
  const t = buildTopology(spec.mode, spec.jobs, spec.iodepth, spec.iothreads);
  return t.jobs + t.iothreads + 1;
}

/** Raised when a run loses, duplicates or corrupts a request, a worker fails, or the watchdog finds it stuck. */
export class RunFailure extends Error {
  override name = 'RunFailure';
}

/**
 * Raised when a stop request ended a run before its measured window was
 * over. Every request was still drained and checked; the run has no figures
 * (a window shorter than asked would not compare with the others).
 */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
}

const PARK_MS = 20;
const BARRIER_MS = 30_000;
const DEFAULT_WATCHDOG_MS = 10_000;
/** How long the workers may take to return after an abort (they notice it within PARK_MS). */
const ABORT_GRACE_MS = 3_000;
/** Longest the main thread blocks on a ring lock at a time when it resets its statistics. */
const RESET_SLICE_MS = 1;

interface Shared {
  control: RunControl;
  rings: Ring[];
  hwqs: Ring[];
  completions: Ring[];
  data: (SharedArrayBuffer | null)[];
}

function buildShared(spec: PointSpec, topology: Topology): Shared {
  const guard = ringGuard(spec.lock);
  const initialIndex = spec.initialIndex ?? 0;
  const make = (capacity: number, g: typeof guard): Ring =>
    new Ring({ capacity, slotWords: DESC_WORDS, guard: g, initialIndex });
  const ringCount = topology.iothreadRings.flat().length;
  return {
    control: RunControl.create(topology.jobs, topology.iothreads),
    rings: Array.from({ length: ringCount }, () => make(topology.ringCapacity, guard)),
    hwqs: topology.hwqCapacity.map((c) => make(c, null)),
    completions: Array.from({ length: topology.jobs }, () => make(topology.completionCapacity, null)),
    data: Array.from({ length: topology.jobs }, () =>
      spec.memoryBacked ? new SharedArrayBuffer(spec.iodepth * spec.bs) : null,
    ),
  };
}

/**
 * A role's task promise. A failure is named after the role and aborts the
 * run at once; `returned` gets the role either way (the watchdog asks).
 */
function start<T>(pool: Piscina, task: unknown, file: string, who: string, abort: RunAbort, returned: Set<string>): Promise<T | Aborted> {
  return (pool.run(task, { filename: file }) as Promise<T | Aborted>).then(
    (result) => {
      returned.add(who);
      return result;
    },
    (error: unknown) => {
      returned.add(who);
      const failure = new RunFailure(`${who} failed: ${error instanceof Error ? error.message : String(error)}`);
      abort.fail(failure);
      throw failure;
    },
  );
}

/** Starts every worker of the run; resolves to the results of the vCPUs, the IO threads and the device. */
function startWorkers(pool: Piscina, spec: PointSpec, topology: Topology, shared: Shared, abort: RunAbort, returned: Set<string>) {
  const common = { control: shared.control.handle, pollMaxNs: spec.pollMaxNs, parkMs: PARK_MS, barrierMs: BARRIER_MS };
  const blocks = Math.floor(spec.sizeBytes / spec.bs);
  const vcpus = topology.vcpuRing.map((ring, index) =>
    start<VcpuResult>(
      pool,
      {
        ...common,
        failpoint: failpointOf(spec.failpoints, 'vcpu', index),
        index,
        iodepth: spec.iodepth,
        bs: spec.bs,
        blocks,
        seed: spec.seed,
        submission: shared.rings[ring]!.handle,
        completion: shared.completions[index]!.handle,
        iothread: topology.ringIothread[ring]!,
        data: shared.data[index]!,
      } satisfies VcpuTask,
      WORKER_FILES.vcpu,
      `vcpu ${index}`,
      abort,
      returned,
    ),
  );
  const iothreads = topology.iothreadRings.map((rings, index) =>
    start<IothreadResult>(
      pool,
      {
        ...common,
        failpoint: failpointOf(spec.failpoints, 'iothread', index),
        index,
        rings: rings.map((r) => shared.rings[r]!.handle),
        hwq: shared.hwqs[index]!.handle,
      } satisfies IothreadTask,
      WORKER_FILES.iothread,
      `iothread ${index}`,
      abort,
      returned,
    ),
  );
  const device = start<NullblkResult>(
    pool,
    {
      ...common,
      failpoint: failpointOf(spec.failpoints, 'nullblk', 0),
      hwqs: shared.hwqs.map((q) => q.handle),
      completions: shared.completions.map((c) => c.handle),
      completionNs: spec.completionNs,
      data: shared.data,
      bs: spec.bs,
      iodepth: spec.iodepth,
    } satisfies NullblkTask,
    WORKER_FILES.nullblk,
    'nullblk 0',
    abort,
    returned,
  );
  return Promise.all([Promise.all(vcpus), Promise.all(iothreads), device]);
}

/** `results` without {@link Aborted}: a worker only returns that once the run has failed. */
function unlessAborted<T>(results: (T | Aborted)[], abort: RunAbort): T[] {
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
 * Zeroes the statistics of every ring lock; returns the acquisitions they had
 * counted, less the reset's own. Takes each lock in short slices with the
 * event loop running in between, so that a holder that never lets go leaves
 * the watchdog free to fail the run (which poisons the lock and ends this).
 */
async function resetLockStats(guards: readonly (Lock | null)[], abort: RunAbort): Promise<number> {
  let acquisitions = 0;
  for (const guard of guards) {
    if (guard === null) continue;
    for (;;) {
      const cleared = guard.tryResetStats(RESET_SLICE_MS);
      if (cleared !== null) {
        acquisitions += cleared.acquisitions - 1;
        break;
      }
      abort.throwIfFailed();
      await pause(1);
    }
  }
  return acquisitions;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Jain's fairness index: (sum x)^2 / (n * sum x^2); 1 when all equal. */
export function jainIndex(values: number[]): number {
  const s = sum(values);
  const s2 = sum(values.map((v) => v * v));
  return s2 === 0 ? 1 : (s * s) / (values.length * s2);
}

/**
 * Runs one point on `pool` (which must have at least threadsFor(spec) threads).
 * @throws RunFailure when a worker fails, the watchdog finds the run stuck, or the conservation check fails
 * @throws RunInterrupted when `options.stop` ended the run early
 */
export async function runPoint(pool: Piscina, spec: PointSpec, options: RunOptions = {}): Promise<RunResult> {
  const topology = buildTopology(spec.mode, spec.jobs, spec.iodepth, spec.iothreads);
  const shared = buildShared(spec, topology);
  const { control } = shared;
  const guards = shared.rings.map((ring) => ring.guard);
  const abort = new RunAbort(control, guards);
  const returned = new Set<string>();
  const tasks = startWorkers(pool, spec, topology, shared, abort, returned);
  // The failure is recorded by start(); this only marks the rejection as handled.
  tasks.catch(() => undefined);

  const { stop } = options;
  // A function, not a narrowed property read: a stop request may come during any await.
  const stopped = (): boolean => stop?.aborted === true;
  // A request takes completionNs by design: never call that a hang.
  const watchdogMs = Math.max(spec.watchdogMs ?? DEFAULT_WATCHDOG_MS, (2 * spec.completionNs) / 1e6);
  const watchdog = new Watchdog(control, topology, guards, watchdogMs, (role, index) => returned.has(`${role} ${index}`));
  let watching: NodeJS.Timeout | undefined;
  const total = topology.jobs + topology.iothreads + 1;
  try {
    await until(() => abort.failed || control.arrived() === total, BARRIER_MS, `workers did not start within ${BARRIER_MS} ms`);
    abort.throwIfFailed();
    control.setPhase(RAMP);
    watchdog.start(performance.now());
    watching = setInterval(() => {
      const stuck = watchdog.check(performance.now());
      if (stuck !== null) abort.fail(new RunFailure(stuck));
    }, watchdogPollMs(watchdogMs));
    await pause(spec.rampMs, abort.signal, stop);
    abort.throwIfFailed();

    let window: { before: Snapshot; after: Snapshot; locks: LockFigures[]; beforeWindow: number } | null = null;
    if (!stopped()) {
      const beforeWindow = await resetLockStats(guards, abort);
      const before = snapshot(control, topology);
      control.setPhase(MEASURE);
      await pause(spec.runtimeMs, abort.signal, stop);
      abort.throwIfFailed();
      // A window cut short by a stop request has no figures worth keeping.
      if (!stopped()) {
        const after = snapshot(control, topology);
        const locks: LockFigures[] = shared.rings.flatMap((ring, r) => {
          const s = ring.guard?.stats();
          return s === undefined
            ? []
            : [{ name: ringName(topology, r), acquisitions: s.acquisitions, contentions: s.contentions, waitNsTotal: s.waitNsTotal, waitNsMax: s.waitNsMax, spins: s.spins, parks: s.parks }];
        });
        window = { before, after, locks, beforeWindow };
      }
    }
    control.setPhase(STOP);

    const [vcpuTasks, iothreadTasks, deviceTask] = await abort.race(tasks);
    const vcpuResults = unlessAborted(vcpuTasks, abort);
    const iothreadResults = unlessAborted(iothreadTasks, abort);
    const [deviceResult] = unlessAborted([deviceTask], abort);
    checkConservation(vcpuResults, iothreadResults, deviceResult!);
    if (window === null) {
      throw new RunInterrupted('stopped before the end of its measured window; its requests were drained and checked');
    }
    const run = result(spec, topology, window.before, window.after, vcpuResults, window.locks);
    run.ringCalls = sum(vcpuResults.map((v) => v.pushes)) + sum(iothreadResults.map((t) => t.pops));
    run.lockAcquisitionsWholeRun = window.beforeWindow + sum(guards.map((guard) => guard?.stats().acquisitions ?? 0));
    return run;
  } catch (error) {
    if (error instanceof RunInterrupted) throw error;
    abort.fail(error instanceof Error ? error : new RunFailure(String(error)));
    // Let every worker return before the pool is reused or destroyed; bounded,
    // since the caller destroys the pool (terminating any straggler) anyway.
    await within(tasks.catch(() => undefined), ABORT_GRACE_MS);
    throw abort.failure ?? error;
  } finally {
    clearInterval(watching);
  }
}

interface Snapshot {
  atMs: number;
  completed: number[];
  usage: NodeJS.ResourceUsage;
}

function snapshot(control: RunControl, topology: Topology): Snapshot {
  return {
    atMs: performance.now(),
    completed: Array.from({ length: topology.jobs }, (_, v) => control.counters('vcpu', v)[1]),
    usage: process.resourceUsage(),
  };
}

function checkConservation(vcpus: VcpuResult[], iothreads: IothreadResult[], device: NullblkResult): void {
  const problems: string[] = [];
  const submitted = sum(vcpus.map((v) => v.submitted));
  for (const v of vcpus) {
    if (v.lost.length > 0) problems.push(`vcpu ${v.index} lost ${v.lost.length} requests (vcpu/seq ${v.lost.slice(0, 10).join(' ')})`);
    if (v.unexpectedCount > 0) {
      problems.push(`vcpu ${v.index} got ${v.unexpectedCount} completions matching no request in flight (vcpu/seq ${v.unexpected.join(' ')})`);
    }
    if (v.corrupt > 0) problems.push(`vcpu ${v.index} found ${v.corrupt} of ${v.verified} buffers with wrong data`);
    if (v.submitted !== v.completed) problems.push(`vcpu ${v.index} submitted ${v.submitted} but completed ${v.completed}`);
  }
  const moved = sum(iothreads.map((t) => t.moved));
  if (moved !== submitted) problems.push(`IO threads moved ${moved} requests, vcpus submitted ${submitted}`);
  if (device.completed !== submitted) problems.push(`the device completed ${device.completed} requests, vcpus submitted ${submitted}`);
  if (problems.length > 0) throw new RunFailure(`conservation check failed: ${problems.join('; ')}`);
}

function result(
  spec: PointSpec,
  topology: Topology,
  before: Snapshot,
  after: Snapshot,
  vcpus: VcpuResult[],
  locks: LockFigures[],
): RunResult {
  const seconds = (after.atMs - before.atMs) / 1000;
  const jobIops = after.completed.map((c, v) => (c - before.completed[v]!) / seconds);
  const iops = sum(jobIops);
  const latency = createHistogram();
  for (const v of vcpus) latency.add(v.latency);
  const measured = latency.count > 0;
  const pct = (p: number): number => (measured ? latency.percentile(p) : 0);
  const u0 = before.usage;
  const u1 = after.usage;
  return {
    mode: spec.mode,
    jobs: spec.jobs,
    iodepth: spec.iodepth,
    iothreads: topology.iothreads,
    lock: spec.lock,
    cpus: spec.cpus,
    bs: spec.bs,
    runtimeMs: after.atMs - before.atMs,
    iops,
    bwBytesPerSec: iops * spec.bs,
    jobIops,
    fairness: jainIndex(jobIops),
    latNs: { p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: measured ? latency.max : 0, mean: measured ? latency.mean : 0 },
    locks,
    submitted: sum(vcpus.map((v) => v.submitted)),
    completed: sum(vcpus.map((v) => v.completed)),
    cpuUserUs: u1.userCPUTime - u0.userCPUTime,
    cpuSystemUs: u1.systemCPUTime - u0.systemCPUTime,
    voluntaryContextSwitches: u1.voluntaryContextSwitches - u0.voluntaryContextSwitches,
    involuntaryContextSwitches: u1.involuntaryContextSwitches - u0.involuntaryContextSwitches,
    ringCalls: 0,
    lockAcquisitionsWholeRun: 0,
    repeats: 1,
  };
}
