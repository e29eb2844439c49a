/**
 * The figures of one run: IOPS and latency over the measured window, the
 * submission locks' statistics, each worker thread's CPU time, the process's
 * CPU time and context switches, and the whole-run consistency figures, put
 * together as a RunResult.
 *
 * The window is taken between two snapshots of run control's counters and
 * of every worker thread's scheduler statistics (linux-thread.ts), so IOPS
 * count exactly the requests reaped inside it; the lock statistics are reset
 * just before the first snapshot and read just after the second.
 */
import type { Lock } from '../sync/lock-base.js';
import type { RunControl } from '../protocol/run-control.js';
import { ringName, type Topology } from '../protocol/topology.js';
import { roster, type WorkerId } from '../protocol/roster.js';
import { readSchedstat, type Schedstat } from '../protocol/linux-thread.js';
import type { IothreadResult, NullblkResult, VcpuResult } from '../protocol/tasks.js';
import type { LockFigures, RunResult, RunSettings, ThreadFigures } from '../report/result.js';
import { latencyFigures } from '../report/latency.js';
import { LatencyHistogram } from '../protocol/latency-histogram.js';
import type { PointSpec } from './point-spec.js';
import { describePin } from '../protocol/options.js';
import { formatCpuList, readAllowedCpus } from '../protocol/cpu-list.js';

/** One worker at one edge of the window. */
interface WorkerSnapshot extends WorkerId {
  tid: number;
  /** The CPUs it may run on, from /proc; null where unknown. */
  cpus: number[] | null;
  /** Requests it has handled so far: reaped (vCPU), moved (IO thread), completed (device). */
  requests: number;
  schedstat: Schedstat | null;
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
  /** Acquisitions of the submission locks before the window (ramp), cleared by the reset. */
  acquisitionsBefore: number;
}

/** What the workers returned. */
export interface WorkerResults {
  vcpus: readonly VcpuResult[];
  iothreads: readonly IothreadResult[];
  devices: readonly NullblkResult[];
}

/**
 * Reads every worker's counters and scheduler statistics, and the time, at one edge of the
 * window. The clock and the counters are read together; the /proc files (tens of us each) are
 * read outside them, before the start and after the end, so that they never shorten the window.
 */
export function takeSnapshot(control: RunControl, topology: Topology, edge: 'start' | 'end'): Snapshot {
  const workers = roster(topology.workers).map((w) => ({ ...w, progress: control.progress(w.role, w.index) }));
  const schedstats = (): (Schedstat | null)[] => workers.map((w) => readSchedstat(w.progress.tid));
  const early = edge === 'start' ? schedstats() : null;
  const atMs = performance.now();
  const requests = workers.map((w) => (w.role === 'iothread' ? w.progress.submitted : w.progress.completed));
  const usage = process.resourceUsage();
  const stats = early ?? schedstats();
  return {
    atMs,
    workers: workers.map(({ role, index, progress }, i) => ({
      role,
      index,
      tid: progress.tid,
      requests: requests[i]!,
      schedstat: stats[i]!,
      cpus: progress.tid > 0 ? readAllowedCpus(`/proc/self/task/${progress.tid}/status`) : null,
    })),
    usage,
  };
}

/** The statistics of every submission ring's lock, named as reports name them; none for --lock none. */
export function lockFigures(topology: Topology, guards: readonly (Lock | null)[]): LockFigures[] {
  return guards.flatMap((guard, r) => {
    if (guard === null) return [];
    const { timeouts: _unused, ...stats } = guard.stats();
    return [{ name: ringName(topology, r), ...stats }];
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

/** Each worker's figures over the window, or null when a thread's statistics could not be read. */
function threadFigures(before: Snapshot, after: Snapshot): ThreadFigures[] | null {
  const figures: ThreadFigures[] = [];
  for (const end of after.workers) {
    const start = before.workers.find((w) => w.role === end.role && w.index === end.index);
    if (start?.schedstat == null || end.schedstat === null) return null;
    figures.push({
      role: end.role,
      index: end.index,
      tid: end.tid,
      requests: end.requests - start.requests,
      cpuNs: end.schedstat.cpuNs - start.schedstat.cpuNs,
      runqueueNs: end.schedstat.runqueueNs - start.schedstat.runqueueNs,
      slices: end.schedstat.slices - start.schedstat.slices,
      cpus: end.cpus === null ? '?' : formatCpuList(end.cpus),
    });
  }
  return figures;
}

/** The settings of a run, as its result records them. */
export function runSettings(spec: PointSpec): RunSettings {
  return {
    bs: spec.bs,
    batching: spec.batching,
    deviceThreads: spec.deviceThreads ?? null,
    work: spec.work,
    completionNs: spec.completionNs,
    pollMaxNs: spec.pollMaxNs,
    memoryBacked: spec.memoryBacked,
    pin: describePin(spec.pin),
  };
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
    settings: runSettings(spec),
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
    locks: window.locks,
    submitted: sum(vcpus.map((v) => v.submitted)),
    completed: sum(vcpus.map((v) => v.completed)),
    jobSubmitted: vcpus.map((v) => v.submitted),
    jobPushes: vcpus.map((v) => v.pushes),
    threads: threadFigures(before, after),
    cpuUserUs: u1.userCPUTime - u0.userCPUTime,
    cpuSystemUs: u1.systemCPUTime - u0.systemCPUTime,
    voluntaryContextSwitches: u1.voluntaryContextSwitches - u0.voluntaryContextSwitches,
    involuntaryContextSwitches: u1.involuntaryContextSwitches - u0.involuntaryContextSwitches,
    ringCalls: sum(vcpus.map((v) => v.pushes)) + sum(iothreads.map((t) => t.pops)),
    lockAcquisitionsWholeRun: window.acquisitionsBefore + sum(guards.map((guard) => guard?.stats().acquisitions ?? 0)),
    repeats: 1,
  };
}
