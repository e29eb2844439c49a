/**
 * The figures of one run: IOPS and latency over the measured window, the
 * submission locks' statistics, the process's CPU time and context switches,
 * and the whole-run consistency figures, put together as a RunResult.
 *
 * The window is taken between two snapshots of the vCPUs' completion
 * counters (run control), so IOPS count exactly the requests reaped inside
 * it; the lock statistics are reset just before the first snapshot and read
 * just after the second.
 */
import { createHistogram } from 'node:perf_hooks';
import type { Lock } from '../sync/lock-base.js';
import type { RunControl } from '../protocol/run-control.js';
import { ringName, type Topology } from '../protocol/topology.js';
import type { IothreadResult, VcpuResult } from '../protocol/tasks.js';
import type { LockFigures, RunResult } from '../report/result.js';
import type { PointSpec } from './point-spec.js';

/** The counters at one edge of the measured window. */
export interface Snapshot {
  atMs: number;
  /** Requests each vCPU has reaped so far. */
  completed: number[];
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

export function takeSnapshot(control: RunControl, topology: Topology): Snapshot {
  return {
    atMs: performance.now(),
    completed: Array.from({ length: topology.jobs }, (_, v) => control.progress('vcpu', v).completed),
    usage: process.resourceUsage(),
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

/**
 * The result of a run whose workers have returned and passed the
 * conservation check.
 * @param guards the submission locks, read now for the whole-run acquisitions
 */
export function runResult(
  spec: PointSpec,
  topology: Topology,
  window: MeasuredWindow,
  vcpus: readonly VcpuResult[],
  iothreads: readonly IothreadResult[],
  guards: readonly (Lock | null)[],
): RunResult {
  const { before, after } = window;
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
    latNs: {
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      p999: pct(99.9),
      max: measured ? latency.max : 0,
      mean: measured ? latency.mean : 0,
    },
    locks: window.locks,
    submitted: sum(vcpus.map((v) => v.submitted)),
    completed: sum(vcpus.map((v) => v.completed)),
    cpuUserUs: u1.userCPUTime - u0.userCPUTime,
    cpuSystemUs: u1.systemCPUTime - u0.systemCPUTime,
    voluntaryContextSwitches: u1.voluntaryContextSwitches - u0.voluntaryContextSwitches,
    involuntaryContextSwitches: u1.involuntaryContextSwitches - u0.involuntaryContextSwitches,
    ringCalls: sum(vcpus.map((v) => v.pushes)) + sum(iothreads.map((t) => t.pops)),
    lockAcquisitionsWholeRun: window.acquisitionsBefore + sum(guards.map((guard) => guard?.stats().acquisitions ?? 0)),
    repeats: 1,
  };
}
