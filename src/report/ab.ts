/**
 * `npm run ab`'s figures: two variants of one sweep (a and b), each run once per round, put
 * side by side point by point: each variant's median IOPS over the rounds with its range, b/a
 * from its worst pairing to its best, and each variant's CPU time per request (the worker
 * threads' CPU time over the requests the vCPUs reaped, median over the rounds) with b/a.
 */
import type { RunResult } from './result.js';
import { ratioRange } from './spread.js';
import { firstByKey, renderColumns, runKey, type Column, type RunKeyField } from './table.js';
import { formatCount, formatNs, formatRatio, MISSING, safeDivide } from './format.js';

/** What identifies a point in both variants. */
const POINT_FIELDS: readonly RunKeyField[] = ['mode', 'lock', 'cpus', 'jobs', 'iodepth', 'iothreads'];

/** One point in both variants. */
export interface AbPoint {
  mode: string;
  lock: string;
  cpus: number;
  jobs: number;
  iodepth: number;
  iothreads: number;
  /** Median IOPS of each variant, and b/a with its worst..best range over every pairing of rounds. */
  aIops: number;
  bIops: number;
  ratio: number;
  min: number;
  max: number;
  /** Median over the rounds of each variant's worker CPU time per request, ns (NaN without /proc). */
  aCpuPerRequestNs: number;
  bCpuPerRequestNs: number;
  cpuRatio: number;
}

/** Worker CPU time per request reaped of one run, ns; NaN without thread figures. */
export function cpuPerRequest(run: RunResult): number {
  if (run.threads === null) return NaN;
  const cpu = run.threads.reduce((sum, t) => sum + t.cpuNs, 0);
  const reaped = run.threads.filter((t) => t.role === 'vcpu').reduce((sum, t) => sum + t.requests, 0);
  return safeDivide(cpu, reaped);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * The points both variants ran, in a's order, from each variant's point results (a run per
 * point, its rounds as samples: sweep.ts medianRun).
 */
export function abPoints(a: readonly RunResult[], b: readonly RunResult[]): AbPoint[] {
  const bByKey = firstByKey(b, POINT_FIELDS);
  return a.flatMap((runA) => {
    const runB = bByKey.get(runKey(runA, POINT_FIELDS));
    if (runB === undefined) return [];
    const { min, max } = ratioRange(runA, runB);
    const cpuOf = (run: RunResult): number => median((run.samples ?? [run]).map(cpuPerRequest));
    const aCpu = cpuOf(runA);
    const bCpu = cpuOf(runB);
    return [
      {
        mode: runA.mode,
        lock: runA.lock,
        cpus: runA.cpus,
        jobs: runA.jobs,
        iodepth: runA.iodepth,
        iothreads: runA.iothreads,
        aIops: runA.iops,
        bIops: runB.iops,
        ratio: safeDivide(runB.iops, runA.iops),
        min,
        max,
        aCpuPerRequestNs: aCpu,
        bCpuPerRequestNs: bCpu,
        cpuRatio: safeDivide(bCpu, aCpu),
      },
    ];
  });
}

/** The geometric mean of the points' ratios of `figure`: one figure for the whole sweep. */
export function geometricMean(points: readonly AbPoint[], figure: (p: AbPoint) => number): number {
  const logs = points.map(figure).filter((r) => Number.isFinite(r) && r > 0).map(Math.log);
  return logs.length === 0 ? NaN : Math.exp(logs.reduce((x, y) => x + y, 0) / logs.length);
}

const ns = (value: number): string => (Number.isFinite(value) ? formatNs(value) : MISSING);

const AB_COLUMNS: readonly Column<AbPoint>[] = [
  { header: 'mode', align: 'left', cell: (p) => p.mode },
  { header: 'lock', align: 'left', cell: (p) => p.lock },
  { header: 'cpus', align: 'right', cell: (p) => String(p.cpus) },
  { header: 'jobs', align: 'right', cell: (p) => String(p.jobs) },
  { header: 'iothreads', align: 'right', cell: (p) => String(p.iothreads) },
  { header: 'a IOPS', align: 'right', cell: (p) => formatCount(p.aIops) },
  { header: 'b IOPS', align: 'right', cell: (p) => formatCount(p.bIops) },
  { header: 'b/a', align: 'right', cell: (p) => formatRatio(p.ratio) },
  { header: 'worst..best', align: 'right', cell: (p) => `${formatRatio(p.min)}..${formatRatio(p.max)}` },
  { header: 'a cpu/req', align: 'right', cell: (p) => ns(p.aCpuPerRequestNs) },
  { header: 'b cpu/req', align: 'right', cell: (p) => ns(p.bCpuPerRequestNs) },
  { header: 'b/a cpu', align: 'right', cell: (p) => (Number.isFinite(p.cpuRatio) ? formatRatio(p.cpuRatio) : MISSING) },
];

/** The side-by-side table, then the geometric means of b/a over every point. */
export function renderAb(points: readonly AbPoint[]): string {
  if (points.length === 0) return 'ab: the two variants have no point in common\n';
  const iops = geometricMean(points, (p) => p.ratio);
  const cpu = geometricMean(points, (p) => p.cpuRatio);
  const means =
    `over the ${points.length} points (geometric mean): b/a IOPS ${formatRatio(iops)}` +
    (Number.isFinite(cpu) ? `, b/a CPU time per request ${formatRatio(cpu)}` : '');
  return `${renderColumns(AB_COLUMNS, points)}${means}\n`;
}
