/**
 * IOPS against fio jobs as a small ASCII chart for the terminal, plus the pieces
 * the SVG chart shares with it: series grouping, the y scale and x tick thinning.
 */
import type { RunResult } from './result.js';
import { formatTick } from './format.js';
import { groupBy, runKey, type RunKeyField } from './table.js';

/** One line of a chart: the runs of one (mode, lock, cpus), sorted by jobs. */
export interface Series {
  /** {@link runKey} of the series' fields. */
  key: string;
  /** Human-readable name, e.g. `mq spin, 8 cpus`. */
  label: string;
  runs: RunResult[];
}

/** Fields that make a series: every other field is expected to be fixed across a sweep. */
const SERIES_FIELDS: readonly RunKeyField[] = ['mode', 'lock', 'cpus'];

/** A series' label from any of its runs. */
function seriesLabel(run: RunResult): string {
  return `${run.mode} ${run.lock}, ${run.cpus} cpus`;
}

/**
 * Splits runs into chart series, one per (mode, lock, cpus), in order of first appearance;
 * the runs of each series are sorted by jobs.
 */
export function groupSeries(runs: readonly RunResult[]): Series[] {
  return [...groupBy(runs, (run) => runKey(run, SERIES_FIELDS))].map(([key, members]) => ({
    key,
    label: seriesLabel(members[0]!),
    runs: [...members].sort((a, b) => a.jobs - b.jobs),
  }));
}

/** A linear axis from 0 to `max`, with evenly spaced round tick values (`ticks[0]` = 0, last = `max`). */
export interface Scale {
  max: number;
  ticks: number[];
}

/** Step multipliers of a "nice" axis: 1, 2, 2.5 or 5 times a power of ten. */
const NICE_STEPS = [1, 2, 2.5, 5, 10];

/**
 * A 0-based axis covering `maxValue` in at most `intervals` round steps.
 * A max that is 0, negative or not finite gets the axis 0..1, so a chart of all-zero values still draws.
 */
export function niceScale(maxValue: number, intervals: number): Scale {
  const top = Number.isFinite(maxValue) && maxValue > 0 ? maxValue : 1;
  const rough = top / intervals;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = NICE_STEPS.map((m) => m * magnitude).find((s) => s >= rough * (1 - 1e-9)) ?? 10 * magnitude;
  const count = Math.max(1, Math.ceil(top / step - 1e-9));
  const ticks = Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { max: ticks[count]!, ticks };
}

/**
 * The values (ascending, distinct) to label on an axis, skipping any whose position
 * `position(value)` would fall closer than `minGap` to the previous label.
 */
export function spacedTicks(values: readonly number[], position: (value: number) => number, minGap: number): number[] {
  const kept: number[] = [];
  for (const value of values) {
    const last = kept[kept.length - 1];
    if (last === undefined || position(value) - position(last) >= minGap) kept.push(value);
  }
  return kept;
}

/** The distinct jobs values of `runs`, ascending. */
export function distinctJobs(runs: readonly RunResult[]): number[] {
  return [...new Set(runs.map((run) => run.jobs))].sort((a, b) => a - b);
}

/** Plot area of the terminal chart, in characters. */
const PLOT_WIDTH = 60;
const PLOT_HEIGHT = 13;
/** Y intervals of the terminal chart: with 13 rows, 4 intervals land on whole rows. */
const Y_INTERVALS = 4;
/** Marker of a cell where points of different series fall. */
const OVERLAP = '*';
const EMPTY = ' ';
const LINE = '.';
const MARKERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The marker letter of the series at `index` (letters repeat after 52 series). */
function markerFor(index: number): string {
  return MARKERS[index % MARKERS.length]!;
}

/** Maps jobs and IOPS to grid columns and rows. */
interface GridMapping {
  column(jobs: number): number;
  row(iops: number): number;
}

function gridMapping(runs: readonly RunResult[], scale: Scale): GridMapping {
  const jobs = runs.map((run) => run.jobs);
  const minJobs = Math.min(...jobs);
  const span = Math.max(...jobs) - minJobs;
  return {
    column: (j) =>
      span === 0 ? Math.floor((PLOT_WIDTH - 1) / 2) : Math.round(((j - minJobs) / span) * (PLOT_WIDTH - 1)),
    row: (iops) => {
      const row = Math.round((PLOT_HEIGHT - 1) * (1 - iops / scale.max));
      return Number.isFinite(row) ? Math.min(PLOT_HEIGHT - 1, Math.max(0, row)) : PLOT_HEIGHT - 1;
    },
  };
}

/** Dots between consecutive points of a series, on empty cells only. */
function drawLines(grid: string[][], series: Series, map: GridMapping): void {
  for (let i = 1; i < series.runs.length; i++) {
    const from = series.runs[i - 1]!;
    const to = series.runs[i]!;
    const c0 = map.column(from.jobs);
    const c1 = map.column(to.jobs);
    for (let c = c0 + 1; c < c1; c++) {
      const r = map.row(from.iops + ((to.iops - from.iops) * (c - c0)) / (c1 - c0));
      if (grid[r]![c] === EMPTY) grid[r]![c] = LINE;
    }
  }
}

/** Puts a series' markers on the grid; returns whether one landed on another series' marker. */
function drawMarkers(grid: string[][], series: Series, marker: string, map: GridMapping): boolean {
  let overlapped = false;
  for (const run of series.runs) {
    const row = grid[map.row(run.iops)]!;
    const c = map.column(run.jobs);
    const taken = row[c] !== EMPTY && row[c] !== LINE && row[c] !== marker;
    overlapped ||= taken;
    row[c] = taken ? OVERLAP : marker;
  }
  return overlapped;
}

/** The plot rows with the y axis and its labels in front. */
function yAxisLines(grid: string[][], scale: Scale, map: GridMapping): { lines: string[]; labelWidth: number } {
  const labels = new Map(scale.ticks.map((tick) => [map.row(tick), formatTick(tick)]));
  const labelWidth = Math.max(...[...labels.values()].map((label) => label.length));
  const lines = grid.map((cells, r) => {
    const label = labels.get(r);
    const axis = label === undefined ? `${''.padStart(labelWidth)} |` : `${label.padStart(labelWidth)} +`;
    return `${axis}${cells.join('')}`.trimEnd();
  });
  return { lines, labelWidth };
}

/** The x axis line, its jobs labels and its title, indented by the y labels. */
function xAxisLines(runs: readonly RunResult[], map: GridMapping, labelWidth: number): string[] {
  const indent = labelWidth + 2;
  const jobs = distinctJobs(runs);
  const widest = Math.max(...jobs.map((j) => String(j).length));
  const ticks = spacedTicks(jobs, map.column, widest + 1);
  const axis = [...'-'.repeat(PLOT_WIDTH)];
  const labels = [...' '.repeat(indent + PLOT_WIDTH + widest)];
  for (const j of ticks) {
    const c = map.column(j);
    axis[c] = '+';
    const text = String(j);
    const start = indent + c - Math.floor((text.length - 1) / 2);
    labels.splice(start, text.length, ...text);
  }
  const title = 'fio jobs (vCPUs)';
  return [
    `${''.padStart(labelWidth)} +${axis.join('')}`,
    labels.join('').trimEnd(),
    `${''.padStart(indent + Math.floor((PLOT_WIDTH - title.length) / 2))}${title}`,
  ];
}

/**
 * IOPS (y) against jobs (x) as an ASCII chart of about 60x15 characters plus a legend:
 * one marker letter per (mode, lock, cpus) series, dots between its points, `*` where
 * points of different series fall on the same cell. Returns `''` when there are no runs.
 */
export function renderTerminalChart(runs: readonly RunResult[]): string {
  if (runs.length === 0) return '';
  const series = groupSeries(runs);
  const scale = niceScale(Math.max(...runs.map((run) => run.iops)), Y_INTERVALS);
  const map = gridMapping(runs, scale);
  const grid = Array.from({ length: PLOT_HEIGHT }, () => Array.from({ length: PLOT_WIDTH }, () => EMPTY));
  for (const s of series) drawLines(grid, s, map);
  const overlapped = series.map((s, i) => drawMarkers(grid, s, markerFor(i), map)).some(Boolean);
  const { lines, labelWidth } = yAxisLines(grid, scale, map);
  const legend = series.map((s, i) => `  ${markerFor(i)}  ${s.label}`);
  if (overlapped) legend.push(`  ${OVERLAP}  several series`);
  return [`${'IOPS'.padStart(labelWidth)}`, ...lines, ...xAxisLines(runs, map, labelWidth), '', ...legend]
    .map((l) => `${l}\n`)
    .join('');
}
