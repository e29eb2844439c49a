/**
 * IOPS against fio jobs as a self-contained SVG line chart: no scripts, no external
 * fonts or stylesheets, so the file reads the same in a browser, an image viewer or a PR.
 */
import type { MachineInfo, RunResult } from './result.js';
import { formatCount, formatTick } from './format.js';
import { describeWakeups } from './machine.js';
import { distinctJobs, groupSeries, niceScale, spacedTicks, type Series } from './chart.js';

const WIDTH = 720;
const HEIGHT = 420;
/** Plot area: room for the title above, y labels left, x labels below, legend right. */
const PLOT = { left: 70, top: 56, right: 515, bottom: 360 } as const;
const LEGEND_X = 532;
/** Gap between the plot's left and right edges and the first and last jobs value, px. */
const X_PAD = 16;
const Y_INTERVALS = 5;
/** Least distance between two x labels, px. */
const X_LABEL_GAP = 24;
/** Distinct on white and for most colour-blind readers (Okabe-Ito, then Tableau). */
const COLORS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#8C564B',
  '#7F7F7F',
  '#BCBD22',
];
const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;
type Shape = (typeof SHAPES)[number];

/** Escapes text for SVG character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Rounds a coordinate to 0.1 px to keep the file small. */
function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Maps jobs and IOPS to pixels in the plot area. */
interface PixelMapping {
  x(jobs: number): number;
  y(iops: number): number;
}

function pixelMapping(runs: readonly RunResult[], yMax: number): PixelMapping {
  const jobs = runs.map((run) => run.jobs);
  let low = Math.min(...jobs);
  let high = Math.max(...jobs);
  if (low === high) [low, high] = [low - 1, high + 1];
  return {
    x: (j) => PLOT.left + X_PAD + ((j - low) / (high - low)) * (PLOT.right - PLOT.left - 2 * X_PAD),
    y: (iops) => PLOT.bottom - (Math.max(0, Number.isFinite(iops) ? iops : 0) / yMax) * (PLOT.bottom - PLOT.top),
  };
}

/** A filled polygon through the points x0, y0, x1, y1, ... */
function polygon(coordinates: readonly number[], color: string): string {
  const points = [];
  for (let i = 0; i + 1 < coordinates.length; i += 2) points.push(`${px(coordinates[i]!)},${px(coordinates[i + 1]!)}`);
  return `<polygon points="${points.join(' ')}" fill="${color}"/>`;
}

/** A point marker of `shape` centred on (x, y). */
function marker(shape: Shape, x: number, y: number, color: string): string {
  const r = 4;
  switch (shape) {
    case 'circle':
      return `<circle cx="${px(x)}" cy="${px(y)}" r="${r}" fill="${color}"/>`;
    case 'square':
      return `<rect x="${px(x - r)}" y="${px(y - r)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
    case 'triangle':
      return polygon([x, y - r - 1, x + r + 1, y + r, x - r - 1, y + r], color);
    case 'diamond':
      return polygon([x, y - r - 1, x + r + 1, y, x, y + r + 1, x - r - 1, y], color);
  }
}

/** The colour and marker shape of the series at `index`. */
function seriesStyle(index: number): { color: string; shape: Shape } {
  return { color: COLORS[index % COLORS.length]!, shape: SHAPES[index % SHAPES.length]! };
}

/** Title, and a subtitle naming the machine when one is given. */
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

/** Y grid lines with IOPS labels, and the y axis title. */
function yAxisElements(ticks: readonly number[], map: PixelMapping): string[] {
  const elements = ticks.flatMap((tick) => {
    const y = px(map.y(tick));
    return [
      `<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.right}" y2="${y}" stroke="#e3e3e3"/>`,
      `<text x="${PLOT.left - 8}" y="${y}" text-anchor="end" dy="0.35em">${escapeXml(formatTick(tick))}</text>`,
    ];
  });
  const middle = (PLOT.top + PLOT.bottom) / 2;
  elements.push(`<text x="18" y="${middle}" text-anchor="middle" transform="rotate(-90 18 ${middle})">IOPS</text>`);
  return elements;
}

/** X ticks with jobs labels, both axis lines, and the x axis title. */
function xAxisElements(runs: readonly RunResult[], map: PixelMapping): string[] {
  const ticks = spacedTicks(distinctJobs(runs), map.x, X_LABEL_GAP);
  const elements = ticks.flatMap((j) => {
    const x = px(map.x(j));
    return [
      `<line x1="${x}" y1="${PLOT.bottom}" x2="${x}" y2="${PLOT.bottom + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${PLOT.bottom + 18}" text-anchor="middle">${j}</text>`,
    ];
  });
  elements.push(
    `<line x1="${PLOT.left}" y1="${PLOT.bottom}" x2="${PLOT.right}" y2="${PLOT.bottom}" stroke="#333"/>`,
    `<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.bottom}" stroke="#333"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">fio jobs (vCPUs)</text>`,
  );
  return elements;
}

/** One series: its polyline and a marker per point, each with a tooltip. */
function seriesElements(series: Series, index: number, map: PixelMapping): string[] {
  const { color, shape } = seriesStyle(index);
  const points = series.runs.map((run) => `${px(map.x(run.jobs))},${px(map.y(run.iops))}`).join(' ');
  const markers = series.runs.map((run) => {
    const tip = `${series.label}: ${run.jobs} jobs, ${formatCount(run.iops)} IOPS`;
    return `<g>${marker(shape, map.x(run.jobs), map.y(run.iops), color)}<title>${escapeXml(tip)}</title></g>`;
  });
  return [
    `<g class="series">`,
    `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`,
    ...markers,
    `</g>`,
  ];
}

/** A legend entry per series, right of the plot; rows shrink to fit many series. */
function legendElements(series: readonly Series[]): string[] {
  const rowHeight = Math.min(20, (HEIGHT - PLOT.top) / Math.max(1, series.length));
  return series.flatMap((s, i) => {
    const { color, shape } = seriesStyle(i);
    const y = PLOT.top + 8 + i * rowHeight;
    return [
      `<line x1="${LEGEND_X}" y1="${px(y)}" x2="${LEGEND_X + 24}" y2="${px(y)}" stroke="${color}" stroke-width="2"/>`,
      marker(shape, LEGEND_X + 12, y, color),
      `<text x="${LEGEND_X + 32}" y="${px(y)}" dy="0.35em">${escapeXml(s.label)}</text>`,
    ];
  });
}

/**
 * IOPS (y) against fio jobs (x) as a 720x420 SVG document: one polyline with point
 * markers per (mode, lock, cpus) series, distinguished by colour and marker shape,
 * a legend, axes with ticks, labels and titles, and `title` on top with `machine`'s
 * CPU model, core count and Node version under it when given. All text is escaped.
 * With no runs, the chart says so instead of drawing axes.
 */
export function renderSvg(runs: readonly RunResult[], title: string, machine?: MachineInfo): string {
  const body = [`<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`, ...titleElements(title, machine)];
  if (runs.length === 0) {
    body.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no runs</text>`);
  } else {
    const series = groupSeries(runs);
    const scale = niceScale(Math.max(...runs.map((run) => run.iops)), Y_INTERVALS);
    const map = pixelMapping(runs, scale.max);
    body.push(
      ...yAxisElements(scale.ticks, map),
      ...xAxisElements(runs, map),
      ...series.flatMap((s, i) => seriesElements(s, i, map)),
      ...legendElements(series),
    );
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
