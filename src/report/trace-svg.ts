/**
 * The trace window as swimlanes in a self-contained SVG (issue 29, `--trace-svg FILE`), for
 * people who will not open Perfetto: one row per thread in request order, coloured by state
 * (trace-states.ts, the same segments the state shares add up), wake-up arrows from the notify
 * to the end of the park it ended, preemption marks, a time axis in µs, a legend and a caption.
 *
 * A whole 20 ms window is thousands of passes too thin to see, so by default it draws an
 * excerpt of about 2 ms around the longest lock wait in the window, where the story of a
 * shared queue is (a holder preempted, the others spinning behind it), and says so.
 */
import { TraceKind } from '../protocol/trace-record.js';
import { niceScale } from './chart.js';
import { formatNs } from './format.js';
import { escapeXml, px } from './svg-text.js';
import { threadSegments, type ThreadState } from './trace-states.js';
import {
  matchWakeups,
  threadLabel,
  traceWindows,
  type ThreadWindow,
  type TraceInput,
  type WindowRecord,
} from './trace-window.js';

export interface TraceSvgOptions {
  /** How long an excerpt to draw, ns (default 2 ms; the whole window when it is shorter). */
  excerptNs?: number;
  /** Where the excerpt starts, ns from the window's start; absent: around the longest lock wait. */
  startNs?: number;
}

/** The excerpt drawn, and what the caption says of it. */
export interface TraceExcerpt {
  startNs: number;
  ns: number;
  caption: string;
}

const DEFAULT_EXCERPT_NS = 2_000_000;
const WIDTH = 1000;
const PLOT = { left: 96, right: 980 };
const TOP = 58;
const ROW_HEIGHT = 14;
const ROW_PITCH = 20;
/** Time-axis intervals at most. */
const AXIS_INTERVALS = 8;
/** Okabe-Ito, with parked a light grey: the thread is off its CPU. */
const STATE_COLORS: Readonly<Record<Exclude<ThreadState, 'other'>, string>> = {
  working: '#0072B2',
  'lock held': '#D55E00',
  spinning: '#E69F00',
  polling: '#56B4E9',
  parked: '#C8C8C8',
  preempted: '#CC79A7',
};
const ARROW_COLOR = '#009E73';
const PREEMPTED_COLOR = '#CC0000';

/** The longest LOCK_WAIT in the window, and the ring it waited for. */
function longestLockWait(windows: readonly ThreadWindow[]): { wait: WindowRecord; window: ThreadWindow } | undefined {
  let best: { wait: WindowRecord; window: ThreadWindow } | undefined;
  for (const window of windows) {
    for (const slice of window.slices) {
      if (slice.kind !== TraceKind.LOCK_WAIT) continue;
      const longer = best === undefined || slice.end - slice.start > best.wait.end - best.wait.start;
      if (longer) best = { wait: slice, window };
    }
  }
  return best;
}

/** Which part of the window to draw (see TraceSvgOptions), with its caption. */
export function chooseExcerpt(input: TraceInput, options: TraceSvgOptions = {}): TraceExcerpt {
  const ns = Math.min(options.excerptNs ?? DEFAULT_EXCERPT_NS, input.windowNs);
  const span = formatNs(ns);
  const fit = (start: number): number => Math.min(Math.max(0, start), input.windowNs - ns);
  if (ns === input.windowNs) return { startNs: 0, ns, caption: `the whole window, ${span}` };
  if (options.startNs !== undefined) {
    const startNs = fit(options.startNs);
    return { startNs, ns, caption: `${span} from ${formatNs(startNs)} into the window` };
  }
  const longest = longestLockWait(traceWindows(input));
  if (longest === undefined) {
    return { startNs: 0, ns, caption: `the first ${span} of the window (no lock waits in it)` };
  }
  const { wait, window } = longest;
  const ring = input.ringNames[wait.words[0]] ?? `ring ${wait.words[0]}`;
  // Centred on the wait; a wait longer than the excerpt is shown from a little before it begins.
  const length = wait.end - wait.start;
  const startNs = fit(length < ns ? wait.start + length / 2 - ns / 2 : wait.start - ns / 10);
  const who = threadLabel(window.thread.role, window.thread.index);
  return {
    startNs,
    ns,
    caption:
      `${span} around the longest wait for a lock (${ring}, by ${who}), ` +
      `${formatNs(length)}, at ${formatNs(wait.start)} into the window`,
  };
}

/** Maps window ns to x within the excerpt. */
function xScale(excerpt: TraceExcerpt): (ns: number) => number {
  return (ns) => PLOT.left + ((ns - excerpt.startNs) / excerpt.ns) * (PLOT.right - PLOT.left);
}

function rowTop(row: number): number {
  return TOP + row * ROW_PITCH;
}

/** A thread's row: its label and its state segments in the excerpt. */
function rowElements(window: ThreadWindow, row: number, excerpt: TraceExcerpt, windowNs: number): string[] {
  const x = xScale(excerpt);
  const y = rowTop(row);
  const end = excerpt.startNs + excerpt.ns;
  const label = threadLabel(window.thread.role, window.thread.index);
  const rects = threadSegments(window, windowNs).flatMap((segment) => {
    if (segment.state === 'other' || segment.end <= excerpt.startNs || segment.start >= end) return [];
    const x1 = x(Math.max(segment.start, excerpt.startNs));
    const x2 = x(Math.min(segment.end, end));
    if (x2 - x1 < 0.05) return [];
    const fill = STATE_COLORS[segment.state];
    return [`<rect x="${px(x1)}" y="${y}" width="${px(x2 - x1)}" height="${ROW_HEIGHT}" fill="${fill}"/>`];
  });
  const marks = window.preemptions.flatMap((gap) => {
    if (gap.start < excerpt.startNs || gap.start > end) return [];
    const gx = x(gap.start);
    const tip = `${label}: busy-wait gap of ${formatNs(gap.end - gap.start)} (preempted)`;
    return [
      `<g><polygon points="${px(gx - 4)},${y - 5} ${px(gx + 4)},${y - 5} ${px(gx)},${y + 2}" ` +
        `fill="${PREEMPTED_COLOR}"/>` +
        `<title>${escapeXml(tip)}</title></g>`,
    ];
  });
  return [
    `<text x="${PLOT.left - 8}" y="${y + ROW_HEIGHT / 2}" text-anchor="end" dy="0.35em">${escapeXml(label)}</text>`,
    `<line x1="${PLOT.left}" y1="${y + ROW_HEIGHT / 2}" x2="${PLOT.right}" y2="${y + ROW_HEIGHT / 2}" stroke="#eee"/>`,
    `<g class="row">`,
    ...rects,
    ...marks,
    `</g>`,
  ];
}

/** An arrow per wake-up with both ends in the excerpt: notify's start to the woken park's end. */
function arrowElements(windows: readonly ThreadWindow[], excerpt: TraceExcerpt): string[] {
  const rowOf = new Map<WindowRecord, number>();
  windows.forEach((window, row) => window.slices.forEach((slice) => rowOf.set(slice, row)));
  const x = xScale(excerpt);
  const inside = (ns: number): boolean => ns >= excerpt.startNs && ns <= excerpt.startNs + excerpt.ns;
  const middle = (row: number): number => rowTop(row) + ROW_HEIGHT / 2;
  return [...matchWakeups(windows).pairs.values()].flatMap(({ notify, park }) => {
    if (!inside(notify.start) || !inside(park.end)) return [];
    const from = rowOf.get(notify)!;
    const to = rowOf.get(park)!;
    return [
      `<line x1="${px(x(notify.start))}" y1="${middle(from)}" x2="${px(x(park.end))}" y2="${middle(to)}" ` +
        `stroke="${ARROW_COLOR}" stroke-width="1" marker-end="url(#wake)"/>`,
    ];
  });
}

/** The time axis under the rows: µs into the window, in round steps. */
function axisElements(excerpt: TraceExcerpt, y: number): string[] {
  const x = xScale(excerpt);
  const startUs = excerpt.startNs / 1000;
  const endUs = (excerpt.startNs + excerpt.ns) / 1000;
  const step = niceScale(endUs - startUs, AXIS_INTERVALS).ticks[1] ?? endUs - startUs;
  const ticks: number[] = [];
  for (let t = Math.ceil(startUs / step - 1e-9) * step; t <= endUs + 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return [
    `<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.right}" y2="${y}" stroke="#333"/>`,
    ...ticks.flatMap((t) => [
      `<line x1="${px(x(t * 1000))}" y1="${y}" x2="${px(x(t * 1000))}" y2="${y + 4}" stroke="#333"/>`,
      `<text x="${px(x(t * 1000))}" y="${y + 16}" text-anchor="middle">${escapeXml(String(t))}</text>`,
    ]),
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${y + 32}" text-anchor="middle">time in the window (us)</text>`,
  ];
}

/** One row of legend entries: each state's colour, the arrow, the preemption mark. */
function legendElements(y: number): string[] {
  const items: string[] = [];
  let x = 16;
  for (const [state, color] of Object.entries(STATE_COLORS)) {
    const label = state === 'working' ? 'running work' : state === 'lock held' ? 'holding the lock' : state;
    items.push(`<rect x="${x}" y="${y - 6}" width="14" height="10" fill="${color}"/>`);
    items.push(`<text x="${x + 18}" y="${y}" dy="0.1em">${escapeXml(label)}</text>`);
    x += 30 + label.length * 6.5;
  }
  items.push(
    `<line x1="${x}" y1="${y - 1}" x2="${x + 22}" y2="${y - 1}" stroke="${ARROW_COLOR}" marker-end="url(#wake)"/>`,
  );
  items.push(`<text x="${x + 28}" y="${y}" dy="0.1em">wake-up</text>`);
  x += 88;
  items.push(`<polygon points="${x},${y - 6} ${x + 8},${y - 6} ${x + 4},${y + 1}" fill="${PREEMPTED_COLOR}"/>`);
  items.push(`<text x="${x + 14}" y="${y}" dy="0.1em">busy-wait gap &gt; 100 us</text>`);
  return items;
}

/**
 * The swimlanes of `input`'s window as an SVG document: the excerpt chooseExcerpt picks, its
 * caption under the title (input.title). Threads without records still get their row.
 */
export function renderTraceSvg(input: TraceInput, options: TraceSvgOptions = {}): string {
  const windows = traceWindows(input);
  const excerpt = chooseExcerpt(input, options);
  const rowsBottom = rowTop(windows.length);
  const axisY = rowsBottom + 2;
  const legendY = axisY + 56;
  const height = legendY + 18;
  const body = [
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<defs><marker id="wake" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto">` +
      `<path d="M0 0L8 4L0 8z" fill="${ARROW_COLOR}"/></marker></defs>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">` +
      `${escapeXml(input.title)}</text>`,
    `<text x="${WIDTH / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(excerpt.caption)}</text>`,
    ...windows.flatMap((window, row) => rowElements(window, row, excerpt, input.windowNs)),
    `<g class="wakeups">`,
    ...arrowElements(windows, excerpt),
    `</g>`,
    ...axisElements(excerpt, axisY),
    ...legendElements(legendY),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#222">`,
    `<title>${escapeXml(`${input.title}: ${excerpt.caption}`)}</title>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}
