/**
 * Side-by-side IOPS of several result files, the body of `npm run compare`: every column after
 * the first gets, per point, its ratio to the first with a confidence interval and a verdict,
 * from the rounds (`--repeat`) of that point in each file (Welch's unpaired t-interval on the
 * log IOPS, src/report/confidence.ts).
 */
import type { MachineInfo, ResultFile, RunResult } from './result.js';
import { LOCK_CHOICES, MODES } from '../protocol/options.js';
import { MISSING, formatCount, safeDivide } from './format.js';
import {
  DEFAULT_CONFIDENCE,
  formatLevel,
  formatRatio as formatInterval,
  unpairedRatio,
  type RatioInterval,
} from './confidence.js';
import { runsOf } from './spread.js';
import { firstByKey, renderAligned, runKey, type Align, type RunKeyField } from './table.js';
import { renderSettings, settingsDifferences } from './settings.js';
import { describeMachine } from './machine.js';

/** A result file with the name it goes by in the output (usually its path). */
interface LabelledResultFile {
  label: string;
  file: ResultFile;
}

/** Fields runs are matched on across files; `cpus` is not one: each cpus value is a column. */
const MATCH_FIELDS: readonly RunKeyField[] = ['mode', 'lock', 'jobs', 'iodepth'];

/** One IOPS column: the runs of one file at one cpus value, by {@link MATCH_FIELDS} key. */
interface CompareColumn {
  /** `#1`, `#2`, ... in file order then cpus order. */
  id: string;
  /** File label and cpus, e.g. `a.json 8cpu`. */
  label: string;
  source: LabelledResultFile;
  runsByKey: Map<string, RunResult>;
}

/** The distinct cpus values of a file's runs, ascending. */
function cpusValues(file: ResultFile): number[] {
  return [...new Set(file.runs.map((run) => run.cpus))].sort((a, b) => a - b);
}

/** One column per (file, cpus value), in file order, then ascending cpus. */
function buildColumns(files: readonly LabelledResultFile[]): CompareColumn[] {
  const pairs = files.flatMap((source) => cpusValues(source.file).map((cpus) => ({ source, cpus })));
  return pairs.map(({ source, cpus }, i) => ({
    id: `#${i + 1}`,
    label: `${source.label} ${cpus}cpu`,
    source,
    runsByKey: firstByKey(
      source.file.runs.filter((run) => run.cpus === cpus),
      MATCH_FIELDS,
    ),
  }));
}

/** Sorts runs the way the bench sweeps: mode, lock, iodepth, jobs. */
function compareRunOrder(a: RunResult, b: RunResult): number {
  return (
    MODES.indexOf(a.mode) - MODES.indexOf(b.mode) ||
    LOCK_CHOICES.indexOf(a.lock) - LOCK_CHOICES.indexOf(b.lock) ||
    a.iodepth - b.iodepth ||
    a.jobs - b.jobs
  );
}

/** One representative run per match key present in any column, in sweep order. */
function rowRuns(columns: readonly CompareColumn[]): RunResult[] {
  const byKey = new Map<string, RunResult>();
  for (const column of columns) {
    for (const [key, run] of column.runsByKey) if (!byKey.has(key)) byKey.set(key, run);
  }
  return [...byKey.values()].sort(compareRunOrder);
}

/** The header: each column's id, label and the machine its file was measured on. */
function renderHeader(columns: readonly CompareColumn[]): string {
  return renderAligned(
    ['column', 'file', 'machine'],
    columns.map(({ id, label, source: { file } }) => [id, label, describeMachine(file.machine)]),
    ['left', 'left', 'left'],
  );
}

/** The IOPS of each round of a point (`run.samples ?? [run]`), in the order they ran. */
export function roundIops(run: RunResult): number[] {
  return runsOf(run).map((sample) => sample.iops);
}

/** Whether every value is a finite number > 0, as a log ratio needs. */
function allPositive(values: readonly number[]): boolean {
  return values.every((value) => Number.isFinite(value) && value > 0);
}

/**
 * The plain ratio of two points' IOPS (NaN when a's is 0), with no interval and no `need`: for
 * rounds whose IOPS a log cannot take (a round that did nothing, IOPS 0).
 */
export function plainPointRatio(a: RunResult, b: RunResult, level: number, rounds: number): RatioInterval {
  return { ratio: safeDivide(b.iops, a.iops), ciLow: null, ciHigh: null, level, rounds, verdict: null };
}

/** b/a of IOPS from the two points' rounds, unpaired (different files: their rounds did not run side by side). */
function unpairedPointRatio(a: RunResult, b: RunResult, level: number): RatioInterval {
  const aRounds = roundIops(a);
  const bRounds = roundIops(b);
  if (!allPositive(aRounds) || !allPositive(bRounds)) {
    return plainPointRatio(a, b, level, Math.min(aRounds.length, bRounds.length));
  }
  return unpairedRatio(aRounds, bRounds, level);
}




/** One point of a column after the first, against the first column: the rows of `compare --json`. */
interface ComparePoint extends Omit<RatioInterval, 'ratio'> {
  mode: string;
  lock: string;
  iodepth: number;
  jobs: number;
  /** b's cpus (the point's core count in the column compared); {@link aCpus} is a's. */
  cpus: number;
  aCpus: number;
  /** The files' labels (as given on the command line). */
  a: string;
  b: string;
  /** Each side's IOPS (the point's median run). */
  aIops: number;
  bIops: number;
  /** b/a with its interval: exp(mean ln b - mean ln a) over the rounds; null when it is not a number. */
  ratio: number | null;
}

/** Every column's run of `row`'s point (undefined where the column has none). */
function runsOfRow(row: RunResult, columns: readonly CompareColumn[]): (RunResult | undefined)[] {
  const key = runKey(row, MATCH_FIELDS);
  return columns.map((column) => column.runsByKey.get(key));
}

/** The IOPS cells of a row, then each column's ratio to the first, with its interval and verdict. */
function renderRowCells(row: RunResult, columns: readonly CompareColumn[], level: number): string[] {
  const runs = runsOfRow(row, columns);
  const first = runs[0];
  const ratioTo = (run: RunResult | undefined): string =>
    run === undefined || first === undefined ? MISSING : formatInterval(unpairedPointRatio(first, run, level));
  const ratios = runs.slice(1).map(ratioTo);
  return [
    row.mode,
    row.lock,
    String(row.iodepth),
    String(row.jobs),
    ...runs.map((run) => (run === undefined ? MISSING : formatCount(run.iops))),
    ...ratios,
  ];
}

/**
 * Every point that the first column and a later one both have, against the first: one entry
 * per (row, later column), in row order then column order, with b/a, its interval and verdict.
 */
export function comparePoints(
  files: readonly LabelledResultFile[],
  level: number = DEFAULT_CONFIDENCE,
): ComparePoint[] {
  const columns = buildColumns(files);
  const [firstColumn, ...others] = columns;
  if (firstColumn === undefined) return [];
  return rowRuns(columns).flatMap((row) => {
    const key = runKey(row, MATCH_FIELDS);
    const a = firstColumn.runsByKey.get(key);
    if (a === undefined) return [];
    return others.flatMap((column) => {
      const b = column.runsByKey.get(key);
      if (b === undefined) return [];
      const { ratio, ...interval } = unpairedPointRatio(a, b, level);
      const point: ComparePoint = {
        mode: row.mode,
        lock: row.lock,
        iodepth: row.iodepth,
        jobs: row.jobs,
        cpus: b.cpus,
        aCpus: a.cpus,
        a: firstColumn.source.label,
        b: column.source.label,
        aIops: a.iops,
        bIops: b.iops,
        ratio: Number.isFinite(ratio) ? ratio : null,
        ...interval,
      };
      return [point];
    });
  });
}

/** What `compare --json` writes: the level, each file's machine, and {@link comparePoints}. */
interface CompareJson {
  kind: 'compare';
  level: number;
  method: string;
  files: { label: string; machine: MachineInfo }[];
  points: ComparePoint[];
}

/** The JSON of `compare --json`. */
export function compareJson(files: readonly LabelledResultFile[], level: number = DEFAULT_CONFIDENCE): CompareJson {
  return {
    kind: 'compare',
    level,
    method: "Welch's unpaired t-interval on the log IOPS of each point's rounds, mapped back with exp",
    files: files.map(({ label, file }) => ({ label, machine: file.machine })),
    points: comparePoints(files, level),
  };
}

/** How to read the ratio columns, after the table. */
function renderLegend(columns: readonly CompareColumn[], level: number): string {
  if (columns.length < 2) return '';
  const first = columns[0]!.id;
  return (
    `#n/${first}: the geometric mean of a point's rounds over ${first}'s (the IOPS columns are medians),\n` +
    `with its ${formatLevel(level)} confidence interval (Welch's t-interval on the log IOPS of each file's ` +
    'rounds)\nand a verdict: faster or slower when the interval lies wholly above or below 1x, ~ (no clear ' +
    'difference)\nwhen it holds 1x; a point that a file ran once has no interval (need >= 2 rounds: bench ' +
    '--repeat N)\n'
  );
}

/** The first run of any file whose settings differ from the first run's, and how; null when all agree. */
export function mixedSettings(files: readonly LabelledResultFile[]): string | null {
  const runs = files.flatMap(({ label, file }) => file.runs.map((run) => ({ label, run })));
  const first = runs[0];
  if (first === undefined) return null;
  for (const { label, run } of runs) {
    const differences = settingsDifferences(first.run.settings, run.settings);
    if (differences.length > 0) return `${first.label} and ${label} differ in ${differences.join(', ')}`;
  }
  return null;
}

/**
 * A line for each way the files' machines differ that changes the figures: Node's version, and
 * the machine itself (CPU model and count); empty when they agree.
 */
function machineNotes(files: readonly LabelledResultFile[]): string {
  const distinct = (key: (file: ResultFile) => string): string[] => [...new Set(files.map(({ file }) => key(file)))];
  const nodes = distinct((file) => file.machine.node);
  const machines = distinct((file) => `${file.machine.cpuModel}, ${file.machine.cpus} cpus`);
  const notes: string[] = [];
  if (nodes.length > 1) {
    notes.push(
      `note: the files come from different Node versions (${nodes.join(', ')}), which changes the figures too`,
    );
  }
  if (machines.length > 1) {
    notes.push('note: the files come from different machines: read each against its own wake-up cost (above)');
  }
  return notes.map((note) => `${note}\n`).join('');
}

/** The settings every run shares, or each file's when they differ. */
function renderSettingsLines(files: readonly LabelledResultFile[]): string {
  const withRuns = files.filter(({ file }) => file.runs.length > 0);
  if (mixedSettings(withRuns) === null) return withRuns.length === 0 ? '' : renderSettings(withRuns[0]!.file.runs);
  return withRuns.map(({ label, file }) => `${label} ${renderSettings(file.runs)}`).join('');
}

/**
 * The runs of several result files side by side, matched on (mode, lock, jobs, iodepth).
 *
 * Each (file, cpus value) is one IOPS column, headed `#1 <label> <cpus>cpu`, `#2 ...`;
 * a ratio column `#n/#1` follows for every column after the first: b/a with its confidence
 * interval at `level` and a verdict (`1.12x [0.95x..1.31x] ~`), from each point's rounds
 * (`run.samples ?? [run]`), unpaired; `1.20x (need >= 2 rounds)` when a file ran it once.
 * A legend after the table says how to read them.
 * A header lists each column's file and machine (cpus, CPU model, Node version), then the
 * runs' settings (each file's, when they differ: the caller decides whether to allow that, see
 * {@link mixedSettings}).
 * Cells without a matching run show `-`. When a file holds several runs with the same
 * key and cpus (e.g. different iothreads), the first one counts.
 */
export function compareResults(files: readonly LabelledResultFile[], level: number = DEFAULT_CONFIDENCE): string {
  const columns = buildColumns(files);
  if (columns.length === 0) return 'no runs to compare\n';
  const headers = [
    'mode',
    'lock',
    'iodepth',
    'jobs',
    ...columns.map((column) => `${column.id} ${column.label}`),
    ...columns.slice(1).map((column) => `${column.id}/${columns[0]!.id}`),
  ];
  const aligns: Align[] = headers.map((_, i) => (i < 2 ? 'left' : 'right'));
  const rows = rowRuns(columns).map((run) => renderRowCells(run, columns, level));
  const header = `${renderHeader(columns)}${machineNotes(files)}${renderSettingsLines(files)}`;
  const legend = renderLegend(columns, level);
  return `${header}\n${renderAligned(headers, rows, aligns)}${legend === '' ? '' : `\n${legend}`}`;
}
