/**
 * The sweep as a self-contained SVG chart: no scripts, no external fonts or stylesheets, so the
 * file reads the same in a browser, an image viewer or a pull request.
 *
 * Two panels over the same x axis, fio jobs:
 *   top     IOPS, one line per (mode, lock, cpus) series, each point the median of its runs,
 *           with a whisker from the slowest run to the fastest when the point ran several times
 *   bottom  the submission locks that explain the top: the share of acquisitions that had to
 *           wait (left) and the longest wait (right), on a log scale when the values span
 *           decades, as a spinlock's waits do once threads outnumber cores
 * A legend on the right names each series; the subtitle names the machine and its wake-up cost.
 */
import { escapeXml, px } from './svg-text.js';
import type { MachineInfo, RunResult } from './result.js';
import { formatCount, formatNs, formatPercent, formatTick } from './format.js';
import { describeWakeups } from './machine.js';
import { distinctJobs, groupSeries, niceScale, spacedTicks, type Series } from './chart.js';
import { sumLockFigures } from './table.js';
import { iopsOf, rangeOf } from './spread.js';

const WIDTH = 760;
const HEIGHT = 700;
/** The panels' plot areas; room around them for labels, titles and the legend. */
const IOPS_PLOT: Box = { left: 76, top: 62, right: 560, bottom: 360 };
const CONTENTION_PLOT: Box = { left: 76, top: 432, right: 300, bottom: 628 };
const WAIT_PLOT: Box = { left: 366, top: 432, right: 560, bottom: 628 };
const LEGEND_X = 578;
/** Gap between a plot's left and right edges and the first and last jobs value, px. */
const X_PAD = 14;
/** Least distance between two x labels, px. */
const X_LABEL_GAP = 22;
/** A log scale is used when the largest value is at least this many times the smallest. */
const LOG_SPAN = 100;
/** Distinct on white and for most colour-blind readers (Okabe-Ito, then Tableau). */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C564B', '#7F7F7F'];
const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;
type Shape = (typeof SHAPES)[number];

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A y axis: where a value goes (0 at the bottom, 1 at the top), and its ticks. */
interface YScale {
  position(value: number): number;
  ticks: number[];
  label(value: number): string;
}

/** One panel: a plot area, a y scale, a title, and the value each run has (undefined: none). */
interface Panel {
  box: Box;
  scale: YScale;
  title: string;
  value(run: RunResult): number | undefined;
  /** The range drawn as a whisker at each point, if any. */
  range?(run: RunResult): { min: number; max: number } | undefined;
  format(value: number): string;
}

/** A linear axis from 0 over `max` in round steps. */
function linearScale(max: number, intervals: number, label: (value: number) => string): YScale {
  const { max: top, ticks } = niceScale(max, intervals);
  return { position: (v) => Math.max(0, v) / top, ticks, label };
}

/** A log axis over whole decades around the positive `values`; values at or below 0 sit on its floor. */
function logScale(values: readonly number[], label: (value: number) => string): YScale {
  const positive = values.filter((v) => v > 0);
  const low = Math.floor(Math.log10(Math.min(...positive)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...positive))));
  const ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
  return {
    position: (v) => (v <= 0 ? 0 : Math.min(1, Math.max(0, (Math.log10(v) - low) / (high - low)))),
    ticks,
    label,
  };
}

/** Linear from 0, unless the positive values span LOG_SPAN or more: then log. */
function fittingScale(values: readonly number[], label: (value: number) => string): YScale {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return linearScale(1, 4, label);
  const span = Math.max(...positive) / Math.min(...positive);
  return span >= LOG_SPAN ? logScale(positive, label) : linearScale(Math.max(...positive), 4, label);
}

/** The x position of a jobs value in a box: all panels share the jobs values. */
function xMapping(runs: readonly RunResult[], box: Box): (jobs: number) => number {
  const jobs = distinctJobs(runs);
  let low = Math.min(...jobs);
  let high = Math.max(...jobs);
  if (low === high) [low, high] = [low - 1, high + 1];
  return (j) => box.left + X_PAD + ((j - low) / (high - low)) * (box.right - box.left - 2 * X_PAD);
}

/** A point marker of `shape` centred on (x, y). */
function marker(shape: Shape, x: number, y: number, color: string): string {
  const r = 4;
  const polygon = (coordinates: readonly number[]): string => {
    const points: string[] = [];
    for (let i = 0; i + 1 < coordinates.length; i += 2)
      points.push(`${px(coordinates[i]!)},${px(coordinates[i + 1]!)}`);
    return `<polygon points="${points.join(' ')}" fill="${color}"/>`;
  };
  switch (shape) {
    case 'circle':
      return `<circle cx="${px(x)}" cy="${px(y)}" r="${r}" fill="${color}"/>`;
    case 'square':
      return `<rect x="${px(x - r)}" y="${px(y - r)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
    case 'triangle':
      return polygon([x, y - r - 1, x + r + 1, y + r, x - r - 1, y + r]);
    case 'diamond':
      return polygon([x, y - r - 1, x + r + 1, y, x, y + r + 1, x - r - 1, y]);
  }
}

/** The colour and marker shape of the series at `index`. */
function seriesStyle(index: number): { color: string; shape: Shape } {
  return { color: COLORS[index % COLORS.length]!, shape: SHAPES[index % SHAPES.length]! };
}

/** Title, and a subtitle naming the machine and its wake-up cost when one is given. */
function titleElements(title: string, machine: MachineInfo | undefined): string[] {
  const lines = [
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  if (machine !== undefined) {
    // The wake-up cost goes with every chart: the figures depend on it more than on the CPU model.
    const wakeup = machine.wakeup === undefined ? '' : `; ${describeWakeups(machine.wakeup)}`;
    const info = `${machine.cpuModel}, ${machine.cpus} cpus, node ${machine.node}${wakeup}`;
    lines.push(`<text x="${WIDTH / 2}" y="42" text-anchor="middle" fill="#555">${escapeXml(info)}</text>`);
  }
  return lines;
}

/** A panel's frame: grid lines and y labels, x ticks and labels, axes, and its titles. */
function frameElements(panel: Panel, runs: readonly RunResult[]): string[] {
  const { box, scale } = panel;
  const y = (v: number): number => box.bottom - scale.position(v) * (box.bottom - box.top);
  const x = xMapping(runs, box);
  const grid = scale.ticks.flatMap((tick) => [
    `<line x1="${box.left}" y1="${px(y(tick))}" x2="${box.right}" y2="${px(y(tick))}" stroke="#e3e3e3"/>`,
    `<text x="${box.left - 6}" y="${px(y(tick))}" text-anchor="end" dy="0.35em">${escapeXml(scale.label(tick))}</text>`,
  ]);
  const xTicks = spacedTicks(distinctJobs(runs), x, X_LABEL_GAP).flatMap((j) => [
    `<line x1="${px(x(j))}" y1="${box.bottom}" x2="${px(x(j))}" y2="${box.bottom + 4}" stroke="#333"/>`,
    `<text x="${px(x(j))}" y="${box.bottom + 16}" text-anchor="middle">${j}</text>`,
  ]);
  const middle = (box.top + box.bottom) / 2;
  const titleX = box.left - 56;
  return [
    ...grid,
    ...xTicks,
    `<line x1="${box.left}" y1="${box.bottom}" x2="${box.right}" y2="${box.bottom}" stroke="#333"/>`,
    `<line x1="${box.left}" y1="${box.top}" x2="${box.left}" y2="${box.bottom}" stroke="#333"/>`,
    `<text x="${titleX}" y="${middle}" text-anchor="middle" transform="rotate(-90 ${titleX} ${middle})">` +
      `${escapeXml(panel.title)}</text>`,
    `<text x="${(box.left + box.right) / 2}" y="${box.bottom + 34}" text-anchor="middle">fio jobs (vCPUs)</text>`,
  ];
}

/** One series in one panel: a polyline through the points that have a value, markers, whiskers. */
function seriesElements(panel: Panel, series: Series, index: number, runs: readonly RunResult[]): string[] {
  const { box, scale } = panel;
  const { color, shape } = seriesStyle(index);
  const y = (v: number): number => box.bottom - scale.position(v) * (box.bottom - box.top);
  const x = xMapping(runs, box);
  const points = series.runs.flatMap((run) => {
    const value = panel.value(run);
    return value === undefined ? [] : [{ run, value }];
  });
  if (points.length === 0) return [];
  const line = points.map(({ run, value }) => `${px(x(run.jobs))},${px(y(value))}`).join(' ');
  const whiskers = points.flatMap(({ run }) => {
    const range = panel.range?.(run);
    if (range === undefined || range.min === range.max) return [];
    const cx = x(run.jobs);
    const [top, bottom] = [y(range.max), y(range.min)];
    return [
      `<path d="M${px(cx)} ${px(top)}V${px(bottom)}M${px(cx - 3)} ${px(top)}h6M${px(cx - 3)} ${px(bottom)}h6" ` +
        `stroke="${color}" stroke-width="1" fill="none"/>`,
    ];
  });
  const markers = points.map(({ run, value }) => {
    const range = panel.range?.(run);
    const spread = range === undefined ? '' : ` (runs ${panel.format(range.min)}..${panel.format(range.max)})`;
    const tip = `${series.label}: ${run.jobs} jobs, ${panel.format(value)}${spread}`;
    return `<g>${marker(shape, x(run.jobs), y(value), color)}<title>${escapeXml(tip)}</title></g>`;
  });
  return [
    `<g class="series">`,
    `<polyline points="${line}" fill="none" stroke="${color}" stroke-width="2"/>`,
    ...whiskers,
    ...markers,
    `</g>`,
  ];
}

/** A legend entry per series, right of the top panel; rows shrink to fit many series. */
function legendElements(series: readonly Series[]): string[] {
  const rowHeight = Math.min(20, (HEIGHT - IOPS_PLOT.top) / Math.max(1, series.length));
  return series.flatMap((s, i) => {
    const { color, shape } = seriesStyle(i);
    const y = IOPS_PLOT.top + 8 + i * rowHeight;
    return [
      `<line x1="${LEGEND_X}" y1="${px(y)}" x2="${LEGEND_X + 24}" y2="${px(y)}" stroke="${color}" stroke-width="2"/>`,
      marker(shape, LEGEND_X + 12, y, color),
      `<text x="${LEGEND_X + 32}" y="${px(y)}" dy="0.35em">${escapeXml(s.label)}</text>`,
    ];
  });
}

/** The lock figures a run's point has in the lower panels; undefined for a run without locks. */
function lockFigure(run: RunResult, figure: 'contention' | 'maxWait'): number | undefined {
  if (run.locks.length === 0) return undefined;
  const totals = sumLockFigures(run.locks);
  if (figure === 'maxWait') return totals.waitNsMax;
  return totals.acquisitions === 0 ? 0 : totals.contentions / totals.acquisitions;
}

/** The three panels of a sweep's runs. */
function panels(runs: readonly RunResult[]): Panel[] {
  const withSpread = runs.map((run) => rangeOf(run, iopsOf).max);
  const contention = runs.flatMap((run) => lockFigure(run, 'contention') ?? []);
  const waits = runs.flatMap((run) => lockFigure(run, 'maxWait') ?? []);
  return [
    {
      box: IOPS_PLOT,
      scale: linearScale(Math.max(...withSpread), 5, formatTick),
      title: 'IOPS (median; whiskers: slowest..fastest run)',
      value: (run) => run.iops,
      range: (run) => (run.samples === undefined ? undefined : rangeOf(run, iopsOf)),
      format: formatCount,
    },
    {
      box: CONTENTION_PLOT,
      scale: fittingScale(contention, (v) => formatPercent(v, v < 0.01 ? 2 : v < 0.1 ? 1 : 0)),
      title: 'lock acquisitions that waited',
      value: (run) => lockFigure(run, 'contention'),
      format: (v) => formatPercent(v),
    },
    {
      box: WAIT_PLOT,
      scale: fittingScale(waits, formatNs),
      title: 'longest lock wait',
      value: (run) => lockFigure(run, 'maxWait'),
      format: formatNs,
    },
  ];
}

/**
 * The sweep as a 760x700 SVG document: IOPS against fio jobs on top, the submission locks'
 * contention and longest wait below (see the file comment), a legend, and `title` on top with
 * `machine` under it when given. All text is escaped. With no runs, the chart says so instead
 * of drawing axes; runs without locks (--lock none) have no points in the lower panels.
 */
export function renderSvg(runs: readonly RunResult[], title: string, machine?: MachineInfo): string {
  const body = [`<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`, ...titleElements(title, machine)];
  if (runs.length === 0) {
    body.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no runs</text>`);
  } else {
    const series = groupSeries(runs);
    for (const panel of panels(runs)) {
      body.push(`<g class="panel">`, ...frameElements(panel, runs));
      body.push(...series.flatMap((s, i) => seriesElements(panel, s, i, runs)), `</g>`);
    }
    body.push(...legendElements(series));
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
    `<title>${escapeXml(title)}</title>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}
