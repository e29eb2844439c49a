/**
 * `npm run compare` and `npm run ab` with their confidence intervals: each point's ratio, its
 * interval and verdict from the rounds (unpaired for compare, paired by round for ab), the
 * `--json` of compare, and `--confidence`.
 * Runs against the compiled code: `npx tsc -p tsconfig.json` first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import type { RunResult } from '../dist/src/report/result.js';
import { makeRun, resultFile } from './helpers/fixtures.js';
import { compareJson, comparePoints, compareResults } from '../dist/src/report/compare.js';
import { abPoints, renderAb } from '../dist/src/report/ab.js';
import { writeResultFile } from '../dist/src/report/result-file.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-compare-ab-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A point whose rounds ran at `rounds` IOPS (the point's own figures: the median round's). */
function point(rounds: readonly number[], overrides: Partial<RunResult> = {}): RunResult {
  const samples = rounds.map((iops) => makeRun({ ...overrides, iops }));
  const median = [...rounds].sort((x, y) => x - y)[Math.floor((rounds.length - 1) / 2)]!;
  return rounds.length === 1
    ? makeRun({ ...overrides, iops: median })
    : makeRun({ ...overrides, iops: median, repeats: rounds.length, samples });
}

/** The cells of a table line (columns are two or more spaces apart; no cell holds two spaces). */
function cells(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}

/** The table's rows of compare's output (after the header, before the legend), split in cells. */
function compareRows(out: string): string[][] {
  return out
    .split('\n\n')[1]!
    .split('\n')
    .filter((line) => line !== '')
    .map(cells);
}

/** Runs `dist/bench/<script>` in `tmp`, as `npm run` would there. */
function cli(script: string, args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bench', script), ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, INIT_CWD: tmp, VBLK_DEBUG: '', VBLK_FAILPOINTS: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

const file = (runs: RunResult[], cpuModel = 'Test CPU 9000') => resultFile(runs, { cpuModel });

/** What a point's ratio, interval ends and verdict come to, to 12 decimals (logs and exp round in the last bits). */
interface Interval {
  ratio: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  verdict: string | null;
}

function expectInterval(p: Interval | undefined, ratio: number, ciLow: number, ciHigh: number, verdict: string): void {
  expect(p).toBeDefined();
  expect(p!.ratio).toBeCloseTo(ratio, 12);
  expect(p!.ciLow).toBeCloseTo(ciLow, 12);
  expect(p!.ciHigh).toBeCloseTo(ciHigh, 12);
  expect(p!.verdict).toBe(verdict);
}

describe('compare: each column against the first, with its interval and verdict', () => {
  it('calls identical rounds "~", with an interval around 1x', () => {
    const a = file([point([100_000, 110_000, 90_000])]);
    const b = file([point([100_000, 110_000, 90_000])]);
    const [p] = comparePoints([
      { label: 'a.json', file: a },
      { label: 'b.json', file: b },
    ]);
    expect(p!.ratio).toBeCloseTo(1, 12);
    expect(p!.verdict).toBe('~');
    expect(p!.ciLow!).toBeLessThan(1);
    expect(p!.ciHigh!).toBeGreaterThan(1);
    expect(p!.rounds).toBe(3);
    expect(p!.level).toBe(0.95);
    const out = compareResults([
      { label: 'a.json', file: a },
      { label: 'b.json', file: b },
    ]);
    const row = compareRows(out)[1]!;
    expect(row.slice(0, -1)).toEqual(['sq', 'spin', '32', '1', '100k', '100k']);
    expect(row.at(-1)).toMatch(/^1\.00x \[0\.\d\dx\.\.1\.\d\dx\] ~$/);
  });

  it('calls rounds exactly 2x "faster": with no spread on either side the interval is [2x, 2x]', () => {
    const a = file([point([100_000, 100_000, 100_000])]);
    const b = file([point([200_000, 200_000, 200_000])]);
    const files = [
      { label: 'a.json', file: a },
      { label: 'b.json', file: b },
    ];
    const [p] = comparePoints(files);
    expectInterval(p, 2, 2, 2, 'faster');
    expect(p!.rounds).toBe(3);
    expect(compareRows(compareResults(files))[1]!.at(-1)).toBe('2.00x [2.00x..2.00x] faster');
    // And the other way round, slower.
    const [back] = comparePoints([files[1]!, files[0]!]);
    expectInterval(back, 0.5, 0.5, 0.5, 'slower');
  });

  it('calls 2x with some spread "faster" too, its interval around 2x', () => {
    const [p] = comparePoints([
      { label: 'a.json', file: file([point([100_000, 110_000, 90_000])]) },
      { label: 'b.json', file: file([point([200_000, 220_000, 180_000])]) },
    ]);
    expect(p!.ratio).toBeCloseTo(2, 12);
    expect(p!.verdict).toBe('faster');
    expect(p!.ciLow!).toBeGreaterThan(1);
    expect(p!.ciLow!).toBeLessThan(2);
    expect(p!.ciHigh!).toBeGreaterThan(2);
  });

  it('gives no interval when a file ran the point once: "need >= 2 rounds"', () => {
    const files = [
      { label: 'a.json', file: file([point([100_000])]) },
      { label: 'b.json', file: file([point([120_000, 120_000, 120_000])]) },
    ];
    const [p] = comparePoints(files);
    expect(p).toMatchObject({ ciLow: null, ciHigh: null, verdict: null, need: 2, rounds: 1 });
    expect(p!.ratio).toBeCloseTo(1.2, 12);
    expect(compareRows(compareResults(files))[1]!.at(-1)).toBe('1.20x (need >= 2 rounds)');
  });

  it('puts every later column of 3 files against the first, and says how to read them', () => {
    const files = ['a', 'b', 'c'].map((label, i) => ({
      label: `${label}.json`,
      file: file([point([100_000 * (i + 1), 100_000 * (i + 1)])]),
    }));
    const out = compareResults(files);
    const rows = compareRows(out);
    expect(rows[0]).toEqual([
      ...['mode', 'lock', 'iodepth', 'jobs'],
      ...['#1 a.json 8cpu', '#2 b.json 8cpu', '#3 c.json 8cpu', '#2/#1', '#3/#1'],
    ]);
    expect(rows[1]).toEqual([
      ...['sq', 'spin', '32', '1', '100k', '200k', '300k'],
      ...['2.00x [2.00x..2.00x] faster', '3.00x [3.00x..3.00x] faster'],
    ]);
    expect(out).toContain('95% confidence interval');
    expect(out).toContain("Welch's t-interval");
    expect(compareResults(files, 0.9)).toContain('90% confidence interval');
    const points = comparePoints(files);
    expect(points.map((p) => [p.a, p.b])).toEqual([
      ['a.json', 'b.json'],
      ['a.json', 'c.json'],
    ]);
    expectInterval(points[0], 2, 2, 2, 'faster');
    expectInterval(points[1], 3, 3, 3, 'faster');
  });

  it('keeps the machine header of each file, its wake-up cost included', () => {
    const a = resultFile([point([1, 2])], {
      cpuModel: 'Intel Xeon',
      wakeup: { sameCoreUs: 4.2, crossCoreUs: 22, unpinnedUs: null, spinHandoffUs: 0.1 },
    });
    const b = resultFile([point([1, 2])], {
      cpuModel: 'AMD EPYC',
      wakeup: { sameCoreUs: 6.8, crossCoreUs: 16, unpinnedUs: null, spinHandoffUs: 0.06 },
    });
    const head = compareResults([
      { label: 'a.json', file: a },
      { label: 'b.json', file: b },
    ]).split('\n\n')[0]!;
    expect(head).toContain('Intel Xeon, 8 cpus (8 available), node v20.20.2, linux; wake-up 4.2 us same core, 22 us');
    expect(head).toContain('AMD EPYC, 8 cpus (8 available), node v20.20.2, linux; wake-up 6.8 us same core, 16 us');
  });

  it('leaves a round of IOPS 0 without an interval, with the plain ratio', () => {
    const [p] = comparePoints([
      { label: 'a.json', file: file([point([100_000, 100_000])]) },
      { label: 'b.json', file: file([point([0, 0])]) },
    ]);
    expect(p).toMatchObject({ ratio: 0, ciLow: null, ciHigh: null, verdict: null });
    expect(p!.need).toBeUndefined();
  });
});

describe('ab: b/a paired by round', () => {
  it('calls rounds with b_i = 2 a_i "faster", its interval [2x, 2x], though the rounds drift', () => {
    const [p] = abPoints([point([100_000, 130_000, 70_000])], [point([200_000, 260_000, 140_000])]);
    expectInterval(p, 2, 2, 2, 'faster');
    expect(p).toMatchObject({ rounds: 3, level: 0.95 });
    // worst..best stays in the JSON: slowest b over fastest a, fastest b over slowest a.
    expect(p!.min).toBeCloseTo(140_000 / 130_000, 12);
    expect(p!.max).toBeCloseTo(260_000 / 70_000, 12);
    const out = renderAb([p!]);
    const [header, row] = out.split('\n').map(cells);
    expect(header).toContain('b/a');
    expect(header).not.toContain('worst..best');
    expect(row).toContain('2.00x [2.00x..2.00x] faster');
    expect(out).toContain('95% confidence interval');
    expect(out).toContain('verdicts: 1 faster');
  });

  it('calls mixed rounds "~"', () => {
    const [p] = abPoints([point([100_000, 100_000, 100_000])], [point([150_000, 70_000, 100_000])]);
    expect(p!.verdict).toBe('~');
    expect(p!.ciLow!).toBeLessThan(1);
    expect(p!.ciHigh!).toBeGreaterThan(1);
    expect(p!.ratio).toBeCloseTo(Math.cbrt(1.5 * 0.7), 12);
  });

  it('pairs the first rounds when a stop cut one variant short, and needs 2 pairs for an interval', () => {
    const [p] = abPoints([point([100_000, 120_000, 50_000])], [point([110_000, 132_000])]);
    expectInterval(p, 1.1, 1.1, 1.1, 'faster');
    expect(p!.rounds).toBe(2);
    const [once] = abPoints([point([100_000])], [point([150_000])]);
    expect(once).toMatchObject({ ciLow: null, ciHigh: null, verdict: null, need: 2, rounds: 1 });
    expect(once!.ratio).toBeCloseTo(1.5, 12);
    expect(renderAb([once!])).toContain('1.50x (need >= 2 rounds)');
  });

  it('gives the intervals at another level', () => {
    const a = [point([100_000, 110_000, 90_000])];
    const b = [point([120_000, 121_000, 100_000])];
    const [at95] = abPoints(a, b);
    const [at90] = abPoints(a, b, 0.9);
    expect(at90!.level).toBe(0.9);
    expect(at90!.ciHigh! - at90!.ciLow!).toBeLessThan(at95!.ciHigh! - at95!.ciLow!);
    expect(renderAb([at90!])).toContain('90% confidence interval');
  });
});

describe('npm run compare --json and --confidence', () => {
  const a = file([point([100_000, 100_000, 100_000]), point([300_000, 330_000], { jobs: 4 })]);
  const b = file([point([200_000, 200_000, 200_000]), point([310_000], { jobs: 4 })]);
  writeResultFile(path.join(tmp, 'a.json'), a);
  writeResultFile(path.join(tmp, 'b.json'), b);

  it('writes each point of the later column against the first, with its interval and verdict', () => {
    const r = cli('compare.js', ['a.json', 'b.json', '--json', 'out.json']);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('vblk-mq: wrote out.json\n');
    expect(r.stdout).toContain('2.00x [2.00x..2.00x] faster');
    const json = JSON.parse(fs.readFileSync(path.join(tmp, 'out.json'), 'utf8'));
    expect(json).toEqual(compareJson([
      { label: 'a.json', file: a },
      { label: 'b.json', file: b },
    ]));
    expect(json.level).toBe(0.95);
    expect(json.files.map((f: { label: string }) => f.label)).toEqual(['a.json', 'b.json']);
    expect(json.points).toHaveLength(2);
    const [one, four] = json.points;
    expectInterval(one, 2, 2, 2, 'faster');
    expect({ ...one, ratio: 2, ciLow: 2, ciHigh: 2 }).toEqual({
      mode: 'sq',
      lock: 'spin',
      iodepth: 32,
      jobs: 1,
      cpus: 8,
      aCpus: 8,
      a: 'a.json',
      b: 'b.json',
      aIops: 100_000,
      bIops: 200_000,
      ratio: 2,
      ciLow: 2,
      ciHigh: 2,
      level: 0.95,
      rounds: 3,
      verdict: 'faster',
    });
    expect(four).toMatchObject({ jobs: 4, aIops: 300_000, bIops: 310_000, ciLow: null, ciHigh: null });
    expect(four).toMatchObject({ verdict: null, need: 2, rounds: 1, level: 0.95 });
    expect(four.ratio).toBeCloseTo(310_000 / Math.sqrt(300_000 * 330_000), 12);
  });

  it('takes --confidence 0.9', () => {
    const r = cli('compare.js', ['a.json', 'b.json', '--confidence', '0.9', '--json', 'out90.json']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('90% confidence interval');
    const json = JSON.parse(fs.readFileSync(path.join(tmp, 'out90.json'), 'utf8'));
    expect(json.level).toBe(0.9);
    expect(json.points.map((p: { level: number }) => p.level)).toEqual([0.9, 0.9]);
  });

  it.each([
    ['1.5', 'compare: --confidence must be a level between 0 and 1, such as 0.95, got "1.5"'],
    ['0', 'compare: --confidence must be a level between 0 and 1, such as 0.95, got "0"'],
    ['1', 'compare: --confidence must be a level between 0 and 1, such as 0.95, got "1"'],
    ['95%', 'compare: --confidence must be a level between 0 and 1, such as 0.95, got "95%"'],
  ])('--confidence %s: exit 2, one line, nothing written', (level, message) => {
    const out = path.join(tmp, `bad-${level}.json`);
    const r = cli('compare.js', ['a.json', 'b.json', '--confidence', level, '--json', out]);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`vblk-mq: ${message}\n`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--json into a missing folder: exit 2, one line, nothing printed', () => {
    const r = cli('compare.js', ['a.json', 'b.json', '--json', 'no-such-folder/out.json']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^vblk-mq: --json: folder "no-such-folder" does not exist[^\n]*\n$/);
  });

  it('documents both options in --help', () => {
    const r = cli('compare.js', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--confidence LEVEL');
    expect(r.stdout).toContain('--json FILE');
  });
});

describe('npm run ab --confidence', () => {
  it('a level out of (0, 1): exit 2, one line, before any bench runs', () => {
    // `--jobs 0` would be refused too, had --confidence been taken: no bench can start either way.
    const r = cli('ab.js', ['--a', '', '--b', '', '--confidence', '1.5', '--', '--jobs', '0']);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('vblk-mq: ab: --confidence must be a level between 0 and 1, such as 0.95, got "1.5"\n');
  });

  it('documents --confidence in --help', () => {
    const r = cli('ab.js', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--confidence LEVEL');
  });
});
