/**
 * docs/results/README.md, generated from the result files themselves: for each entry of
 * `npm run results` (scripts/results-list.ts), what it is, the command that makes it, the files
 * it made, the machine and the commit they record, and its headline figures with their spread.
 * Nothing in it is typed by hand, so it cannot drift from the files; `npm run results` rewrites
 * it after every run, and `npm run results -- --readme-only` from the files present.
 *
 * Headline figures, per kind of file (its `kind`; in a file made before files carried one, the
 * shape named in parentheses):
 *  - a bench sweep (NAME.json with `runs`): each series' median IOPS (and the range over its
 *    repeats) at its lowest and highest job count; mq/sq at the highest job count both modes
 *    ran, with its worst..best range; how many points spread beyond ±10% of their median; the
 *    steps of --explain when the file has them;
 *  - bench:micro (NAME.json with `results`): its targets and the ringbuf.js comparison;
 *  - ab (NAME.json with `points`): each point's b/a of median IOPS with its range, and of CPU
 *    time per request, then their geometric means over the points;
 *  - bench:native (NAME.json with `versions`): per Node version, each case's ratio ours/native
 *    with its paired interval and its target, met or missed;
 *  - micro-vs (`before` and `cases`): each case's median with the earlier build and this one;
 *  - bench-vs: each point's median IOPS with the earlier build and this one, new/old with its
 *    paired interval and verdict, and of CPU time per request, then the geometric means against
 *    the entry's targets, met or missed;
 *  - compare: the files it reads (its table is in NAME.txt).
 */
import { pairedStep } from '../src/report/ratios.js';
import { DEFAULT_CONFIDENCE, formatRatio as formatInterval, type RatioInterval } from '../src/report/confidence.js';
import fs from 'node:fs';
import path from 'node:path';
import type { ExplainStep, MachineInfo, RunResult } from '../src/report/result.js';
import { describeMachine } from '../src/report/machine.js';
import { formatCount, formatDuration, formatRatio, plural } from '../src/report/format.js';
import { renderMarkdownTable, type Align } from '../src/report/table.js';
import { SPREAD_THRESHOLD, iopsOf, rangeOf, ratioRange, runsOf, widelySpread } from '../src/report/spread.js';
import { commandLine, madeFiles, type ResultCommand } from './results-list.js';
import { abVerdictLines, geometricMean, OLD_NEW, type AbPoint } from '../src/report/ab.js';
import { median } from '../src/report/stats.js';
import type { MicroVsFile } from './micro-vs.js';
import type { BenchVsFile } from './bench-vs.js';
import { resultKind, type ResultKind } from '../src/report/result-file.js';

/** One entry of `npm run results` and what docs/results/ holds of it. */
export interface ResultSource {
  name: string;
  about: string;
  /** The command that makes it now, as `npm run results -- --list` prints it. */
  command: string;
  /** The command its NAME.txt says made it (first line, less `$ `); null without one. */
  madeBy: string | null;
  /** Whether its NAME.txt says it was made from a dirty tree (`npm run results -- --allow-dirty`). */
  dirtyText: boolean;
  /** The files it makes (folders end with `/`), and which of them are present. */
  files: { path: string; present: boolean }[];
  /** Its NAME.json parsed, null when it has none, or the reason it could not be read. */
  json: unknown;
  /** The result files it reads (a `compare` entry), relative to docs/results/. */
  reads: string[];
}

/** The mark of a file made from a dirty tree: a .txt's first line is `# ` and this, then the describe. */
export const DIRTY_NOTE = 'made from a dirty tree';

/** A bench result file, as far as the headlines read it. */
interface BenchJson {
  machine: MachineInfo;
  options?: { runtimeMs?: number; rampMs?: number; repeat?: number };
  runs: RunResult[];
  explain?: ExplainStep[];
  interrupted?: boolean;
  error?: string;
}

/** A bench:micro result file, as far as the headlines read it. */
interface MicroJson {
  machine: MachineInfo;
  options?: { timeMs?: number };
  results: { name: string; opsPerSec: number }[];
  comparison?: { against: string; pairs: number; ours: number[]; theirs: number[] } | null;
  targets?: { numerator: string; denominator: string; atLeast: number; ratio: number; pass: boolean }[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An `npm run ab` result file, as far as the headlines read it (src/report/ab.ts). */
interface AbJson {
  machine: MachineInfo;
  a: { args: string[] };
  b: { args: string[] };
  order: string[];
  points: AbPoint[];
}

function renderMicroVsFile(file: MicroVsFile): string[] {
  const rows = file.cases.map((c) => [
    `\`${c.name}\``,
    c.before.length === 0 ? '-' : formatCount(median(c.before)),
    c.after.length === 0 ? '-' : formatCount(median(c.after)),
  ]);
  return [
    `Before: \`${file.before}\`; ${plural(file.rounds, 'round')}, before and after alternating; medians ` +
      'in operations per second (every round is in the .txt).',
    renderMarkdownTable(['case', 'before', 'after'], rows, ['left', 'right', 'right']),
  ];
}

/** The machine a result file records: its own, or fio's format's under `vblk-mq`. */
export function recordedMachine(json: unknown): Record<string, unknown> | undefined {
  if (!isRecord(json)) return undefined;
  const own = json['machine'];
  if (isRecord(own)) return own;
  const vblk = json['vblk-mq'];
  return isRecord(vblk) && isRecord(vblk['machine']) ? vblk['machine'] : undefined;
}

/** Whether a recorded `gitDescribe` (or its absence) says the code was not a commit. */
export function isDirtyDescribe(describe: unknown): boolean {
  return typeof describe !== 'string' || describe.endsWith('-dirty');
}

/** The range of a point's IOPS over its runs, `-` when it ran once. */
function iopsRange(run: RunResult): string {
  if (runsOf(run).length < 2) return '-';
  const { min, max } = rangeOf(run, iopsOf);
  return `${formatCount(min)}..${formatCount(max)}`;
}

/** Groups `items` by `key`, in order of first appearance. */
function groups<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return [...map.values()];
}

/** Median IOPS at each series' lowest and highest job count. */
function renderSeries(runs: readonly RunResult[], explained: boolean): string {
  const series = groups(runs, (r) => `${r.mode} ${r.lock} ${r.cpus} ${r.iodepth} ${explained ? r.iothreads : ''}`);
  const rows = series.flatMap((points) => {
    const lowest = points.reduce((a, b) => (b.jobs < a.jobs ? b : a));
    const highest = points.reduce((a, b) => (b.jobs > a.jobs ? b : a));
    return (lowest === highest ? [lowest] : [lowest, highest]).map((r) => [
      r.mode,
      r.lock,
      ...(explained ? [String(r.iothreads)] : []),
      String(r.cpus),
      String(r.iodepth),
      String(r.jobs),
      formatCount(r.iops),
      iopsRange(r),
    ]);
  });
  const headers = ['mode', 'lock', ...(explained ? ['iothreads'] : []), 'cpus', 'iodepth', 'jobs', 'IOPS', 'min..max'];
  const aligns = headers.map((h): Align => (['mode', 'lock'].includes(h) ? 'left' : 'right'));
  const intro = "Median IOPS at each series' lowest and highest job count (min..max: over its repeats):";
  return `${intro}\n\n${renderMarkdownTable(headers, rows, aligns)}`;
}

/** mq/sq at the highest job count that both modes ran, for each lock, core count and iodepth. */
function renderRatios(runs: readonly RunResult[]): string {
  const plain = runs.filter((r) => r.mode === 'sq' || r.mode === 'mq');
  const rows = groups(plain, (r) => `${r.lock} ${r.cpus} ${r.iodepth}`).flatMap((points) => {
    const sq = new Map(points.filter((r) => r.mode === 'sq').map((r) => [r.jobs, r]));
    const pairs = points.filter((r) => r.mode === 'mq' && sq.has(r.jobs)).map((mq) => ({ mq, sq: sq.get(mq.jobs)! }));
    if (pairs.length === 0) return [];
    const { mq, sq: s } = pairs.reduce((a, b) => (b.mq.jobs > a.mq.jobs ? b : a));
    const { min, max } = ratioRange(s, mq);
    const spread = runsOf(s).length < 2 && runsOf(mq).length < 2 ? '-' : `${formatRatio(min)}..${formatRatio(max)}`;
    const interval = formatInterval(pairedStep(s, mq, DEFAULT_CONFIDENCE));
    return [[mq.lock, String(mq.cpus), String(mq.iodepth), String(mq.jobs), interval, spread]];
  });
  if (rows.length === 0) return '';
  const headers = ['lock', 'cpus', 'iodepth', 'jobs', 'mq/sq [95% interval]', 'worst..best'];
  const intro =
    'mq/sq at the highest job count both modes ran, with its 95% interval over the paired rounds and its verdict ' +
    '(docs/bench.md, "Intervals and verdicts"); worst..best: slowest mq run over fastest sq run, and back:';
  return `${intro}\n\n${renderMarkdownTable(headers, rows, ['left', 'right', 'right', 'right', 'right', 'right'])}`;
}

/** How far the points spread around their medians. */
function renderSpread(runs: readonly RunResult[]): string {
  if (runs.every((r) => runsOf(r).length < 2)) return 'Spread: one run per point, so none was measured.';
  const wide = widelySpread(runs, SPREAD_THRESHOLD);
  const limit = `±${Math.round(SPREAD_THRESHOLD * 100)}%`;
  if (wide.length === 0) return `Spread: every point's runs lie within ${limit} of its median IOPS.`;
  const relative = (r: RunResult): number => {
    const { min, max } = rangeOf(r, iopsOf);
    return (max - min) / r.iops;
  };
  const widest = wide.reduce((a, b) => (relative(b) > relative(a) ? b : a));
  const { min, max } = rangeOf(widest, iopsOf);
  const point = `${widest.mode} ${widest.lock} ${widest.cpus} cpus jobs=${widest.jobs}`;
  return (
    `Spread: ${wide.length} of ${plural(runs.length, 'point')} had a run more than ${limit} from the median IOPS; ` +
    `the widest, ${point}, ran from ${formatCount(min)} to ${formatCount(max)}.`
  );
}

/** The steps of --explain. */
function renderExplain(steps: readonly ExplainStep[]): string {
  const rows = steps.map((s) => [
    s.lock,
    String(s.jobs),
    s.step,
    s.from,
    s.to,
    // Files made before the intervals have none: their ratio alone.
    s.level === undefined ? formatRatio(s.ratio) : formatInterval(s),
    `${formatRatio(s.min)}..${formatRatio(s.max)}`,
  ]);
  const headers = ['lock', 'jobs', 'step', 'from', 'to', 'ratio [95% interval]', 'worst..best'];
  const aligns: Align[] = ['left', 'right', 'left', 'left', 'left', 'right', 'right'];
  return `--explain's steps:\n\n${renderMarkdownTable(headers, rows, aligns)}`;
}

/** How the runs were taken: points, repeats, window. */
function renderRunShape(file: BenchJson): string {
  const repeat = file.options?.repeat ?? Math.max(1, ...file.runs.map((r) => r.repeats));
  const runtime = file.options?.runtimeMs;
  const ramp = file.options?.rampMs;
  const each = repeat === 1 ? 'one run each' : `the median of ${repeat} interleaved runs each`;
  const after = ramp === undefined ? '' : ` after a ${formatDuration(ramp)} ramp`;
  const window = runtime === undefined ? '' : `, ${formatDuration(runtime)} measured${after}`;
  const stopped =
    file.error !== undefined
      ? ` The sweep failed: ${file.error}`
      : file.interrupted === true
        ? ' The sweep was interrupted.'
        : '';
  return `Runs: ${plural(file.runs.length, 'point')}, ${each}${window}.${stopped}`;
}

function renderBench(file: BenchJson): string[] {
  const explained = file.explain !== undefined && file.explain.length > 0;
  const parts = [renderRunShape(file), renderSeries(file.runs, explained)];
  const ratios = explained ? '' : renderRatios(file.runs);
  if (ratios !== '') parts.push(ratios);
  if (explained) parts.push(renderExplain(file.explain!));
  parts.push(renderSpread(file.runs));
  return parts;
}

function renderBenchVsFile(file: BenchVsFile): string[] {
  const argSets = file.argSets.map((args) => `\`${args.join(' ')}\``).join(' and ');
  const shape =
    `Old: \`${file.before}\`, built from git archive; new: this tree. ${plural(file.rounds, 'round')}, old and ` +
    `new alternating (ABBA), each running the bench with ${argSets}.`;
  const rows = file.points.map((p) => [
    p.mode,
    p.lock,
    String(p.jobs),
    String(p.iodepth),
    formatCount(p.aIops),
    formatCount(p.bIops),
    formatInterval(p),
    formatRatio(p.cpuRatio),
  ]);
  const headers = [
    'mode',
    'lock',
    'jobs',
    'iodepth',
    'old IOPS',
    'new IOPS',
    'new/old [95% interval]',
    'new/old CPU per request',
  ];
  const aligns: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'];
  const verdict = abVerdictLines(file.verdict, OLD_NEW).map((line) => `- ${line}`);
  return [shape, renderMarkdownTable(headers, rows, aligns), verdict.join('\n')];
}

function renderAbFile(file: AbJson): string[] {
  const rounds = file.order.filter((run) => run.startsWith('a ')).length;
  const shape =
    `Variants: a = \`${file.a.args.join(' ')}\`, b = \`${file.b.args.join(' ')}\`; ` +
    `${plural(rounds, 'round')}, a and b alternating (${file.order.join(', ')}).`;
  const cpu = (value: number): string => (Number.isFinite(value) ? formatRatio(value) : '-');
  const rows = file.points.map((p) => [
    p.mode,
    p.lock,
    String(p.jobs),
    formatCount(p.aIops),
    formatCount(p.bIops),
    formatRatio(p.ratio),
    `${formatRatio(p.min)}..${formatRatio(p.max)}`,
    cpu(p.cpuRatio),
  ]);
  const headers = ['mode', 'lock', 'jobs', 'a IOPS', 'b IOPS', 'b/a', 'worst..best', 'b/a CPU per request'];
  const iops = geometricMean(file.points, (p) => p.ratio);
  const cpuMean = geometricMean(file.points, (p) => p.cpuRatio);
  const means =
    `Over the ${plural(file.points.length, 'point')} (geometric mean): b/a IOPS ${formatRatio(iops)}, ` +
    `b/a CPU time per request ${cpu(cpuMean)}.`;
  const aligns: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'];
  return [shape, renderMarkdownTable(headers, rows, aligns), means];
}

/** A bench:native result file (bench/native.ts), as far as the headlines read it. */
interface NativeJson {
  machine: MachineInfo;
  options?: { rounds?: number };
  versions: {
    node: string;
    version?: string;
    skipped?: string;
    cases: { name: string; ratio: RatioInterval; target: number; met: boolean }[];
  }[];
}

function renderNative(file: NativeJson): string[] {
  const rounds = file.options?.rounds;
  return file.versions.map((v) => {
    if (v.skipped !== undefined) return `Node ${v.node}: skipped (${v.skipped}).`;
    const rows = v.cases.map((c) => [
      `\`${c.name}\``,
      formatInterval(c.ratio),
      `>= ${c.target}x`,
      c.met ? 'met' : 'missed',
    ]);
    const headers = ['case', 'ours/native (95% paired interval)', 'target', ''];
    const head = `Node ${v.version ?? v.node}, ${rounds ?? '?'} ABBA rounds:`;
    return `${head}\n\n${renderMarkdownTable(headers, rows, ['left', 'left', 'right', 'left'])}`;
  });
}

function renderMicro(file: MicroJson): string[] {
  const time = file.options?.timeMs;
  const each = time === undefined ? '' : `, ${formatDuration(time)} each`;
  const parts = [`Cases: ${file.results.length}${each}; every figure is in the .txt.`];
  const targets = file.targets ?? [];
  if (targets.length > 0) {
    const rows = targets.map((t) => [
      `\`${t.numerator}\``,
      `\`${t.denominator}\``,
      formatRatio(t.ratio),
      `>= ${t.atLeast}x`,
      t.pass ? 'met' : 'missed',
    ]);
    const headers = ['case', 'against', 'ratio', 'target', ''];
    parts.push(`Targets:\n\n${renderMarkdownTable(headers, rows, ['left', 'left', 'right', 'right', 'left'])}`);
  }
  const c = file.comparison;
  if (c !== undefined && c !== null && c.ours.length > 0 && c.theirs.length > 0) {
    const range = (values: readonly number[]): string =>
      `${formatCount(Math.min(...values))}..${formatCount(Math.max(...values))}`;
    parts.push(
      `Against ${c.against}, ${c.pairs} alternating pairs: median ${formatCount(median(c.ours))} items/s ` +
        `(${range(c.ours)}) against ${formatCount(median(c.theirs))} (${range(c.theirs)}).`,
    );
  }
  return parts;
}

/** The headline figures of each kind of result file (a compare's table is in its .txt). */
const HEADLINES: Readonly<Record<ResultKind, (json: never) => string[]>> = {
  bench: (json: BenchJson) => renderBench(json),
  micro: (json: MicroJson) => renderMicro(json),
  native: (json: NativeJson) => renderNative(json),
  ab: (json: AbJson) => renderAbFile(json),
  compare: () => [],
  'micro-vs': (json: MicroVsFile) => renderMicroVsFile(json),
  'bench-vs': (json: BenchVsFile) => renderBenchVsFile(json),
};

/**
 * The headline figures of a result file, by its kind (its `kind`, or for a file made before
 * files carried one, its shape: src/report/result-file.ts resultKind); none for an unknown kind.
 */
function renderHeadlines(json: unknown): string[] {
  const kind = resultKind(json);
  return kind === undefined ? [] : HEADLINES[kind](json as never);
}

/** The lines about the machine and the commit a result file records. */
function renderProvenance(json: unknown): string[] {
  const machine = recordedMachine(json);
  if (machine === undefined) return [];
  const describe = machine['gitDescribe'];
  const code = typeof describe === 'string' ? `\`${describe}\`` : 'not recorded (not made in a git clone)';
  const dirty = isDirtyDescribe(describe) ? ': not made from a commit; make it again from a clean tree' : '';
  return [`Machine: ${describeMachine(machine as unknown as MachineInfo)}.`, `Code: ${code}${dirty}.`];
}

/** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** A Markdown link to a file or folder of docs/results/. */
function fileLink(file: string): string {
  return `[${file}](${file.endsWith('/') ? file : encodeURI(file)})`;
}

/** Why a source is not in order: files missing, an older command, a dirty tree. */
function problems(source: ResultSource): string[] {
  const found: string[] = [];
  const missing = source.files.filter((f) => !f.present).map((f) => f.path);
  if (missing.length === source.files.length) found.push('not made yet');
  else if (missing.length > 0) found.push(`missing ${missing.join(', ')}`);
  if (source.madeBy !== null && source.madeBy !== source.command) found.push('made by an older command');
  const json = source.json;
  const dirtyJson =
    json !== null && !(json instanceof Error) && isDirtyDescribe(recordedMachine(json)?.['gitDescribe']);
  if (source.dirtyText || dirtyJson) found.push('not made from a commit');
  if (source.json instanceof Error) found.push('its JSON cannot be read');
  return found;
}

function renderSource(source: ResultSource): string {
  const parts = [`## ${source.name}`, `**What**: ${source.about}.`];
  parts.push(`\`\`\`sh\n${source.command}\n\`\`\``);
  const present = source.files.filter((f) => f.present).map((f) => fileLink(f.path));
  const notYet = `Not made yet: run \`npm run results -- --only ${source.name}\`.`;
  parts.push(present.length === 0 ? notYet : `Files: ${present.join(', ')}.`);
  if (source.reads.length > 0) parts.push(`Reads: ${source.reads.map(fileLink).join(', ')}.`);
  if (source.madeBy !== null && source.madeBy !== source.command) {
    parts.push(`Its .txt was made by another command, \`${source.madeBy}\`: make it again.`);
  }
  const json = source.json;
  if (json instanceof Error) parts.push(`Its JSON cannot be read: ${json.message}.`);
  else if (json !== null) {
    parts.push(renderProvenance(json).join('\n'));
    parts.push(...renderHeadlines(json));
  }
  return parts.join('\n\n');
}

/** The whole of docs/results/README.md for these sources, in their order. */
export function renderResultsReadme(sources: readonly ResultSource[]): string {
  const header = [
    '# Results',
    'Generated by `npm run results` (scripts/results-readme.ts) from the files in this folder; do not edit it: ' +
      '`npm run results -- --readme-only` makes it again from the files present. Each section names the ' +
      'command that makes a result, the machine it ran on and the commit it was made from, then its headline ' +
      'figures; the files hold every column. What the columns mean: [docs/bench.md](../bench.md).',
  ];
  const troubled = new Map<string, string[]>();
  for (const s of sources) for (const p of problems(s)) troubled.set(p, [...(troubled.get(p) ?? []), s.name]);
  if (troubled.size > 0) {
    const list = [...troubled].map(([problem, names]) => `${problem}: ${names.join(', ')}`).join('; ');
    header.push(`**Not ready to commit**: ${list}. Run \`npm run results\` from a clean tree.`);
  }
  const index = renderMarkdownTable(
    ['result', 'what it is'],
    sources.map((s) => [`[${s.name}](#${anchorOf(s.name)})`, s.about]),
    ['left', 'left'],
  );
  return `${[...header, index, ...sources.map(renderSource)].join('\n\n')}\n`;
}

/** Reads what `dir` holds of each entry. */
export function loadResultSources(dir: string, entries: readonly ResultCommand[]): ResultSource[] {
  return entries.map((entry) => {
    const files = madeFiles(entry).map((file) => ({ path: file, present: fs.existsSync(path.join(dir, file)) }));
    const txt = path.join(dir, `${entry.name}.txt`);
    const lines = fs.existsSync(txt) ? fs.readFileSync(txt, 'utf8').split('\n') : null;
    const dirtyText = lines?.[0]?.startsWith(`# ${DIRTY_NOTE}`) === true;
    const first = lines === null ? null : ((dirtyText ? lines[1] : lines[0]) ?? '');
    const jsonPath = path.join(dir, `${entry.name}.json`);
    let json: unknown = null;
    if (files.some((f) => f.path === `${entry.name}.json` && f.present)) {
      try {
        json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as unknown;
      } catch (error) {
        json = new Error(error instanceof Error ? error.message : String(error));
      }
    }
    return {
      name: entry.name,
      about: entry.about,
      command: commandLine(entry),
      madeBy: first === null ? null : first.startsWith('$ ') ? first.slice(2) : first,
      dirtyText,
      files,
      json,
      reads: entry.script === 'compare' ? entry.args.filter((arg) => arg.endsWith('.json')) : [],
    };
  });
}
