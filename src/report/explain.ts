/**
 * --explain's answer: how much each change from one shared queue under one lock to a queue per
 * vCPU with several IO threads changes IOPS, for each lock kind, from the designs that
 * src/main-thread/explain.ts runs:
 *   the lock          sq L -> sq none                 one queue, with and without its lock
 *   queue+lock per vCPU  sq none -> mq L, 1 IO thread  a ring, and its lock L, per vCPU; one IO thread
 *   more IO threads   mq L, 1 -> mq L, N              the IO threads mq has
 * The three ratios (of median IOPS) multiply to the fourth line, mq/sq, exactly. Each ratio's
 * range runs from its worst pairing of the two designs' runs to its best, as the mq/sq tables'.
 */
import type { ExplainStep, RunResult } from './result.js';

export type { ExplainStep } from './result.js';
import { ratioRange } from './spread.js';
import { groupBy, renderColumns, runKey, type Column } from './table.js';
import { formatCount, formatRatio, safeDivide } from './format.js';

/** A design's name in the explanation: `sq spin`, `mq spin iothreads=2`. */
function designName(run: RunResult): string {
  return run.mode === 'mq' ? `mq ${run.lock} iothreads=${run.iothreads}` : `${run.mode} ${run.lock}`;
}

function step(name: string, from: RunResult, to: RunResult): ExplainStep {
  const { min, max } = ratioRange(from, to);
  return {
    lock: to.lock === 'none' ? from.lock : to.lock,
    cpus: from.cpus,
    jobs: from.jobs,
    iodepth: from.iodepth,
    step: name,
    from: designName(from),
    to: designName(to),
    ratio: safeDivide(to.iops, from.iops),
    min,
    max,
  };
}

/**
 * The steps of every lock kind, cpus and iodepth whose four designs (three when mq has one IO
 * thread) all ran; [] when none did.
 */
export function explainSteps(runs: readonly RunResult[]): ExplainStep[] {
  const groups = groupBy(runs, (run) => runKey(run, ['cpus', 'jobs', 'iodepth']));
  return [...groups.values()].flatMap((group) => {
    const lockFree = group.find((run) => run.mode === 'sq' && run.lock === 'none');
    if (lockFree === undefined) return [];
    const locks = [...new Set(group.map((run) => run.lock).filter((lock) => lock !== 'none'))];
    return locks.flatMap((lock) => {
      const sq = group.find((run) => run.mode === 'sq' && run.lock === lock);
      const mqs = group.filter((run) => run.mode === 'mq' && run.lock === lock);
      const one = mqs.find((run) => run.iothreads === 1);
      const many = mqs.reduce<RunResult | undefined>((a, b) =>
        a === undefined || b.iothreads > a.iothreads ? b : a, one);
      if (sq === undefined || one === undefined || many === undefined) return [];
      return [
        step('the lock', sq, lockFree),
        step('queue+lock per vCPU', lockFree, one),
        step('more IO threads', one, many),
        step('mq/sq', sq, many),
      ];
    });
  });
}

const STEP_COLUMNS: readonly Column<{ step: ExplainStep; runs: Map<string, RunResult> }>[] = [
  { header: 'step', align: 'left', cell: ({ step: s }) => s.step },
  { header: 'from', align: 'left', cell: ({ step: s }) => s.from },
  { header: 'to', align: 'left', cell: ({ step: s }) => s.to },
  { header: 'IOPS from', align: 'right', cell: ({ step: s, runs }) => formatCount(runs.get(s.from)?.iops ?? NaN) },
  { header: 'IOPS to', align: 'right', cell: ({ step: s, runs }) => formatCount(runs.get(s.to)?.iops ?? NaN) },
  { header: 'ratio', align: 'right', cell: ({ step: s }) => formatRatio(s.ratio) },
  { header: 'worst..best', align: 'right', cell: ({ step: s }) => `${formatRatio(s.min)}..${formatRatio(s.max)}` },
];

/**
 * The explanation as text: a table per lock kind (and cpus), the three steps and their product;
 * '' when the runs hold no complete set of designs.
 */
export function renderExplain(runs: readonly RunResult[]): string {
  const steps = explainSteps(runs);
  if (steps.length === 0) return '';
  const byGroup = groupBy(steps, (s) => `${s.lock} ${s.cpus} ${s.jobs} ${s.iodepth}`);
  return [...byGroup.values()]
    .map((group) => {
      const { lock, cpus, jobs, iodepth } = group[0]!;
      const mine = runs.filter((run) => run.cpus === cpus && run.jobs === jobs && run.iodepth === iodepth);
      const named = new Map(mine.map((run) => [designName(run), run]));
      const repeats = Math.max(...mine.map((run) => run.repeats));
      const title =
        `explain: lock ${lock}, ${cpus} cpus, ${jobs} jobs, iodepth ${iodepth}: ` +
        `median IOPS of ${repeats} interleaved run${repeats === 1 ? '' : 's'} per design; ` +
        'the three steps multiply to mq/sq\n';
      return title + renderColumns(STEP_COLUMNS, group.map((s) => ({ step: s, runs: named })));
    })
    .join('\n');
}
