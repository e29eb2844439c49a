/**
 * Result figures for the report tests: plausible runs, settings, lock figures, machines and
 * result files, each field overridable, so that a test states only what it is about.
 */
import { FIO_PERCENTILES, latencyFigures, percentileKey, type LatencyFigures } from '../../dist/src/report/latency.js';
import { LatencyHistogram } from '../../dist/src/protocol/latency-histogram.js';
import { RESULT_SCHEMA } from '../../dist/src/report/result.js';
import type { LockFigures, MachineInfo, ResultFile, RunResult, RunSettings } from '../../dist/src/report/result.js';
import { recordSettings } from '../../dist/src/report/settings.js';
import { point } from './point.js';

/**
 * Latency figures with the given values at some percentiles (the others interpolated from the
 * nearest given below, so that they rise with p) and `max`; their bins hold the 1000 requests
 * spread the same way (request k at the value of percentile k/10), so that they add up to count.
 */
export function latency(at: Record<number, number>, max = 3 * Math.max(...Object.values(at))): LatencyFigures {
  const given = Object.entries(at)
    .map(([p, v]) => [Number(p), v] as const)
    .sort((a, b) => a[0] - b[0]);
  const valueAt = (p: number): number => [...given].reverse().find(([q]) => q <= p)?.[1] ?? given[0]![1];
  const values = Object.values(at);
  const spread = new LatencyHistogram();
  for (let k = 1; k <= 1000; k++) spread.record(valueAt(k / 10));
  return {
    count: 1000,
    min: Math.min(...values) / 2,
    max,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    stddev: 1,
    percentiles: Object.fromEntries(FIO_PERCENTILES.map((p) => [percentileKey(p), valueAt(p)])),
    bins: latencyFigures(spread).bins!,
  };
}

export function lock(overrides: Partial<LockFigures> = {}): LockFigures {
  return {
    name: 'shared ring',
    acquisitions: 1000,
    contentions: 100,
    waitNsTotal: 200_000,
    waitNsMax: 50_000,
    spins: 5000,
    parks: 3,
    ...overrides,
  };
}

/** The settings of a run at the bench's defaults, as a result file records them; any can be overridden. */
export function settings(overrides: Partial<RunSettings> = {}): RunSettings {
  return { ...recordSettings(point()), ...overrides };
}

/** A plausible run; every figure can be overridden. */
export function makeRun(overrides: Partial<RunResult> = {}): RunResult {
  const jobs = overrides.jobs ?? 1;
  const iops = overrides.iops ?? 100_000 * jobs;
  return {
    mode: 'sq',
    jobs,
    iodepth: 32,
    iothreads: 1,
    lock: 'spin',
    cpus: 8,
    deviceThreads: 1,
    settings: settings(),
    runtimeMs: 3000,
    iops,
    bwBytesPerSec: iops * 4096,
    jobIops: Array.from({ length: jobs }, () => iops / jobs),
    fairness: 0.998,
    slatNs: latency({ 50: 200, 99: 2_000 }),
    clatNs: latency({ 50: 650, 99: 10_900 }),
    latNs: latency({ 50: 850, 90: 5000, 99: 12_900, 99.9: 8_100_000 }, 2_500_000_000),
    latencyTotals: { requests: 1000, slatNs: 200_000, clatNs: 1_000_000, latNs: 1_200_000 },
    locks: [lock()],
    submitted: 1000,
    completed: 1000,
    jobSubmitted: Array.from({ length: jobs }, () => 1000 / jobs),
    jobPushes: Array.from({ length: jobs }, () => 1000 / jobs),
    threads: null,
    cpuUserUs: 1,
    cpuSystemUs: 1,
    voluntaryContextSwitches: 12,
    involuntaryContextSwitches: 3456,
    ringCalls: 0,
    lockAcquisitionsWholeRun: 0,
    lockCallsBySide: { submit: 0, pop: 0, reap: 0 },
    stages: null,
    repeats: 1,
    ...overrides,
  };
}

export function machine(overrides: Partial<MachineInfo> = {}): MachineInfo {
  return {
    cpus: 8,
    availableParallelism: 8,
    cpuModel: 'Test CPU 9000',
    node: 'v20.20.2',
    platform: 'linux',
    ...overrides,
  };
}

export function resultFile(runs: RunResult[], machineOverrides: Partial<MachineInfo> = {}): ResultFile {
  return { kind: 'bench', schema: RESULT_SCHEMA, machine: machine(machineOverrides), options: {}, runs };
}

