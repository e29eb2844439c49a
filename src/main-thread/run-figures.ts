/**
 * The figures of one run: IOPS and latency over the measured window, the
 * submission locks' statistics, each worker thread's CPU time, the process's
 * CPU time and context switches, and the whole-run consistency figures, put
 * together as a RunResult.
 *
 * The window is taken between two snapshots of run control's counters, so
 * IOPS count exactly the requests reaped inside it; the lock statistics are
 * reset just before the first snapshot and read just after the second. Each
 * worker's thread figures (its CPU time, wait account, requests and signals)
 * come from the worker itself, over the window as it saw it
 * (workers/support/thread-window.ts).
 */
import type { Lock } from '../sync/lock-base.js';
import { statsSince, type LockStats } from '../sync/lock-stats.js';
import type { AnyRing } from '../ring/create-ring.js';
import { GuardedRing } from '../ring/guarded-ring.js';
import { MultiProducerRing } from '../ring/multi-producer-ring.js';
import type { RunControl } from '../protocol/run-control.js';
import { ringName, type Topology } from '../protocol/topology.js';
import { roster, type WorkerId } from '../protocol/roster.js';
import type { IothreadResult, NullblkResult, VcpuResult } from '../protocol/tasks.js';
import type { LockFigures, RunResult, StageFigures, ThreadFigures } from '../report/result.js';
import { recordSettings } from '../report/settings.js';
import { latencyFigures } from '../report/latency.js';
import { LatencyHistogram, platPercentiles } from '../protocol/latency-histogram.js';
import type { PointSpec } from './point-spec.js';
import { STAGES } from '../protocol/stages.js';

/** One worker at one edge of the window. */
interface WorkerSnapshot extends WorkerId {
  /** Requests it has handled so far: reaped (vCPU), moved (IO thread), completed (device). */
  requests: number;
}

/** The counters at one edge of the measured window. */
export interface Snapshot {
  atMs: number;
  workers: WorkerSnapshot[];
  usage: NodeJS.ResourceUsage;
}

/** What the run's sequencing hands over for the figures. */
export interface MeasuredWindow {
  before: Snapshot;
  after: Snapshot;
  /** The submission locks' statistics over the window. */
  locks: LockFigures[];
  /** IOPS per slice of the window (run.ts IopsLog). */
  iopsLog: { msec: number; iops: number[] };
}

/** What the workers returned. */
export interface WorkerResults {
  vcpus: readonly VcpuResult[];
  iothreads: readonly IothreadResult[];
  devices: readonly NullblkResult[];
}

/** Reads every worker's counters, and the time, at one edge of the window. */
export function takeSnapshot(control: RunControl, topology: Topology): Snapshot {
  const workers = roster(topology.workers);
  const atMs = performance.now();
  const readings = workers.map((w) => control.progress(w.role, w.index).read());
  const usage = process.resourceUsage();
  return {
    atMs,
    workers: workers.map(({ role, index }, i) => ({
      role,
      index,
      requests: role === 'iothread' ? readings[i]!.submitted : readings[i]!.completed,
    })),
    usage,
  };
}

/**
 * The statistics of every submission ring's lock, named as reports name them; for sq's
 * lock-free multi-producer ring (--lock none), its publication waits, which count like a lock's
 * (a producer that reserved its slots waits for the earlier ones to publish: multi-producer-ring.ts);
 * none for mq's lock-free rings.
 */
export function lockFigures(
  topology: Topology,
  rings: readonly AnyRing[],
  before: readonly (LockStats | null)[],
): LockFigures[] {
  return rings.flatMap((ring, r) => {
    let stats: LockStats;
    let name = ringName(topology, r);
    if (ring instanceof GuardedRing) {
      const since = before[r] ?? null;
      stats = since === null ? ring.lockStats() : statsSince(since, ring.lockStats());
    } else if (ring instanceof MultiProducerRing) {
      stats = ring.publishStats();
      name += ' (publication order)';
    } else {
      return [];
    }
    const { timeouts: _unused, ...figures } = stats;
    return [{ name, ...figures }];
  });
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Jain's fairness index: (sum x)^2 / (n * sum x^2); 1 when all equal. */
export function jainIndex(values: readonly number[]): number {
  const s = sum(values);
  const s2 = sum(values.map((v) => v * v));
  return s2 === 0 ? 1 : (s * s) / (values.length * s2);
}

/**
 * Each worker's figures over the window as it saw it, in roster order, or null when a worker
 * could not read its thread's statistics (no /proc).
 */
function threadFigures(results: WorkerResults, breakdown: boolean): ThreadFigures[] | null {
  const all = [
    ...results.vcpus.map((r) => ({ role: 'vcpu' as const, r, completions: 0 })),
    ...results.iothreads.map((r) => ({ role: 'iothread' as const, r, completions: r.completions })),
    ...results.devices.map((r) => ({ role: 'nullblk' as const, r, completions: r.completions })),
  ];
  const figures: ThreadFigures[] = [];
  for (const { role, r, completions } of all) {
    const w = r.window;
    if (w === null) return null;
    figures.push({
      role,
      index: r.index,
      tid: w.tid,
      windowNs: w.windowNs,
      requests: w.requests,
      cpuNs: w.cpuNs,
      runqueueNs: w.runqueueNs,
      slices: w.slices,
      cpus: w.cpus,
      waits: breakdown ? w.waits : null,
      woken: w.woken,
      completions,
    });
  }
  return figures;
}

/**
 * The stages of the vCPUs' measured requests merged (stages.ts): each stage's exact mean and its
 * p50 and p99 from the merged histograms; null when the vCPUs kept no stages (--breakdown off).
 */
function stageFigures(vcpus: readonly VcpuResult[]): StageFigures[] | null {
  const records = vcpus.map((v) => v.stages);
  if (records.some((r) => r === null)) return null;
  const all = records as NonNullable<VcpuResult['stages']>[];
  const requests = sum(all.map((r) => r.requests));
  return STAGES.map((name) => {
    const [p50Ns, p99Ns] = platPercentiles(LatencyHistogram.merged(all.map((r) => r.histograms[name])), [50, 99]);
    return { name, meanNs: safeMean(sum(all.map((r) => r.totalNs[name])), requests), p50Ns: p50Ns!, p99Ns: p99Ns! };
  });
}

/** `total / count`, or 0 when nothing was counted. */
function safeMean(total: number, count: number): number {
  return count === 0 ? 0 : total / count;
}

/**
 * The result of a run whose workers have returned and passed the
 * conservation check.
 * @param guards the submission locks, read now for the whole-run acquisitions
 */
export function runResult(
  spec: PointSpec,
  topology: Topology,
  window: MeasuredWindow,
  results: WorkerResults,
  guards: readonly (Lock | null)[],
): RunResult {
  const { before, after } = window;
  const { vcpus, iothreads } = results;
  const pops = spec.lockSides === 'submit+pop' ? sum(iothreads.map((t) => t.pops)) : 0;
  const lockCallsBySide = {
    submit: sum(vcpus.map((v) => v.pushes)),
    pop: pops,
    reap: sum(vcpus.map((v) => v.reapLocks)),
  };
  const seconds = (after.atMs - before.atMs) / 1000;
  const reaped = (s: Snapshot): number[] => s.workers.filter((w) => w.role === 'vcpu').map((w) => w.requests);
  const start = reaped(before);
  const jobIops = reaped(after).map((c, v) => (c - start[v]!) / seconds);
  const iops = sum(jobIops);
  const u0 = before.usage;
  const u1 = after.usage;
  return {
    mode: spec.mode,
    jobs: spec.jobs,
    iodepth: spec.iodepth,
    iothreads: topology.iothreads,
    lock: spec.lock,
    cpus: spec.cpus,
    deviceThreads: topology.workers.nullblk,
    settings: recordSettings(spec),
    runtimeMs: after.atMs - before.atMs,
    iops,
    bwBytesPerSec: iops * spec.bs,
    jobIops,
    fairness: jainIndex(jobIops),
    slatNs: latencyFigures(LatencyHistogram.merged(vcpus.map((v) => v.slat))),
    clatNs: latencyFigures(LatencyHistogram.merged(vcpus.map((v) => v.clat))),
    latNs: latencyFigures(LatencyHistogram.merged(vcpus.map((v) => v.lat))),
    latencyTotals: {
      requests: sum(vcpus.map((v) => v.latencyTotals.requests)),
      slatNs: sum(vcpus.map((v) => v.latencyTotals.slatNs)),
      clatNs: sum(vcpus.map((v) => v.latencyTotals.clatNs)),
      latNs: sum(vcpus.map((v) => v.latencyTotals.latNs)),
    },
    stages: stageFigures(vcpus),
    locks: window.locks,
    submitted: sum(vcpus.map((v) => v.submitted)),
    completed: sum(vcpus.map((v) => v.completed)),
    jobSubmitted: vcpus.map((v) => v.submitted),
    jobPushes: vcpus.map((v) => v.pushes),
    threads: threadFigures(results, spec.breakdown),
    cpuUserUs: u1.userCPUTime - u0.userCPUTime,
    cpuSystemUs: u1.systemCPUTime - u0.systemCPUTime,
    voluntaryContextSwitches: u1.voluntaryContextSwitches - u0.voluntaryContextSwitches,
    involuntaryContextSwitches: u1.involuntaryContextSwitches - u0.involuntaryContextSwitches,
    ringCalls: lockCallsBySide.submit + lockCallsBySide.pop + lockCallsBySide.reap,
    lockCallsBySide,
    lockAcquisitionsWholeRun: sum(guards.map((guard) => guard?.stats().acquisitions ?? 0)),
    repeats: 1,
    iopsLog: window.iopsLog,
  };
}
