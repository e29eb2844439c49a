/**
 * One run of the emulator: one mode, lock kind, job count and iodepth.
 *
 * Builds the shared memory of the topology, starts every role as a piscina
 * task (vCPUs, IO threads, the null-block device), moves the run through its
 * phases (run-control.ts), takes the figures of the measured window, and
 * checks that every request submitted was completed exactly once.
 */
import { createHistogram } from 'node:perf_hooks';
import type { Piscina } from 'piscina';
import { Ring } from '../ring/ring.js';
import { DESC_WORDS } from './descriptor.js';
import { RunControl, RAMP, MEASURE, STOP } from './run-control.js';
import { buildTopology, ringGuard, ringName, type Topology } from './topology.js';
import { WORKER_FILES } from './worker-pool.js';
import type { LockKind, Mode } from './options.js';
import type { LockFigures, RunResult } from '../report/result.js';
import type { IothreadResult, IothreadTask, NullblkResult, NullblkTask, VcpuResult, VcpuTask } from './tasks.js';

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
}

/** Threads a run of `spec` needs in the pool. */
export function threadsFor(spec: Pick<PointSpec, 'mode' | 'jobs' | 'iothreads' | 'iodepth'>): number {
  const t = buildTopology(spec.mode, spec.jobs, spec.iodepth, spec.iothreads);
  return t.jobs + t.iothreads + 1;
}

/** Raised when a run loses, duplicates or corrupts a request, or a worker fails. */
export class RunFailure extends Error {
  override name = 'RunFailure';
}

const PARK_MS = 20;
const BARRIER_MS = 30_000;
/** How long the workers may take to finish after STOP before the run is declared hung. */
const FINISH_MS = 10_000;

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

/** A role's task promise, with failures named after the role. */
function start<T>(pool: Piscina, task: unknown, file: string, who: string, control: RunControl): Promise<T> {
  return pool.run(task, { filename: file }).catch((error: unknown) => {
    control.abort();
    const message = error instanceof Error ? error.message : String(error);
    throw new RunFailure(`${who} failed: ${message}`);
  }) as Promise<T>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or null if it has not settled within `ms`; the timer never outlives the race. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when `check` is true, polling every few ms; rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new RunFailure(what);
    await sleep(2);
  }
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

/** Runs one point on `pool` (which must have at least threadsFor(spec) threads). */
export async function runPoint(pool: Piscina, spec: PointSpec): Promise<RunResult> {
  const topology = buildTopology(spec.mode, spec.jobs, spec.iodepth, spec.iothreads);
  const shared = buildShared(spec, topology);
  const { control } = shared;
  const common = { control: control.handle, pollMaxNs: spec.pollMaxNs, parkMs: PARK_MS, barrierMs: BARRIER_MS };
  const blocks = Math.floor(spec.sizeBytes / spec.bs);

  const vcpus = topology.vcpuRing.map((ring, index) =>
    start<VcpuResult>(
      pool,
      {
        ...common,
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
      control,
    ),
  );
  const iothreads = topology.iothreadRings.map((rings, index) =>
    start<IothreadResult>(
      pool,
      {
        ...common,
        index,
        rings: rings.map((r) => shared.rings[r]!.handle),
        hwq: shared.hwqs[index]!.handle,
      } satisfies IothreadTask,
      WORKER_FILES.iothread,
      `iothread ${index}`,
      control,
    ),
  );
  const device = start<NullblkResult>(
    pool,
    {
      ...common,
      hwqs: shared.hwqs.map((q) => q.handle),
      completions: shared.completions.map((c) => c.handle),
      completionNs: spec.completionNs,
      data: shared.data,
      bs: spec.bs,
      iodepth: spec.iodepth,
    } satisfies NullblkTask,
    WORKER_FILES.nullblk,
    'nullblk 0',
    control,
  );
  const all = Promise.all([Promise.all(vcpus), Promise.all(iothreads), device]);
  // Any failure aborts the run at once; keep the rejection for the await below.
  let failure: unknown = null;
  all.catch((error: unknown) => {
    failure = error;
  });

  const total = topology.jobs + topology.iothreads + 1;
  const throwIfFailed = (): void => {
    if (failure !== null) throw failure;
  };
  try {
    await until(() => failure !== null || control.arrived() === total, BARRIER_MS, `workers did not start within ${BARRIER_MS} ms`);
    throwIfFailed();
    control.setPhase(RAMP);
    await sleep(spec.rampMs);
    throwIfFailed();

    // Acquisitions before the window, minus the reset's own, for the whole-run consistency figure.
    const beforeWindow = sum(shared.rings.map((ring) => (ring.guard === null ? 0 : ring.guard.resetStats().acquisitions - 1)));
    const before = snapshot(control, topology);
    control.setPhase(MEASURE);
    await sleep(spec.runtimeMs);
    const after = snapshot(control, topology);
    const locks: LockFigures[] = shared.rings.flatMap((ring, r) => {
      const s = ring.guard?.stats();
      return s === undefined
        ? []
        : [{ name: ringName(topology, r), acquisitions: s.acquisitions, contentions: s.contentions, waitNsTotal: s.waitNsTotal, waitNsMax: s.waitNsMax, spins: s.spins, parks: s.parks }];
    });
    control.setPhase(STOP);

    const finished = await within(all, FINISH_MS);
    if (finished === null) {
      control.abort();
      throw new RunFailure(`the run did not finish within ${FINISH_MS / 1000} s of the stop: ${stuckWorkers(control, topology)}`);
    }
    const [vcpuResults, iothreadResults, deviceResult] = finished;
    checkConservation(vcpuResults, iothreadResults, deviceResult);
    const run = result(spec, topology, before, after, vcpuResults, locks);
    run.ringCalls = sum(vcpuResults.map((v) => v.pushes)) + sum(iothreadResults.map((t) => t.pops));
    run.lockAcquisitionsWholeRun = beforeWindow + sum(shared.rings.map((ring) => ring.guard?.stats().acquisitions ?? 0));
    return run;
  } catch (error) {
    control.abort();
    // Let every worker return before the pool is reused or destroyed.
    await within(all.catch(() => undefined), FINISH_MS);
    throw failure ?? error;
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

function stuckWorkers(control: RunControl, topology: Topology): string {
  const parts: string[] = [];
  for (let v = 0; v < topology.jobs; v++) {
    const [s, c] = control.counters('vcpu', v);
    if (s !== c) parts.push(`vcpu ${v} has ${s - c} requests in flight`);
  }
  return parts.length > 0 ? parts.join(', ') : 'no vcpu has requests in flight';
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
