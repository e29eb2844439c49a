/**
 * How far the runs of a point spread around its median (with --repeat N): the range of IOPS
 * and of p99 latency, the range of an mq/sq ratio over every pairing of their runs, and the
 * one-line note a report prints when some points spread too far to trust their median.
 */
import type { PointSpread, RunResult } from './result.js';

export type { PointSpread } from './result.js';
import { latencyAt } from './latency.js';
import { formatCount, formatPercent } from './format.js';

/** A closed range of a figure. */
interface Range {
  min: number;
  max: number;
}

/** The runs of a point: its samples, or the run itself when it ran once. */
export function runsOf(run: RunResult): readonly RunResult[] {
  return run.samples ?? [run];
}

/** The range of `figure` over a point's runs. */
export function rangeOf(run: RunResult, figure: (sample: RunResult) => number): Range {
  const values = runsOf(run).map(figure);
  return { min: Math.min(...values), max: Math.max(...values) };
}

export const iopsOf = (run: RunResult): number => run.iops;
export const p99Of = (run: RunResult): number => latencyAt(run.latNs, 99);

/** The mq/sq ratio from its worst pairing (slowest mq, fastest sq) to its best. */
export function ratioRange(sq: RunResult, mq: RunResult): Range {
  const s = rangeOf(sq, iopsOf);
  const m = rangeOf(mq, iopsOf);
  return { min: m.min / s.max, max: m.max / s.min };
}

/** Points whose slowest or fastest run lies more than `threshold` (a fraction) from the median. */
export function widelySpread(runs: readonly RunResult[], threshold: number): RunResult[] {
  return runs.filter((run) => {
    const { min, max } = rangeOf(run, iopsOf);
    return run.iops > 0 && (max - run.iops > threshold * run.iops || run.iops - min > threshold * run.iops);
  });
}

/** The share of a sweep's points beyond which their spread is worth a word: ±10% of the median. */
export const SPREAD_THRESHOLD = 0.1;

/**
 * One line after the table when some points spread more than ±10% around their median, naming
 * the widest; '' when none does (or no point ran more than once).
 */
export function renderSpreadNote(runs: readonly RunResult[]): string {
  const wide = widelySpread(runs, SPREAD_THRESHOLD);
  if (wide.length === 0) return '';
  const widest = wide.reduce((a, b) => (relativeSpread(b) > relativeSpread(a) ? b : a));
  const { min, max } = rangeOf(widest, iopsOf);
  const point = `${widest.mode} ${widest.lock} jobs=${widest.jobs}, ${formatCount(min)}..${formatCount(max)}`;
  const repeats = Math.max(...runs.map((run) => run.repeats));
  return (
    `note: ${wide.length} of ${runs.length} points spread more than ±${formatPercent(SPREAD_THRESHOLD, 0)} ` +
    `around their median IOPS (widest: ${point}); run more repeats (--repeat ${Math.max(5, repeats + 2)}) ` +
    'or on a quieter machine before reading small differences\n'
  );
}

function relativeSpread(run: RunResult): number {
  const { min, max } = rangeOf(run, iopsOf);
  return (max - min) / run.iops;
}

/** Where a point's spread comes from: see PointSpread in result.ts. */

/** Standard deviation over mean (sample standard deviation); NaN for fewer than two values. */
function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return mean === 0 ? NaN : Math.sqrt(variance) / mean;
}

/** Each point's spread between its runs and within them. */
export function pointSpreads(runs: readonly RunResult[]): PointSpread[] {
  return runs.map((run) => {
    const samples = runsOf(run);
    const within = samples
      .map((s) => s.iopsLog?.iops ?? [])
      .filter((slices) => slices.length > 2)
      .map((slices) => coefficientOfVariation(slices.slice(0, -1)));
    return {
      mode: run.mode,
      lock: run.lock,
      cpus: run.cpus,
      jobs: run.jobs,
      iodepth: run.iodepth,
      runs: samples.length,
      betweenRunsCv: coefficientOfVariation(samples.map(iopsOf)),
      withinRunCv: within.length === 0 ? NaN : within.reduce((a, b) => a + b, 0) / within.length,
    };
  });
}
