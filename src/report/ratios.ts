/**
 * The mq/sq ratios of a sweep with their confidence intervals and verdicts (confidence.ts):
 * one per (lock, cpus, jobs, iodepth) that ran in both modes, for the terminal's mq/sq tables,
 * the JSON's top-level `ratios`, the results README, and `--repeat auto`'s stopping rule.
 *
 * Rounds are paired: a sweep runs its points round by round, sq and mq of a point side by side
 * (sweep.ts runSchedule), so round i of sq and round i of mq ran under the same load, and
 * round i's ratio is mq_i / sq_i. A point's runs are its samples, in the order they ran
 * (sweep.ts medianRun). The ratio printed is the interval's own estimate, the geometric mean of
 * the per-round ratios, so that it always lies inside its interval; with one round it is that
 * round's ratio, as before.
 */
import type { ModeRatio, RunResult } from './result.js';

export type { ModeRatio } from './result.js';
import { runsOf, iopsOf } from './spread.js';
import { firstByKey, groupBy, renderColumns, runKey, type Column, type RunKeyField } from './table.js';
import { formatLevel, formatRatio as formatInterval } from './confidence.js';
import { formatCount, formatRatio, plural, safeDivide } from './format.js';
import { pairedRatio, type RatioInterval } from './confidence.js';


/** Fields an sq run and an mq run share to be compared. */
const PAIR_FIELDS: readonly RunKeyField[] = ['lock', 'cpus', 'jobs', 'iodepth'];

/** An sq run and an mq run at the same lock, cpus, jobs and iodepth. */
interface ModePair {
  sq: RunResult;
  mq: RunResult;
}

/**
 * Pairs sq and mq runs on lock, cpus, jobs and iodepth, in the order the sq runs come: the first
 * sq run of each, and the mq run with the most IO threads (the mq design itself, where --explain
 * also ran mq with one IO thread).
 */
function pairModes(runs: readonly RunResult[]): ModePair[] {
  const mqByKey = new Map<string, RunResult>();
  for (const mq of runs.filter((run) => run.mode === 'mq')) {
    const key = runKey(mq, PAIR_FIELDS);
    const known = mqByKey.get(key);
    if (known === undefined || mq.iothreads > known.iothreads) mqByKey.set(key, mq);
  }
  const sqByKey = firstByKey(
    runs.filter((run) => run.mode === 'sq'),
    PAIR_FIELDS,
  );
  return [...sqByKey].flatMap(([key, sq]) => {
    const mq = mqByKey.get(key);
    return mq === undefined ? [] : [{ sq, mq }];
  });
}

/**
 * `to`/`from` with its interval at `level`, paired round by round (the first rounds of each,
 * when a stop left one side a round short).
 */
export function pairedStep(from: RunResult, to: RunResult, level: number): RatioInterval {
  const a = runsOf(from).map(iopsOf);
  const b = runsOf(to).map(iopsOf);
  const n = Math.min(a.length, b.length);
  if (a.slice(0, n).some((v) => !(v > 0)) || b.slice(0, n).some((v) => !(v > 0))) {
    // A run with no IOPS has no logarithm to average: the ratio of the medians alone, no interval.
    return { ratio: safeDivide(to.iops, from.iops), ciLow: null, ciHigh: null, level, rounds: n, verdict: null };
  }
  return pairedRatio(a.slice(0, n), b.slice(0, n), level);
}

/** Every mq/sq ratio of `runs`, in the order their sq runs come. */
export function modeRatios(runs: readonly RunResult[], level: number): ModeRatio[] {
  return pairModes(runs).map(({ sq, mq }) => {
    const s = runsOf(sq).map(iopsOf);
    const m = runsOf(mq).map(iopsOf);
    return {
      lock: sq.lock,
      cpus: sq.cpus,
      jobs: sq.jobs,
      iodepth: sq.iodepth,
      sqIops: sq.iops,
      mqIops: mq.iops,
      ...pairedStep(sq, mq, level),
      min: Math.min(...m) / Math.max(...s),
      max: Math.max(...m) / Math.min(...s),
    };
  });
}

/** The ratios grouped as the mq/sq tables show them: one group per lock, cpus and iodepth, by jobs. */
function ratioGroups(ratios: readonly ModeRatio[]): ModeRatio[][] {
  const groups = groupBy(ratios, (r) => `${r.lock} ${r.cpus} ${r.iodepth}`);
  return [...groups.values()].map((group) => [...group].sort((a, b) => a.jobs - b.jobs));
}

/**
 * Whether an interval lies within ±`tolerance` (a fraction) of its ratio: `--repeat auto`'s
 * rule for a ratio known well enough. A ratio without an interval is not.
 */
export function narrowEnough(r: RatioInterval, tolerance: number): boolean {
  if (r.ciLow === null || r.ciHigh === null) return false;
  return r.ciLow >= r.ratio * (1 - tolerance) && r.ciHigh <= r.ratio * (1 + tolerance);
}

/** `spin jobs=8`: a ratio's point, for notes; the cpus too when `cpus` says several ran. */
export function describeRatioPoint(r: ModeRatio, severalCpus: boolean): string {
  return `${r.lock} jobs=${r.jobs}${severalCpus ? ` cpus=${r.cpus}` : ''}`;
}

/**
 * mq IOPS against sq IOPS for every (lock, cpus, jobs, iodepth) that has both modes, with the
 * ratio's interval and verdict at `level` (ratios.ts): one small table per (lock, cpus,
 * iodepth), under a title line naming them, sorted by jobs; `wide` adds each ratio's
 * worst..best range. Returns `''` when no run has a partner.
 */
export function renderModeRatios(runs: readonly RunResult[], level: number, wide = false): string {
  const groups = ratioGroups(modeRatios(runs, level));
  return groups
    .map((group) => {
      const { lock, cpus, iodepth, rounds } = group[0]!;
      const columns: Column<ModeRatio>[] = [
        { header: 'jobs', align: 'right', cell: (r) => String(r.jobs) },
        { header: 'sq IOPS', align: 'right', cell: (r) => formatCount(r.sqIops) },
        { header: 'mq IOPS', align: 'right', cell: (r) => formatCount(r.mqIops) },
        { header: `mq/sq [${formatLevel(level)} interval]`, align: 'left', cell: (r) => formatInterval(r) },
      ];
      if (wide) {
        const range = (r: ModeRatio): string => `${formatRatio(r.min)}..${formatRatio(r.max)}`;
        columns.push({ header: 'worst..best', align: 'right', cell: range });
      }
      const paired = plural(rounds, 'paired round');
      return `mq/sq, lock ${lock}, ${cpus} cpus, iodepth ${iodepth}, ${paired}\n${renderColumns(columns, group)}`;
    })
    .join('\n');
}
