/**
 * The report layer: formatting, tables, terminal chart, SVG, result files, compare and its CLI.
 * Runs against the compiled code: `npx tsc -p tsconfig.json` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunResult } from '../dist/src/report/result.js';
import { lock, machine, makeRun, resultFile, settings } from './helpers/fixtures.js';
import {
  formatBytesPerSec,
  formatCount,
  formatNs,
  formatPercent,
  formatRatio,
  formatTick,
} from '../dist/src/report/format.js';
import { renderRunLine, renderRunTable } from '../dist/src/report/table.js';
import { renderModeRatios } from '../dist/src/report/ratios.js';
import { groupSeries, niceScale, renderTerminalChart } from '../dist/src/report/chart.js';
import { renderSvg } from '../dist/src/report/svg.js';
import { compareResults } from '../dist/src/report/compare.js';
import { abPoints, geometricMean, renderAb } from '../dist/src/report/ab.js';
import { readResultFile, writeResultFile } from '../dist/src/report/result-file.js';
import { describeSettings, recordSettings } from '../dist/src/report/settings.js';
import { point } from './helpers/point.js';

const COMPARE_CLI = fileURLToPath(new URL('../dist/bench/compare.js', import.meta.url));

/** The cells of a table line (columns are two or more spaces apart; no cell holds two spaces). */
function cells(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

describe('format', () => {
  it('scales counts to 3 significant digits', () => {
    expect(formatCount(1_234_567)).toBe('1.23M');
    expect(formatCount(45_678)).toBe('45.7k');
    expect(formatCount(850)).toBe('850');
    expect(formatCount(999_999)).toBe('1.00M');
    expect(formatCount(Number.NaN)).toBe('-');
    expect(formatTick(1_000_000)).toBe('1M');
    expect(formatTick(2_500_000)).toBe('2.5M');
  });

  it('scales durations, bandwidths, percentages and ratios', () => {
    expect(formatNs(850)).toBe('850ns');
    expect(formatNs(12_900)).toBe('12.9us');
    expect(formatNs(8_100_000)).toBe('8.1ms');
    expect(formatNs(999_960)).toBe('1.0ms');
    expect(formatBytesPerSec(100_000 * 4096)).toBe('390.6MiB/s');
    expect(formatBytesPerSec(512)).toBe('512B/s');
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatRatio(2.345)).toBe('2.35x');
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe('-');
  });
});

describe('renderRunTable', () => {
  const runs = [
    makeRun({
      iops: 1_234_567,
      locks: [
        lock({ acquisitions: 600, contentions: 60, waitNsMax: 70_000 }),
        lock({ acquisitions: 400, contentions: 40 }),
      ],
    }),
    makeRun({ mode: 'mq', lock: 'none', jobs: 4, iothreads: 4, locks: [] }),
    makeRun({ mode: 'mq', lock: 'adaptive', jobs: 2, locks: [lock({ contentions: 0, waitNsTotal: 0, waitNsMax: 0 })] }),
  ];
  const table = lines(renderRunTable(runs));
  const header = cells(table[0]!);

  it('has a header and one row per run, every row as wide as the header', () => {
    expect(table).toHaveLength(runs.length + 1);
    expect(header).toEqual([
      'mode',
      'lock',
      'cpus',
      'jobs',
      'iodepth',
      'iothreads',
      'devices',
      'IOPS',
      'BW',
      'slat p50',
      'slat p99',
      'clat p50',
      'clat p99',
      'lat p50',
      'lat p99',
      'p99.9',
      'max',
      'fairness',
      'contention',
      'avg wait',
      'max wait',
      'spins',
      'parks',
      'cpu/req v/io/dev',
      'util v/io/dev',
      'runq v/io/dev',
      'busiest',
      'csw vol',
      'csw invol',
    ]);
    for (const row of table.slice(1)) expect(cells(row)).toHaveLength(header.length);
  });

  it('aligns columns: right-aligned cells end where their header ends', () => {
    const end = table[0]!.indexOf('IOPS') + 'IOPS'.length;
    for (const row of table.slice(1)) expect(row[end - 1]).not.toBe(' ');
  });

  it('formats figures and sums lock figures over the run’s locks', () => {
    const row = Object.fromEntries(cells(table[1]!).map((cell, i) => [header[i], cell]));
    expect(row).toMatchObject({
      mode: 'sq',
      lock: 'spin',
      cpus: '8',
      jobs: '1',
      iodepth: '32',
      IOPS: '1.23M',
      'slat p50': '200ns',
      'slat p99': '2.0us',
      'clat p50': '650ns',
      'clat p99': '10.9us',
      'lat p50': '850ns',
      'lat p99': '12.9us',
      'p99.9': '8.1ms',
      max: '2.5s',
      fairness: '0.998',
      contention: '10.0%',
      'avg wait': '4.0us',
      'max wait': '70.0us',
      spins: '10.0k',
      parks: '6',
      'csw vol': '12',
      'csw invol': '3.46k',
    });
  });

  it('shows "-" for runs without locks and for an average over no contentions', () => {
    const contention = header.indexOf('contention');
    const none = cells(table[2]!);
    expect(none.slice(contention, contention + 5)).toEqual(['-', '-', '-', '-', '-']);
    const uncontended = cells(table[3]!);
    expect(uncontended[contention]).toBe('0.0%');
    expect(uncontended[contention + 1]).toBe('-');
  });
});

describe('renderModeRatios', () => {
  it('divides mq IOPS by sq IOPS at the same lock, cpus, jobs and iodepth', () => {
    const runs = [
      makeRun({ mode: 'sq', jobs: 2, iops: 100_000 }),
      makeRun({ mode: 'sq', jobs: 1, iops: 80_000 }),
      makeRun({ mode: 'mq', jobs: 1, iops: 40_000 }),
      makeRun({ mode: 'mq', jobs: 2, iops: 250_000 }),
      makeRun({ mode: 'mq', jobs: 4, iops: 500_000 }), // no sq partner
      makeRun({ mode: 'mq', jobs: 2, iops: 999_999, iodepth: 1 }), // another iodepth: no partner
      makeRun({ mode: 'mq', jobs: 2, iops: 999_999, lock: 'ticket' }), // another lock: no partner
    ];
    const out = lines(renderModeRatios(runs, 0.95));
    expect(out[0]).toBe('mq/sq, lock spin, 8 cpus, iodepth 32, 1 paired round');
    expect(cells(out[1]!)).toEqual(['jobs', 'sq IOPS', 'mq IOPS', 'mq/sq [95% interval]']);
    // One round each: the ratio, and no interval yet.
    expect(out.slice(2).map(cells)).toEqual([
      ['1', '80.0k', '40.0k', '0.50x (need >= 2 rounds)'],
      ['2', '100k', '250k', '2.50x (need >= 2 rounds)'],
    ]);
  });

  it('makes one table per lock and cpus', () => {
    const runs = ['spin', 'ticket'].flatMap((l) =>
      [4, 8].flatMap((cpus) => [
        makeRun({ lock: l as RunResult['lock'], cpus }),
        makeRun({ mode: 'mq', lock: l as RunResult['lock'], cpus, iops: 300_000 }),
      ]),
    );
    const titles = lines(renderModeRatios(runs, 0.95)).filter((line) => line.startsWith('mq/sq'));
    expect(titles).toHaveLength(4);
  });

  it('returns an empty string when no sq run has an mq partner', () => {
    expect(renderModeRatios([makeRun({ mode: 'sq' }), makeRun({ mode: 'mq', jobs: 2 })], 0.95)).toBe('');
    expect(renderModeRatios([], 0.95)).toBe('');
  });
});

describe('renderRunLine', () => {
  it('summarises a run on one line', () => {
    const line = renderRunLine(makeRun({ mode: 'mq', jobs: 4, iops: 1_234_567 }));
    expect(line).not.toContain('\n');
    expect(line).toContain('mq');
    expect(line).toContain('jobs=4');
    expect(line).toContain('1.23M IOPS');
  });
});

describe('groupSeries and niceScale', () => {
  it('groups by mode, lock and cpus and sorts each series by jobs', () => {
    const series = groupSeries([
      makeRun({ jobs: 2 }),
      makeRun({ mode: 'mq', jobs: 1 }),
      makeRun({ jobs: 1 }),
      makeRun({ jobs: 1, cpus: 4 }),
    ]);
    expect(series.map((s) => s.label)).toEqual(['sq spin, 8 cpus', 'mq spin, 8 cpus', 'sq spin, 4 cpus']);
    expect(series[0]!.runs.map((r) => r.jobs)).toEqual([1, 2]);
  });

  it('covers the maximum with round ticks from 0', () => {
    expect(niceScale(1_000_000, 4)).toEqual({ max: 1_000_000, ticks: [0, 250_000, 500_000, 750_000, 1_000_000] });
    expect(niceScale(1_230_000, 4).max).toBe(1_500_000);
    expect(niceScale(0, 4).max).toBe(1);
  });
});

describe('renderTerminalChart', () => {
  /** Plot lines: those with the y axis. */
  const plotLines = (chart: string) =>
    chart.split('\n').filter((line) => /^\s*\S*\s[|+]/.test(line) && !/\+-/.test(line));

  it('is empty without runs', () => {
    expect(renderTerminalChart([])).toBe('');
  });

  it('draws one point, labelled axes and a legend', () => {
    const chart = renderTerminalChart([makeRun({ iops: 123_456 })]);
    expect(chart).toContain('IOPS');
    expect(chart).toContain('fio jobs (vCPUs)');
    expect(chart).toMatch(/^\s+A {2}sq spin, 8 cpus$/m);
    expect(plotLines(chart).join('\n').match(/A/g)).toHaveLength(1);
  });

  it('stays about 60x15 characters plus the legend', () => {
    const runs = [1, 2, 3, 4, 5, 6, 7, 8].map((jobs) => makeRun({ jobs }));
    const chart = renderTerminalChart(runs);
    const all = chart.split('\n');
    expect(Math.max(...all.map((line) => line.length))).toBeLessThanOrEqual(72);
    expect(plotLines(chart).length).toBeGreaterThanOrEqual(12);
    expect(plotLines(chart).length).toBeLessThanOrEqual(16);
    expect(plotLines(chart).join('\n').match(/A/g)).toHaveLength(8);
  });

  it('draws a series with all IOPS equal, and all IOPS zero', () => {
    for (const iops of [5000, 0]) {
      const chart = renderTerminalChart([1, 2, 4].map((jobs) => makeRun({ jobs, iops })));
      expect(plotLines(chart).join('\n').match(/A/g)).toHaveLength(3);
      expect(chart).not.toMatch(/NaN|Infinity|undefined/);
    }
  });

  it('gives each of many series its own letter and marks coinciding points', () => {
    const runs = Array.from({ length: 30 }, (_, i) =>
      makeRun({ cpus: i + 1, jobs: 1 + (i % 8), iops: 10_000 * (i + 1) }),
    );
    const chart = renderTerminalChart(runs);
    expect(chart).toMatch(/^\s+d {2}sq spin, 30 cpus$/m);
    const same = renderTerminalChart([makeRun(), makeRun({ mode: 'mq' })]);
    expect(same).toContain('*  several series');
  });
});

describe('renderSvg', () => {
  const runs = [1, 2, 4, 8].flatMap((jobs) => [
    makeRun({ jobs }),
    makeRun({ mode: 'mq', jobs, iops: 180_000 * jobs }),
    makeRun({ mode: 'mq', lock: 'none', jobs, iops: 200_000 * jobs, locks: [] }),
  ]);

  /** Checks that tags nest; returns the names of the elements seen. */
  function checkNesting(svg: string): string[] {
    const stack: string[] = [];
    const seen: string[] = [];
    for (const [, close, name, selfClose] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (close === '/') expect(stack.pop()).toBe(name);
      else {
        seen.push(name!);
        if (selfClose !== '/') stack.push(name!);
      }
    }
    expect(stack).toEqual([]);
    return seen;
  }

  it('is a self-contained SVG document with a polyline per series and panel', () => {
    const svg = renderSvg(runs, 'IOPS against jobs', machine({ cpuModel: 'EPYC 7B13', cpus: 16 }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).not.toMatch(/<script|@import|href=/);
    const elements = checkNesting(svg);
    // Three series in the IOPS panel; the two with locks in each of the two lock panels.
    expect(elements.filter((name) => name === 'polyline')).toHaveLength(3 + 2 + 2);
    for (const text of ['fio jobs (vCPUs)', '>IOPS (median', 'EPYC 7B13', '16 cpus', 'v20.20.2', 'mq none, 8 cpus'])
      expect(svg).toContain(text);
  });

  it('escapes text', () => {
    const svg = renderSvg(runs, 'sq <vs> mq & "friends"', machine({ cpuModel: 'A<B>' }));
    expect(svg).not.toContain('<vs>');
    expect(svg).not.toContain('A<B>');
    expect(svg).toContain('sq &#60;vs&#62; mq &#38; &#34;friends&#34;');
    checkNesting(svg);
  });

  it('draws one point and no runs', () => {
    const one = renderSvg([makeRun()], 'one');
    expect(one).not.toMatch(/NaN|Infinity|undefined/);
    expect(checkNesting(one).filter((name) => name === 'polyline')).toHaveLength(3);
    const none = renderSvg([], 'none');
    expect(none.startsWith('<svg')).toBe(true);
    expect(none).toContain('no runs');
    checkNesting(none);
  });
});

describe('result files and compare', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vblk-report-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const intel = resultFile(
    [1, 2, 4].flatMap((jobs) => [
      makeRun({ jobs, iops: 100_000 }),
      makeRun({ mode: 'mq', jobs, iops: 100_000 * jobs }),
    ]),
    { cpuModel: 'Intel Xeon', cpus: 8 },
  );
  const amd = resultFile(
    [1, 2, 8].flatMap((jobs) => [
      makeRun({ jobs, iops: 150_000, cpus: 16 }),
      makeRun({ mode: 'mq', jobs, iops: 200_000 * jobs, cpus: 16 }),
    ]),
    { cpuModel: 'AMD EPYC', cpus: 16 },
  );

  it('writes atomically and reads back', () => {
    const file = path.join(dir, 'round.json');
    writeResultFile(file, intel);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect(readResultFile(file)).toEqual(intel);
  });

  it("writes kind 'bench' at the top, reads a file made before kinds, and refuses another kind", () => {
    const file = path.join(dir, 'kinds.json');
    writeResultFile(file, intel);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))[0]).toBe('kind');
    const { kind: _kind, ...older } = intel;
    writeFileSync(file, JSON.stringify(older));
    expect(readResultFile(file)).toEqual(older);
    writeFileSync(file, JSON.stringify({ ...intel, kind: 'ab' }));
    const refused = `compare: "${file}" is not a vblk-mq result file of schema 3 (found kind "ab")`;
    expect(() => readResultFile(file)).toThrow(refused);
  });

  it('rejects a missing file, a non-JSON file and another schema with one-line messages', () => {
    const missing = path.join(dir, 'missing.json');
    expect(() => readResultFile(missing)).toThrow(`compare: cannot read "${missing}": no such file`);
    try {
      readResultFile(missing);
    } catch (error) {
      // The command lines turn it into a usage error (exit status 2): see the CLI tests below.
      expect((error as Error).name).toBe('ResultFileError');
    }

    const text = path.join(dir, 'text.json');
    writeFileSync(text, 'not json {');
    expect(() => readResultFile(text)).toThrow(`compare: "${text}" is not JSON`);

    const schema7 = path.join(dir, 'schema7.json');
    writeFileSync(schema7, JSON.stringify({ ...intel, schema: 7 }));
    expect(() => readResultFile(schema7)).toThrow(
      `compare: "${schema7}" is not a vblk-mq result file of schema 3 (found schema 7)`,
    );

    // A file of the schema before (latencies from another histogram, no bins) is refused the same way.
    const schema2 = path.join(dir, 'schema2.json');
    const { bins: _bins, ...unbinned } = makeRun().latNs;
    const oldRun = { ...makeRun(), slatNs: unbinned, clatNs: unbinned, latNs: unbinned, latDistribution: {} };
    writeFileSync(schema2, JSON.stringify({ ...intel, schema: 2, runs: [oldRun] }));
    expect(() => readResultFile(schema2)).toThrow(
      `compare: "${schema2}" is not a vblk-mq result file of schema 3 (found schema 2)`,
    );

    const noRuns = path.join(dir, 'noruns.json');
    writeFileSync(noRuns, JSON.stringify({ schema: 3, machine: machine() }));
    expect(() => readResultFile(noRuns)).toThrow(
      `compare: "${noRuns}" is not a vblk-mq result file of schema 3 (no "runs" array)`,
    );

    const badRun = path.join(dir, 'badrun.json');
    writeFileSync(badRun, JSON.stringify({ ...intel, runs: [makeRun(), { mode: 'sq', lock: 'spin' }] }));
    expect(() => readResultFile(badRun)).toThrow(/\(run 1 has no "jobs" number\)$/);
  });

  it('matches runs across files and divides every column by the first', () => {
    const out = compareResults([
      { label: 'intel.json', file: intel },
      { label: 'amd.json', file: amd },
    ]);
    const [head, table] = out.split('\n\n');
    expect(head).toContain('intel.json 8cpu');
    expect(head).toContain('Intel Xeon, 8 cpus (8 available), node v20.20.2');
    expect(head).toContain('AMD EPYC, 16 cpus (8 available), node v20.20.2');
    const rows = lines(table!).map(cells);
    expect(rows[0]).toEqual(['mode', 'lock', 'iodepth', 'jobs', '#1 intel.json 8cpu', '#2 amd.json 16cpu', '#2/#1']);
    expect(rows.slice(1)).toEqual([
      ['sq', 'spin', '32', '1', '100k', '150k', '1.50x (need >= 2 rounds)'],
      ['sq', 'spin', '32', '2', '100k', '150k', '1.50x (need >= 2 rounds)'],
      ['sq', 'spin', '32', '4', '100k', '-', '-'],
      ['sq', 'spin', '32', '8', '-', '150k', '-'],
      ['mq', 'spin', '32', '1', '100k', '200k', '2.00x (need >= 2 rounds)'],
      ['mq', 'spin', '32', '2', '200k', '400k', '2.00x (need >= 2 rounds)'],
      ['mq', 'spin', '32', '4', '400k', '-', '-'],
      ['mq', 'spin', '32', '8', '-', '1.60M', '-'],
    ]);
  });

  it('makes a column of every cpus value of a file', () => {
    const twoCpus = resultFile([makeRun({ cpus: 2, iops: 50_000 }), makeRun({ cpus: 4, iops: 100_000 })]);
    const rows = lines(compareResults([{ label: 'x.json', file: twoCpus }]).split('\n\n')[1]!).map(cells);
    expect(rows).toEqual([
      ['mode', 'lock', 'iodepth', 'jobs', '#1 x.json 2cpu', '#2 x.json 4cpu', '#2/#1'],
      ['sq', 'spin', '32', '1', '50.0k', '100k', '2.00x (need >= 2 rounds)'],
    ]);
  });

  /** Runs the compiled compare CLI in `dir`. */
  function compareCli(...args: string[]) {
    return spawnSync(process.execPath, [COMPARE_CLI, ...args], {
      cwd: dir,
      env: { ...process.env, INIT_CWD: dir, VBLK_DEBUG: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
  }

  it('CLI: a missing file exits 2 with one line on stderr and no stack trace', () => {
    const result = compareCli('missing.json');
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('vblk-mq: compare: cannot read "missing.json": no such file\n');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('CLI: no file and an unknown option exit 2; --help exits 0', () => {
    expect(compareCli().status).toBe(2);
    expect(compareCli('--bogus', 'a.json').status).toBe(2);
    const help = compareCli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npm run compare');
  });

  it('CLI: compares two files', () => {
    writeResultFile(path.join(dir, 'intel.json'), intel);
    writeResultFile(path.join(dir, 'amd.json'), amd);
    const result = compareCli('intel.json', 'amd.json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('#2 amd.json 16cpu');
    expect(result.stdout).toMatch(/^mq\s+spin\s+32\s+2\s+200k\s+400k\s+2\.00x \(need >= 2 rounds\)$/m);
    expect(readFileSync(path.join(dir, 'intel.json'), 'utf8')).toContain('"schema": 3');
    expect(result.stdout).toContain('settings: --bs 4k --iodepth-batch 1 ');
  });

  it('CLI: refuses files whose settings differ, unless --allow-mixed', () => {
    const batched = {
      ...amd,
      runs: amd.runs.map((run) => ({
        ...run,
        settings: settings({ batching: { submit: 32, completeMin: 1, completeMax: 1, iothreadPop: 1 } }),
      })),
    };
    writeResultFile(path.join(dir, 'intel.json'), intel);
    writeResultFile(path.join(dir, 'batched.json'), batched);
    const refused = compareCli('intel.json', 'batched.json');
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'vblk-mq: compare: intel.json and batched.json differ in --iodepth-batch 1 against 32, ' +
        'so their figures do not compare; add --allow-mixed to show them anyway\n',
    );
    const allowed = compareCli('--allow-mixed', 'intel.json', 'batched.json');
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('intel.json settings: --bs 4k --iodepth-batch 1 ');
    expect(allowed.stdout).toContain('batched.json settings: --bs 4k --iodepth-batch 32 ');
  });
});

describe('npm run ab: the two variants side by side', () => {
  const thread = (role: 'vcpu' | 'iothread' | 'nullblk', requests: number, cpuNs: number) => ({
    role,
    index: 0,
    tid: 1,
    windowNs: 1e9,
    requests,
    cpuNs,
    runqueueNs: 0,
    slices: 1,
    cpus: '0-1',
    waits: null,
    signals: 0,
    completions: 0,
  });
  /** A point's run whose worker threads spent `cpuNs` in all on `requests` reaped requests. */
  const point = (iops: number, cpuNs: number, jobs = 8) =>
    makeRun({ jobs, iops, threads: [thread('vcpu', 1000, cpuNs / 2), thread('iothread', 1000, cpuNs / 2)] });

  it('pairs the points, gives b/a of IOPS and of CPU per request, and their geometric means', () => {
    const a = [point(100_000, 2_000_000), point(200_000, 4_000_000, 1)];
    const b = [point(200_000, 1_000_000, 1), point(150_000, 2_200_000)];
    const points = abPoints(a, b);
    expect(points.map((p) => p.jobs)).toEqual([8, 1]);
    expect(points[0]!.ratio).toBeCloseTo(1.5, 12);
    expect(points[0]!.aCpuPerRequestNs).toBe(2000);
    expect(points[0]!.cpuRatio).toBeCloseTo(1.1, 12);
    expect(points[1]!.cpuRatio).toBeCloseTo(0.25, 12);
    expect(geometricMean(points, (p) => p.ratio)).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(renderAb(points)).toMatch(/b\/a CPU time per request 0\.52x/);
  });

  it('says so when the variants have no point in common', () => {
    expect(renderAb(abPoints([point(1, 1, 2)], [point(1, 1, 3)]))).toMatch(/no point in common/);
  });
});

describe('the settings of a result', () => {
  it("are recorded under the result file's names of schema 3, and read back as the options", () => {
    const recorded = recordSettings(point({ deviceThreads: 2, iothreadBatch: 4, guestNs: 500, breakdown: false }));
    expect(recorded).toEqual({
      bs: 4096,
      batching: { submit: 1, completeMin: 1, completeMax: 1, iothreadPop: 4 },
      deviceThreads: 2,
      work: { guestNs: 500, iothreadNs: 0 },
      completionNs: 0,
      pollMaxNs: 32768,
      memoryBacked: false,
      completionPath: 'iothread',
      lockSides: 'submit+pop',
      spinThreshold: 32768,
      breakdown: false,
      pin: 'none',
    });
    expect(describeSettings(recorded)).toBe(
      '--bs 4k --iodepth-batch 1 --iodepth-batch-complete-min 1 --iodepth-batch-complete-max 1 --iothread-batch 4 ' +
        '--device-threads 2 --guest-ns 500 --iothread-ns 0 --completion-ns 0 --poll-max-ns 32768 ' +
        '--memory-backed off --completion-path iothread --lock-sides submit+pop --spin-threshold 32768 --breakdown off',
    );
  });
});
