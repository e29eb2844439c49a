/**
 * Text tables of bench runs: the full per-run table, the mq/sq ratio tables and
 * a one-line summary for progress output. Also the pieces the other report modules
 * reuse: the run key all matching goes through ({@link runKey}, {@link firstByKey},
 * {@link groupBy}) and the table renderer: aligned columns ({@link renderAligned}), or Markdown
 * ({@link renderMarkdownTable}) with the same headers, rows and alignments.
 */
import type { LockFigures, RunResult } from './result.js';
import { cpuPerRequest, describeBusiest, perRole, wholePercent } from './threads.js';
import { latencyAt } from './latency.js';
import { iopsOf, p99Of, rangeOf } from './spread.js';
import {
  MISSING,
  formatBytesPerSec,
  formatCount,
  formatDecimal,
  formatNs,
  formatPercent,
  safeDivide,
} from './format.js';

/** Fields of a run that identify a point of the sweep. */
export type RunKeyField = 'mode' | 'lock' | 'cpus' | 'jobs' | 'iodepth' | 'iothreads';

/**
 * The key runs are matched on: equal keys = the same point of the sweep as far as `fields` go.
 * Every matching (mode ratios, compare, chart series) goes through this one function.
 */
export function runKey(run: RunResult, fields: readonly RunKeyField[]): string {
  return fields.map((field) => `${field}=${run[field]}`).join(' ');
}

/** The first run of every key over `fields`, in order of first appearance. */
export function firstByKey(runs: readonly RunResult[], fields: readonly RunKeyField[]): Map<string, RunResult> {
  const byKey = new Map<string, RunResult>();
  for (const run of runs) {
    const key = runKey(run, fields);
    if (!byKey.has(key)) byKey.set(key, run);
  }
  return byKey;
}

/** Groups items by a key, keeping first-appearance order of keys and items. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

/** How a column's cells line up. */
export type Align = 'left' | 'right';

/** One column of a text table: a header and how to render a row's cell. */
export interface Column<Row> {
  header: string;
  align: Align;
  cell(row: Row): string;
}

/**
 * Renders rows as aligned columns under a header line, two spaces between columns,
 * no trailing spaces, a newline after every line.
 */
export function renderAligned(headers: readonly string[], rows: readonly string[][], aligns: readonly Align[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (aligns[i] === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [headers, ...rows].map((cells) => `${line(cells)}\n`).join('');
}

/**
 * The same table in Markdown (for the generated docs/results/README.md): a header row, the
 * alignment row, the rows; cells are not padded, since Markdown aligns them itself.
 */
export function renderMarkdownTable(
  headers: readonly string[],
  rows: readonly string[][],
  aligns: readonly Align[],
): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(aligns.map((a) => (a === 'right' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

/** Renders `rows` through `columns` with {@link renderAligned}. */
export function renderColumns<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  return renderAligned(
    columns.map((column) => column.header),
    rows.map((row) => columns.map((column) => column.cell(row))),
    columns.map((column) => column.align),
  );
}

/** A run's lock figures summed over all its locks (`waitNsMax` is the max over them). */
interface LockTotals extends Omit<LockFigures, 'name'> {
  /** How many locks the run had: 0 for `lock none`. */
  locks: number;
}

/** Sums the lock figures of one run. */
export function sumLockFigures(locks: readonly LockFigures[]): LockTotals {
  const totals: LockTotals = {
    locks: locks.length,
    acquisitions: 0,
    contentions: 0,
    waitNsTotal: 0,
    waitNsMax: 0,
    spins: 0,
    parks: 0,
  };
  for (const lock of locks) {
    totals.acquisitions += lock.acquisitions;
    totals.contentions += lock.contentions;
    totals.waitNsTotal += lock.waitNsTotal;
    totals.waitNsMax = Math.max(totals.waitNsMax, lock.waitNsMax);
    totals.spins += lock.spins;
    totals.parks += lock.parks;
  }
  return totals;
}

/** Share of acquisitions that had to wait; NaN without acquisitions. */
function contentionRatio(totals: LockTotals): number {
  return safeDivide(totals.contentions, totals.acquisitions);
}

/** Mean wait of a contended acquisition, ns; NaN without contentions. */
function averageWaitNs(totals: LockTotals): number {
  return safeDivide(totals.waitNsTotal, totals.contentions);
}

/** A run with its lock totals computed once. */
interface RunRow {
  run: RunResult;
  locks: LockTotals;
}

/** A lock column's cell: {@link MISSING} when the run has no locks. */
function lockCell(render: (totals: LockTotals) => string): (row: RunRow) => string {
  return (row) => (row.locks.locks === 0 ? MISSING : render(row.locks));
}

const RUN_COLUMNS: readonly Column<RunRow>[] = [
  { header: 'mode', align: 'left', cell: ({ run }) => run.mode },
  { header: 'lock', align: 'left', cell: ({ run }) => run.lock },
  { header: 'cpus', align: 'right', cell: ({ run }) => String(run.cpus) },
  { header: 'jobs', align: 'right', cell: ({ run }) => String(run.jobs) },
  { header: 'iodepth', align: 'right', cell: ({ run }) => String(run.iodepth) },
  { header: 'iothreads', align: 'right', cell: ({ run }) => String(run.iothreads) },
  { header: 'devices', align: 'right', cell: ({ run }) => String(run.deviceThreads) },
  { header: 'IOPS', align: 'right', cell: ({ run }) => formatCount(run.iops) },
  { header: 'BW', align: 'right', cell: ({ run }) => formatBytesPerSec(run.bwBytesPerSec) },
  { header: 'slat p50', align: 'right', cell: ({ run }) => formatNs(latencyAt(run.slatNs, 50)) },
  { header: 'slat p99', align: 'right', cell: ({ run }) => formatNs(latencyAt(run.slatNs, 99)) },
  { header: 'clat p50', align: 'right', cell: ({ run }) => formatNs(latencyAt(run.clatNs, 50)) },
  { header: 'clat p99', align: 'right', cell: ({ run }) => formatNs(latencyAt(run.clatNs, 99)) },
  { header: 'lat p50', align: 'right', cell: ({ run }) => formatNs(latencyAt(run.latNs, 50)) },
  { header: 'lat p99', align: 'right', cell: ({ run }) => formatNs(latencyAt(run.latNs, 99)) },
  { header: 'p99.9', align: 'right', cell: ({ run }) => formatNs(latencyAt(run.latNs, 99.9)) },
  { header: 'max', align: 'right', cell: ({ run }) => formatNs(run.latNs.max) },
  { header: 'fairness', align: 'right', cell: ({ run }) => formatDecimal(run.fairness, 3) },
  { header: 'contention', align: 'right', cell: lockCell((t) => formatPercent(contentionRatio(t))) },
  { header: 'avg wait', align: 'right', cell: lockCell((t) => formatNs(averageWaitNs(t))) },
  { header: 'max wait', align: 'right', cell: lockCell((t) => formatNs(t.waitNsMax)) },
  { header: 'spins', align: 'right', cell: lockCell((t) => formatCount(t.spins)) },
  { header: 'parks', align: 'right', cell: lockCell((t) => formatCount(t.parks)) },
  { header: 'cpu/req v/io/dev', align: 'right', cell: ({ run }) => perRole(run, cpuPerRequest) },
  { header: 'util v/io/dev', align: 'right', cell: ({ run }) => perRole(run, (r) => wholePercent(r.utilisation)) },
  { header: 'runq v/io/dev', align: 'right', cell: ({ run }) => perRole(run, (r) => wholePercent(r.runqueue)) },
  { header: 'busiest', align: 'left', cell: ({ run }) => describeBusiest(run) },
  { header: 'csw vol', align: 'right', cell: ({ run }) => formatCount(run.voluntaryContextSwitches) },
  { header: 'csw invol', align: 'right', cell: ({ run }) => formatCount(run.involuntaryContextSwitches) },
];

/**
 * The full table: a header line and one row per run, in the order given.
 * Lock columns are summed over the run's locks (contention = contentions / acquisitions,
 * avg wait = wait time / contentions) and show `-` for `lock none` or when undefined.
 */
export function renderRunTable(runs: readonly RunResult[]): string {
  const columns = runs.some((run) => run.samples !== undefined) ? withSpreadColumns(RUN_COLUMNS) : RUN_COLUMNS;
  return renderColumns(
    columns,
    runs.map((run) => ({ run, locks: sumLockFigures(run.locks) })),
  );
}

/** `421k..470k`: the range of a figure over a point's runs. */
function rangeCell(run: RunResult, figure: (sample: RunResult) => number, format: (value: number) => string): string {
  const { min, max } = rangeOf(run, figure);
  return `${format(min)}..${format(max)}`;
}

/** The run columns with the range of IOPS and of p99 over each point's runs after them. */
function withSpreadColumns(columns: readonly Column<RunRow>[]): Column<RunRow>[] {
  return columns.flatMap((column): Column<RunRow>[] => {
    if (column.header === 'IOPS') return [column, IOPS_RANGE];
    if (column.header === 'lat p99') {
      const range: Column<RunRow> = {
        header: 'min..max',
        align: 'right',
        cell: ({ run }) => rangeCell(run, p99Of, formatNs),
      };
      return [column, range];
    }
    return [column];
  });
}

/**
 * The default output's table: one row per point in at most 100 columns (mode, lock, jobs, IOPS
 * with its range over the point's runs, lat p50 and p99, lock contention, the longest lock wait,
 * and the busiest thread), one table per core count. `--output wide` prints renderRunTable's every column instead.
 */
export function renderPointTable(runs: readonly RunResult[]): string {
  const keep = ['mode', 'lock', 'jobs', 'IOPS', 'contention', 'max wait', 'busiest'];
  const repeated = runs.some((run) => run.samples !== undefined);
  const columns = RUN_COLUMNS.filter((column) => keep.includes(column.header)).flatMap((column) =>
    column.header === 'IOPS' ? [column, ...(repeated ? [IOPS_RANGE] : []), LAT_P50_P99] : [column],
  );
  // One table per core count (--cpus), under its own line, rather than a column: 100 columns are few.
  const byCpus = groupBy(runs, (run) => String(run.cpus));
  return [...byCpus.entries()]
    .map(([cpus, group]) => {
      const table = renderColumns(
        columns,
        group.map((run) => ({ run, locks: sumLockFigures(run.locks) })),
      );
      return byCpus.size === 1 ? table : `${cpus} cpus:\n${table}`;
    })
    .join('\n');
}

/** lat p50 and p99 in one cell: `27.8us/3.2ms`. */
const LAT_P50_P99: Column<RunRow> = {
  header: 'lat p50/p99',
  align: 'right',
  cell: ({ run }) => `${formatNs(latencyAt(run.latNs, 50))}/${formatNs(latencyAt(run.latNs, 99))}`,
};

/** A point's IOPS from its slowest run to its fastest. */
const IOPS_RANGE: Column<RunRow> = {
  header: 'min..max',
  align: 'right',
  cell: ({ run }) => rangeCell(run, iopsOf, formatCount),
};

/** A one-line summary of a run, for progress output, within 100 columns (no trailing newline). */
export function renderRunLine(run: RunResult): string {
  const totals = sumLockFigures(run.locks);
  const contention = totals.locks === 0 ? '' : `  contention ${formatPercent(contentionRatio(totals))}`;
  return (
    `${run.mode} lock=${run.lock} cpus=${run.cpus} jobs=${run.jobs} iodepth=${run.iodepth}: ` +
    `${formatCount(run.iops)} IOPS  ` +
    `p99 ${formatNs(latencyAt(run.latNs, 99))}  fairness ${formatDecimal(run.fairness, 3)}${contention}`
  );
}
