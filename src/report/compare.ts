/**
 * Side-by-side IOPS of several result files, the body of `npm run compare`.
 */
import type { ResultFile, RunResult } from './result.js';
import { LOCK_CHOICES, MODES } from '../protocol/options.js';
import { MISSING, formatCount, formatRatio, safeDivide } from './format.js';
import { firstByKey, renderAligned, runKey, type Align, type RunKeyField } from './table.js';
import { renderSettings, settingsDifferences } from './settings.js';
import { describeMachine } from './machine.js';

/** A result file with the name it goes by in the output (usually its path). */
export interface LabelledResultFile {
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

/** The IOPS cells of a row, then each column's ratio to the first. */
function renderRowCells(run: RunResult, columns: readonly CompareColumn[]): string[] {
  const key = runKey(run, MATCH_FIELDS);
  const iops = columns.map((column) => column.runsByKey.get(key)?.iops);
  const first = iops[0];
  const ratios = iops
    .slice(1)
    .map((value) => (value === undefined || first === undefined ? MISSING : formatRatio(safeDivide(value, first))));
  return [
    run.mode,
    run.lock,
    String(run.iodepth),
    String(run.jobs),
    ...iops.map((v) => (v === undefined ? MISSING : formatCount(v))),
    ...ratios,
  ];
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
export function machineNotes(files: readonly LabelledResultFile[]): string {
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
 * a ratio column `#n/#1` follows for every column after the first.
 * A header lists each column's file and machine (cpus, CPU model, Node version), then the
 * runs' settings (each file's, when they differ: the caller decides whether to allow that, see
 * {@link mixedSettings}).
 * Cells without a matching run show `-`. When a file holds several runs with the same
 * key and cpus (e.g. different iothreads), the first one counts.
 */
export function compareResults(files: readonly LabelledResultFile[]): string {
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
  const rows = rowRuns(columns).map((run) => renderRowCells(run, columns));
  const header = `${renderHeader(columns)}${machineNotes(files)}${renderSettingsLines(files)}`;
  return `${header}\n${renderAligned(headers, rows, aligns)}`;
}
