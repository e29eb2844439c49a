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
import { formatCount, formatNs, formatRatio, MISSING, plural, safeDivide } from './format.js';
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
import { median } from './stats.js';

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

/** What the two variants are called in a table: `a` and `b` (npm run ab), `old` and `new` (bench-vs). */
interface AbNames {
  a: string;
  b: string;
}

const AB_NAMES: AbNames = { a: 'a', b: 'b' };

/** The names of an earlier build (a) against this tree's (b): a bench-vs entry's. */
export const OLD_NEW: AbNames = { a: 'old', b: 'new' };

/** The columns of the side-by-side table; iodepth only where the points differ in it. */
function abColumns(points: readonly AbPoint[], { a, b }: AbNames): Column<AbPoint>[] {
  const iodepths = new Set(points.map((p) => p.iodepth)).size > 1;
  const cpuRatio = (p: AbPoint): string => (Number.isFinite(p.cpuRatio) ? formatRatio(p.cpuRatio) : MISSING);
  return [
    { header: 'mode', align: 'left', cell: (p) => p.mode },
    { header: 'lock', align: 'left', cell: (p) => p.lock },
    { header: 'cpus', align: 'right', cell: (p) => String(p.cpus) },
    { header: 'jobs', align: 'right', cell: (p) => String(p.jobs) },
    ...(iodepths ? [{ header: 'iodepth', align: 'right' as const, cell: (p: AbPoint) => String(p.iodepth) }] : []),
    { header: 'iothreads', align: 'right', cell: (p) => String(p.iothreads) },
    { header: `${a} IOPS`, align: 'right', cell: (p) => formatCount(p.aIops) },
    { header: `${b} IOPS`, align: 'right', cell: (p) => formatCount(p.bIops) },
    { header: `${b}/${a}`, align: 'right', cell: (p) => formatInterval(p) },
    { header: `${a} cpu/req`, align: 'right', cell: (p) => ns(p.aCpuPerRequestNs) },
    { header: `${b} cpu/req`, align: 'right', cell: (p) => ns(p.bCpuPerRequestNs) },
    { header: `${b}/${a} cpu`, align: 'right', cell: cpuRatio },
  ];
}

/** Targets for the geometric means over a comparison's points (a bench-vs entry's). */
export interface AbTargets {
  /** The least geometric mean of b/a IOPS that passes. */
  iopsAtLeast: number;
  /** The most geometric mean of b/a CPU time per request that passes. */
  cpuAtMost: number;
}

/** The geometric means over the points against their targets, and the points called slower. */
export interface AbVerdict {
  iops: { mean: number; atLeast: number; met: boolean };
  cpu: { mean: number; atMost: number; met: boolean };
  /** The points whose b/a IOPS interval lies wholly below 1x, as `mq spin jobs=8 iodepth=32`. */
  slower: string[];
  /** Every target met, no point slower, and a point at all. */
  pass: boolean;
}

/** How `points` stand against `targets`. */
export function abVerdict(points: readonly AbPoint[], targets: AbTargets): AbVerdict {
  const iopsMean = geometricMean(points, (p) => p.ratio);
  const cpuMean = geometricMean(points, (p) => p.cpuRatio);
  const iops = { mean: iopsMean, atLeast: targets.iopsAtLeast, met: iopsMean >= targets.iopsAtLeast };
  // Without thread figures (no /proc) the CPU mean is NaN: missed, rather than passed unseen.
  const cpu = { mean: cpuMean, atMost: targets.cpuAtMost, met: cpuMean <= targets.cpuAtMost };
  const slower = points
    .filter((p) => p.verdict === 'slower')
    .map((p) => `${p.mode} ${p.lock} jobs=${p.jobs} iodepth=${p.iodepth}`);
  return { iops, cpu, slower, pass: iops.met && cpu.met && slower.length === 0 && points.length > 0 };
}

/** The verdict as lines (without newlines): each target, met or missed, then pass or FAIL. */
export function abVerdictLines(verdict: AbVerdict, { a, b }: AbNames = AB_NAMES): string[] {
  const met = (ok: boolean): string => (ok ? 'met' : 'missed');
  const { iops, cpu, slower } = verdict;
  return [
    `${b}/${a} IOPS over the points (geometric mean): ${formatRatio(iops.mean)}, at least ` +
      `${formatRatio(iops.atLeast)}: ${met(iops.met)}`,
    `${b}/${a} CPU time per request (geometric mean): ${formatRatio(cpu.mean)}, at most ` +
      `${formatRatio(cpu.atMost)}: ${met(cpu.met)}`,
    `points whose IOPS verdict is slower: ${slower.length === 0 ? 'none' : slower.join(', ')}`,
    verdict.pass ? 'pass' : 'FAIL',
  ];
}

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
 * every point and how many points each verdict went to; the variants called `names`.
 */
export function renderAb(points: readonly AbPoint[], names: AbNames = AB_NAMES): string {
  if (points.length === 0) return 'ab: the two variants have no point in common\n';
  const { a, b } = names;
  const iops = geometricMean(points, (p) => p.ratio);
  const cpu = geometricMean(points, (p) => p.cpuRatio);
  const level = points[0]!.level;
  const legend =
    `${b}/${a}: IOPS, the geometric mean of the rounds' ${b}/${a} (round i of ${b} over round i of ${a}; ` +
    `the IOPS columns are medians),\nwith its ${formatLevel(level)} confidence interval (t-interval on the ` +
    'log ratios) and a verdict: faster or slower when the\ninterval lies wholly above or below 1x, ~ (no ' +
    'clear difference) when it holds 1x\n';
  const verdicts = verdictCounts(points);
  const means =
    `over the ${plural(points.length, 'point')} (geometric mean): ${b}/${a} IOPS ${formatRatio(iops)}` +
    (Number.isFinite(cpu) ? `, ${b}/${a} CPU time per request ${formatRatio(cpu)}` : '') +
    (verdicts === '' ? '' : `; verdicts: ${verdicts}`);
  return `${renderColumns(abColumns(points, names), points)}${legend}${means}\n`;
}
