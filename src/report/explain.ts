/**
 * --explain's answer: how much each change from one shared queue under one lock to a queue per
 * vCPU with several IO threads changes IOPS, for each lock kind, from the designs that
 * src/main-thread/explain.ts runs, and why, from the runs' own accounting.
 *
 * The chain, two steps whose ratios multiply to mq/sq:
 *   a queue per vCPU   sq L -> mq L, 1 IO thread   a ring, and its lock L, per vCPU, drained by
 *                                                  one IO thread (QEMU's default shape since 5.2)
 *   more IO threads    mq L, 1 -> mq L, N          the IO threads mq has
 * Beside it, not a factor, the counterfactual `one queue without its lock` (sq L -> sq none):
 * would removing the lock alone have saved one queue?
 *
 * Every ratio comes with its confidence interval and verdict (ratios.ts pairedStep): the designs
 * run interleaved, once each per round, so round i of one design is paired with round i of the
 * other. The ratio is the geometric mean of the per-round ratios, so the two steps' ratios
 * multiply to mq/sq's exactly (their per-round logarithms add up).
 *
 * The "why" (explainWhy) is at most four sentences per lock kind, each built from figures of the
 * same runs (roleAccounting: schedstat CPU time and the wait account, per request) and printed
 * only when those figures support it; every number it prints is kept, unformatted, in the
 * JSON's `explainWhy[].figures`.
 */
import type { ExplainStep, ExplainWhy, RunResult } from './result.js';
import { pairedStep } from './ratios.js';
import { ratioRange } from './spread.js';
import { groupBy, renderColumns, runKey, type Column } from './table.js';
import {
  formatCount,
  formatNs,
  formatPercent,
  formatRatio as formatTimes,
  OUTPUT_WIDTH,
  plural,
  wrapText,
} from './format.js';
import { formatLevel, formatRatio as formatInterval } from './confidence.js';
import { roleAccounting, type RoleAccounting } from './accounting.js';

export type { ExplainStep, ExplainWhy } from './result.js';

/** A design's name in the explanation: `sq spin`, `mq spin iothreads=2`. */
function designName(run: RunResult): string {
  return run.mode === 'mq' ? `mq ${run.lock} iothreads=${run.iothreads}` : `${run.mode} ${run.lock}`;
}

function step(name: string, from: RunResult, to: RunResult, level: number, counterfactual = false): ExplainStep {
  const { min, max } = ratioRange(from, to);
  return {
    lock: to.lock === 'none' ? from.lock : to.lock,
    cpus: from.cpus,
    jobs: from.jobs,
    iodepth: from.iodepth,
    step: name,
    from: designName(from),
    to: designName(to),
    ...pairedStep(from, to, level),
    min,
    max,
    ...(counterfactual ? { counterfactual: true as const } : {}),
  };
}

/** The designs of one lock kind at one point: sq L, sq none, mq L with one IO thread, mq L. */
interface Designs {
  lock: string;
  sq: RunResult;
  lockFree: RunResult;
  one: RunResult;
  many: RunResult;
}

/** Every lock kind's designs, at each cpus, jobs and iodepth where all of them ran. */
function designSets(runs: readonly RunResult[]): Designs[] {
  const groups = groupBy(runs, (run) => runKey(run, ['cpus', 'jobs', 'iodepth']));
  return [...groups.values()].flatMap((group) => {
    const lockFree = group.find((run) => run.mode === 'sq' && run.lock === 'none');
    if (lockFree === undefined) return [];
    const locks = [...new Set(group.map((run) => run.lock).filter((lock) => lock !== 'none'))];
    return locks.flatMap((lock) => {
      const sq = group.find((run) => run.mode === 'sq' && run.lock === lock);
      const mqs = group.filter((run) => run.mode === 'mq' && run.lock === lock);
      const one = mqs.find((run) => run.iothreads === 1);
      const more = (a: RunResult | undefined, b: RunResult): RunResult =>
        a === undefined || b.iothreads > a.iothreads ? b : a;
      const many = mqs.reduce<RunResult | undefined>(more, one);
      if (sq === undefined || one === undefined || many === undefined) return [];
      return [{ lock, sq, lockFree, one, many }];
    });
  });
}

/**
 * The steps of every lock kind, cpus and iodepth whose designs all ran (three when mq has one
 * IO thread: its second step is then 1x): the chain, mq/sq, then the counterfactual; [] when
 * none did.
 */
export function explainSteps(runs: readonly RunResult[], level: number): ExplainStep[] {
  return designSets(runs).flatMap(({ sq, lockFree, one, many }) => [
    step('a queue per vCPU', sq, one, level),
    step('more IO threads', one, many, level),
    step('mq/sq', sq, many, level),
    step('one queue without its lock', sq, lockFree, level, true),
  ]);
}

/** Wake-ups of every role per request reaped: how often some thread of the run was woken. */
function wakeupsPerRequest(roles: readonly RoleAccounting[]): number {
  const reaped = roles.find((r) => r.role === 'vcpu')?.requests ?? 0;
  return reaped === 0 ? NaN : roles.reduce((total, r) => total + r.wakeups * r.requests, 0) / reaped;
}

/** Of the machine's cores, how many the run's threads kept busy on average over their windows. */
function busyCores(run: RunResult): number {
  const threads = run.threads ?? [];
  const windowNs = Math.max(...threads.map((t) => t.windowNs));
  return threads.length === 0 || !(windowNs > 0) ? NaN : threads.reduce((s, t) => s + t.cpuNs, 0) / windowNs;
}

const finite = (...values: number[]): boolean => values.every(Number.isFinite);

/**
 * Why, for each lock kind's designs: at most four sentences from the runs' accounting, each
 * printed only when its figures support it, and the figures themselves.
 */
export function explainWhy(runs: readonly RunResult[]): ExplainWhy[] {
  return designSets(runs).flatMap(({ lock, sq, one, many }) => {
    const sqRoles = roleAccounting(sq);
    const manyRoles = roleAccounting(many);
    if (sqRoles === null || manyRoles === null) return [];
    const vcpu = (roles: readonly RoleAccounting[]): RoleAccounting => roles.find((r) => r.role === 'vcpu')!;
    const io = (roles: readonly RoleAccounting[]): RoleAccounting => roles.find((r) => r.role === 'iothread')!;
    const figures: Record<string, number> = {};
    const lines: string[] = [];
    // 1. The shared lock: printed only when one queue's vCPUs spin more per request than mq's.
    const [sv, mv] = [vcpu(sqRoles), vcpu(manyRoles)];
    if (finite(sv.spinNs, sv.cpuNs, mv.spinNs, mv.cpuNs) && sv.cpuNs > 0 && mv.cpuNs > 0 && sv.spinNs > mv.spinNs) {
      Object.assign(figures, {
        sqVcpuSpinNs: sv.spinNs,
        sqVcpuCpuNs: sv.cpuNs,
        sqVcpuSpinShare: sv.spinNs / sv.cpuNs,
        mqVcpuSpinNs: mv.spinNs,
        mqVcpuCpuNs: mv.cpuNs,
        mqVcpuSpinShare: mv.spinNs / mv.cpuNs,
      });
      const largest = sv.spinNs > Math.max(sv.pollNs, sv.notifyNs, sv.restNs) ? ', more than on anything else' : '';
      lines.push(
        `one queue's vCPUs spent ${formatNs(sv.spinNs)} of their ${formatNs(sv.cpuNs)} CPU per request ` +
          `(${formatPercent(sv.spinNs / sv.cpuNs, 0)}) spinning on the shared ${lock} lock${largest}; ` +
          `with a queue per vCPU, ${formatNs(mv.spinNs)} of ${formatNs(mv.cpuNs)} ` +
          `(${formatPercent(mv.spinNs / mv.cpuNs, 0)})`,
      );
    }
    // 2. The IO thread's CPU per request in each design.
    const [si, mi] = [io(sqRoles), io(manyRoles)];
    if (finite(si.cpuNs, mi.cpuNs)) {
      Object.assign(figures, { sqIothreadCpuNs: si.cpuNs, mqIothreadCpuNs: mi.cpuNs, mqIothreads: many.iothreads });
      lines.push(
        `IO thread CPU per request: ${formatNs(si.cpuNs)} with one queue, ${formatNs(mi.cpuNs)} with a queue ` +
          `per vCPU and ${plural(many.iothreads, 'IO thread')}`,
      );
    }
    // 3. Wake-ups per request, every role together.
    const [sw, mw] = [wakeupsPerRequest(sqRoles), wakeupsPerRequest(manyRoles)];
    if (finite(sw, mw)) {
      Object.assign(figures, { sqWakeupsPerRequest: sw, mqWakeupsPerRequest: mw });
      lines.push(`wake-ups per request: ${sw.toFixed(2)} with one queue, ${mw.toFixed(2)} with a queue per vCPU`);
    }
    // 4. Whether more IO threads had idle CPU to use: the cores the one-IO-thread design left idle.
    const busy = busyCores(one);
    if (many.iothreads > 1 && finite(busy)) {
      const idle = Math.max(0, one.cpus - busy);
      Object.assign(figures, { oneIothreadBusyCores: busy, oneIothreadIdleCores: idle, cpus: one.cpus });
      lines.push(
        `with one IO thread the threads kept ${busy.toFixed(2)} of the ${one.cpus} cores busy, so more IO threads ` +
          `had ${idle.toFixed(2)} cores of idle CPU to use`,
      );
    }
    return [{ lock, cpus: sq.cpus, jobs: sq.jobs, iodepth: sq.iodepth, lines: lines.slice(0, 4), figures }];
  });
}

interface StepRow {
  step: ExplainStep;
  runs: Map<string, RunResult>;
}

const STEP_COLUMNS: readonly Column<StepRow>[] = [
  { header: 'step', align: 'left', cell: ({ step: s }) => (s.counterfactual === true ? `(${s.step})` : s.step) },
  {
    header: 'IOPS',
    align: 'right',
    cell: ({ step: s, runs }) =>
      `${formatCount(runs.get(s.from)?.iops ?? NaN)} -> ${formatCount(runs.get(s.to)?.iops ?? NaN)}`,
  },
  { header: 'ratio [interval] verdict', align: 'left', cell: ({ step: s }) => formatInterval(s) },
];

/** With --output wide: the designs each step goes between (the default output names them in a legend). */
const DESIGNS_COLUMN: Column<StepRow> = {
  header: 'from -> to',
  align: 'left',
  cell: ({ step: s }) => `${s.from} -> ${s.to}`,
};

/** With --output wide: each step's worst..best range too. */
const RANGE_COLUMN: Column<StepRow> = {
  header: 'worst..best',
  align: 'right',
  cell: ({ step: s }) => `${formatTimes(s.min)}..${formatTimes(s.max)}`,
};

/**
 * The explanation as text: a table per lock kind (and cpus): the two steps, their product, and
 * the counterfactual in parentheses, then the why lines; '' when the runs hold no complete set
 * of designs.
 */
export function renderExplain(runs: readonly RunResult[], level: number, wide = false): string {
  const steps = explainSteps(runs, level);
  if (steps.length === 0) return '';
  const whys = explainWhy(runs);
  const columns = wide ? [STEP_COLUMNS[0]!, DESIGNS_COLUMN, ...STEP_COLUMNS.slice(1), RANGE_COLUMN] : STEP_COLUMNS;
  const byGroup = groupBy(steps, (s) => `${s.lock} ${s.cpus} ${s.jobs} ${s.iodepth}`);
  return [...byGroup.values()]
    .map((group) => {
      const { lock, cpus, jobs, iodepth, rounds } = group[0]!;
      const mine = runs.filter((run) => run.cpus === cpus && run.jobs === jobs && run.iodepth === iodepth);
      const named = new Map(mine.map((run) => [designName(run), run]));
      const many = group.find((s) => s.step === 'mq/sq')?.to ?? `mq ${lock}`;
      const title =
        `explain: lock ${lock}, ${cpus} cpus, ${jobs} jobs, iodepth ${iodepth}, ${plural(rounds, 'paired round')}, ` +
        `${formatLevel(level)} intervals\n` +
        `${wrapText(
          `sq ${lock} -> mq ${lock} iothreads=1 -> ${many}: the two steps multiply to mq/sq; the step in ` +
            `parentheses (sq ${lock} -> sq none) is beside the chain, not in it`,
          OUTPUT_WIDTH,
        )}\n`;
      const why = whys.find((w) => w.lock === lock && w.cpus === cpus && w.jobs === jobs && w.iodepth === iodepth);
      const whyLines = why?.lines.map((l) => `${wrapText(`  ${l}`, OUTPUT_WIDTH, '    ')}\n`) ?? [];
      const whyText = whyLines.length === 0 ? '' : `why:\n${whyLines.join('')}`;
      return title + renderColumns(columns, group.map((s) => ({ step: s, runs: named }))) + whyText;
    })
    .join('\n');
}
