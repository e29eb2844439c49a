/**
 * `npm run ab`'s figures: two variants of one sweep (a and b), each run once per round, put
 * side by side point by point: each variant's median IOPS over the rounds, b/a with its
 * confidence interval and a verdict (round i of a paired with round i of b, which ran next to
 * it: a t-interval on the rounds' log ratios, src/report/confidence.ts), and each variant's CPU
 * time per request (the worker threads' CPU time over the requests the vCPUs reaped, median over
 * the rounds) with b/a.
 */
import type { RunResult } from './result.js';
import { ratioRange } from './spread.js';
import { firstByKey, renderColumns, runKey, type Column, type RunKeyField } from './table.js';
import { formatCount, formatNs, formatRatio, MISSING, safeDivide } from './format.js';
import {
  DEFAULT_CONFIDENCE,
  formatLevel,
  formatRatio as formatInterval,
  geometricMean as geometricMeanOf,
  pairedRatio,
  type RatioInterval,
  type Verdict,
} from './confidence.js';
import { plainPointRatio, roundIops } from './compare.js';

/** What identifies a point in both variants. */
const POINT_FIELDS: readonly RunKeyField[] = ['mode', 'lock', 'cpus', 'jobs', 'iodepth', 'iothreads'];

/** One point in both variants. */
/**
 * One point in both variants. Its RatioInterval is b/a of IOPS: the geometric mean of the paired
 * rounds' b_i/a_i (round i of each variant) with its interval and verdict (none with fewer than 2
 * pairs, or a round of IOPS 0: then `ratio` is the plain bIops/aIops).
 */
export interface AbPoint extends RatioInterval {
  mode: string;
  lock: string;
  cpus: number;
  jobs: number;
  iodepth: number;
  iothreads: number;
  /** Median IOPS of each variant over the rounds. */
  aIops: number;
  bIops: number;
  /** b/a from its worst pairing of rounds (slowest b, fastest a) to its best. */
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

/**
 * b/a of a point's IOPS, paired by round: round i of a with round i of b (ab runs them
 * interleaved, ABBA, so each pair shares the machine's state). When one variant has more rounds
 * (a stop cut the last one short), the first rounds of each pair up.
 */
function pairedPointRatio(runA: RunResult, runB: RunResult, level: number): RatioInterval {
  const aRounds = roundIops(runA);
  const bRounds = roundIops(runB);
  const pairs = Math.min(aRounds.length, bRounds.length);
  const a = aRounds.slice(0, pairs);
  const b = bRounds.slice(0, pairs);
  const positive = (values: readonly number[]): boolean => values.every((v) => Number.isFinite(v) && v > 0);
  if (!positive(a) || !positive(b)) return plainPointRatio(runA, runB, level, pairs);
  return pairedRatio(a, b, level);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * The points both variants ran, in a's order, from each variant's point results (a run per
 * point, its rounds as samples in round order: sweep.ts medianRun), b/a's intervals at `level`.
 */
export function abPoints(
  a: readonly RunResult[],
  b: readonly RunResult[],
  level: number = DEFAULT_CONFIDENCE,
): AbPoint[] {
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
        ...pairedPointRatio(runA, runB, level),
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
  const ratios = points.map(figure).filter((r) => Number.isFinite(r) && r > 0);
  return ratios.length === 0 ? NaN : geometricMeanOf(ratios);
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
  { header: 'b/a', align: 'right', cell: (p) => formatInterval(p) },
  { header: 'a cpu/req', align: 'right', cell: (p) => ns(p.aCpuPerRequestNs) },
  { header: 'b cpu/req', align: 'right', cell: (p) => ns(p.bCpuPerRequestNs) },
  { header: 'b/a cpu', align: 'right', cell: (p) => (Number.isFinite(p.cpuRatio) ? formatRatio(p.cpuRatio) : MISSING) },
];

/** How many points got each verdict: `2 faster, 1 ~, 1 too few rounds`; '' for no points. */
function verdictCounts(points: readonly AbPoint[]): string {
  const count = (verdict: Verdict | null): number => points.filter((p) => p.verdict === verdict).length;
  const counts: [number, string][] = [
    [count('faster'), 'faster'],
    [count('slower'), 'slower'],
    [count('~'), '~'],
    [points.filter((p) => p.need !== undefined).length, 'too few rounds'],
  ];
  return counts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
}

/**
 * The side-by-side table, a legend for its b/a column, then the geometric means of b/a over
 * every point and how many points each verdict went to.
 */
export function renderAb(points: readonly AbPoint[]): string {
  if (points.length === 0) return 'ab: the two variants have no point in common\n';
  const iops = geometricMean(points, (p) => p.ratio);
  const cpu = geometricMean(points, (p) => p.cpuRatio);
  const level = points[0]!.level;
  const legend =
    "b/a: IOPS, the geometric mean of the rounds' b/a (round i of b over round i of a; the IOPS columns " +
    `are medians),\nwith its ${formatLevel(level)} confidence interval (t-interval on the log ratios) and a ` +
    'verdict: faster or slower when the\ninterval lies wholly above or below 1x, ~ (no clear difference) ' +
    'when it holds 1x\n';
  const verdicts = verdictCounts(points);
  const means =
    `over the ${points.length} points (geometric mean): b/a IOPS ${formatRatio(iops)}` +
    (Number.isFinite(cpu) ? `, b/a CPU time per request ${formatRatio(cpu)}` : '') +
    (verdicts === '' ? '' : `; verdicts: ${verdicts}`);
  return `${renderColumns(AB_COLUMNS, points)}${legend}${means}\n`;
}
