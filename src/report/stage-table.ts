/**
 * The stage table: each run's lat split into the stages of src/protocol/stages.ts, each stage's
 * mean and p99, with the legend of what each stage stands for. The means add up to lat's mean.
 */
import { STAGES, STAGE_MEANINGS } from '../protocol/stages.js';
import type { RunResult, StageFigures } from './result.js';
import { renderColumns, type Column } from './table.js';
import { formatDecimal, formatNs, MISSING } from './format.js';
import { kicksAndInterrupts } from './accounting.js';

/** `1.2us/8.0us`: a stage's mean and p99. */
function stageCell(stage: StageFigures | undefined): string {
  return stage === undefined ? '-' : `${formatNs(stage.meanNs)}/${formatNs(stage.p99Ns)}`;
}

const STAGE_COLUMNS: readonly Column<RunResult>[] = [
  { header: 'mode', align: 'left', cell: (run) => run.mode },
  { header: 'lock', align: 'left', cell: (run) => run.lock },
  { header: 'cpus', align: 'right', cell: (run) => String(run.cpus) },
  { header: 'jobs', align: 'right', cell: (run) => String(run.jobs) },
  ...STAGES.map(
    (name): Column<RunResult> => ({
      header: name,
      align: 'right',
      cell: (run) => stageCell(run.stages?.find((stage) => stage.name === name)),
    }),
  ),
  {
    header: 'lat mean',
    align: 'right',
    cell: (run) => formatNs(run.latencyTotals.latNs / Math.max(1, run.latencyTotals.requests)),
  },
  { header: 'kicks/req', align: 'right', cell: (run) => perRequest(kicksAndInterrupts(run)?.kicks) },
  { header: 'irqs/req', align: 'right', cell: (run) => perRequest(kicksAndInterrupts(run)?.interrupts) },
];

/** A count per request reaped, or `-`. */
function perRequest(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? MISSING : formatDecimal(value, 2);
}

/** The stage table of the runs that have stages, with its legend; '' when none has. */
export function renderStageTable(runs: readonly RunResult[]): string {
  const staged = runs.filter((run) => run.stages !== null);
  if (staged.length === 0) return '';
  const legend = STAGES.map((name) => `  ${name.padEnd(9)}${STAGE_MEANINGS[name]}\n`).join('');
  const signals =
    '  kicks/req and irqs/req: wake-ups of a parked IO thread by the vCPUs (VM exits through the ioeventfd) and of ' +
    'a parked vCPU by a completion (injected interrupts), per request reaped\n';
  const table = renderColumns(STAGE_COLUMNS, staged);
  return `stages of lat, mean/p99 (the means add up to lat's mean):\n${table}${legend}${signals}`;
}
