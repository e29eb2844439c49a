/**
 * `npm run results` without running a benchmark: its list (every file it makes), its one-line
 * refusals of bad arguments, what counts as a dirty tree, how an entry's files reach
 * docs/results/ (marked when the tree was dirty), and docs/results/README.md generated from fixed
 * result files (scripts/results-readme.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';

import { countsAsDirty, summariseDirt } from '../dist/scripts/git-tree.js';
import { RESULTS, commandArgs, madeFiles } from '../dist/scripts/results-list.js';
import { parseBenchArgs } from '../dist/src/cli/bench-args.js';
import {
  DIRTY_NOTE,
  isDirtyDescribe,
  loadResultSources,
  recordedMachine,
  renderResultsReadme,
  type ResultSource,
} from '../dist/scripts/results-readme.js';
import { publish } from '../dist/scripts/results-files.js';
import { abPoints, abVerdict } from '../dist/src/report/ab.js';
import type { RunResult } from '../dist/src/report/result.js';
import { makeRun, resultFile } from './helpers/fixtures.js';
import { makeTempDir, REPO_ROOT, type TempDir } from './helpers/commands.js';

const SCRIPT = path.join(REPO_ROOT, 'dist', 'scripts', 'results.js');

/** Runs the results script with `args`; never without an argument that stops it before any run. */
function results(args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
}

/** A point that ran once per IOPS value given: the median run, with every run as a sample. */
function point(mode: 'sq' | 'mq', jobs: number, iops: readonly number[], cpus = 2): RunResult {
  const samples = iops.map((value) => makeRun({ mode, jobs, cpus, iops: value }));
  const median = [...samples].sort((a, b) => a.iops - b.iops)[Math.floor((samples.length - 1) / 2)]!;
  return { ...median, repeats: samples.length, samples };
}

/** A source with its files present and made by its current command. */
function source(overrides: Partial<ResultSource> = {}): ResultSource {
  const name = overrides.name ?? 'sweep';
  return {
    name,
    about: 'a sweep for the test',
    command: `npm run bench -- --jobs 1,8 --json ${name}.json`,
    madeBy: `npm run bench -- --jobs 1,8 --json ${name}.json`,
    dirtyText: false,
    files: [`${name}.txt`, `${name}.json`].map((file) => ({ path: file, present: true })),
    json: null,
    reads: [],
    ...overrides,
  };
}

describe('npm run results: its command line', () => {
  it('--list names every entry, its command and the files it makes, then the README', () => {
    const r = results(['--list']);
    expect(r.status).toBe(0);
    for (const entry of RESULTS) {
      expect(r.stdout).toContain(`${entry.name}: ${entry.about}\n`);
      expect(r.stdout).toContain(`  makes ${madeFiles(entry).join(' ')}\n`);
    }
    expect(r.stdout).toContain('README.md: generated from the files above');
  });

  it.each([
    [['--bogus'], 'unknown option --bogus'],
    [['--only', 'no-such-result'], 'unknown no-such-result'],
    [['--only'], '--only needs a value'],
    [['stray'], 'unexpected argument'],
    [['--readme-only', '--only', RESULTS[0]!.name], '--readme-only runs nothing'],
  ])('%j: one line, exit status 2', (args, message) => {
    const r = results(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('makes a .txt for every entry, and the --fio-json folder of the entry that has one', () => {
    for (const entry of RESULTS) expect(madeFiles(entry)[0]).toBe(`${entry.name}.txt`);
    const fio = RESULTS.find((entry) => entry.fioJson !== undefined);
    if (fio !== undefined) expect(madeFiles(fio)).toContain(`${fio.fioJson}/`);
  });
});

describe('a dirty tree', () => {
  it.each([
    [' M src/ring/ring.ts', true],
    ['M  README.md', true],
    [' M docs/results/micro.json', true],
    ['?? src/sync/new-lock.ts', true],
    ['?? notes.txt', true],
    ['R  a.ts -> b.ts', true],
    ['?? docs/results/new-sweep.json', false],
    ['?? docs/results/fio-new/', false],
    ['?? "docs/results/odd name.txt"', false],
    ['', false],
  ])('%j counts as dirty: %s', (line, dirty) => {
    expect(countsAsDirty(line)).toBe(dirty);
  });

  it('is summed up in a few lines', () => {
    expect(summariseDirt([' M a.ts', '?? b.ts', ' M c.ts', ' M d.ts', ' M e.ts'])).toBe(
      'M a.ts, ?? b.ts, M c.ts and 2 more',
    );
  });
});

describe('docs/results/README.md, generated', () => {
  const runs = [
    point('sq', 1, [400_000, 460_000, 470_000]),
    point('mq', 1, [500_000, 510_000, 520_000]),
    point('sq', 4, [150_000, 160_000, 170_000]),
    point('mq', 4, [480_000, 490_000, 500_000]),
    point('sq', 8, [90_000, 100_000, 130_000]),
    point('mq', 8, [500_000, 520_000, 530_000]),
  ];
  const clean = resultFile(runs, { gitDescribe: 'abc1234' });
  const readme = renderResultsReadme([source({ json: clean })]);

  it('names the command, the files, the machine and the commit', () => {
    expect(readme).toContain('## sweep\n');
    expect(readme).toContain('```sh\nnpm run bench -- --jobs 1,8 --json sweep.json\n```');
    expect(readme).toContain('Files: [sweep.txt](sweep.txt), [sweep.json](sweep.json).');
    expect(readme).toContain('Machine: Test CPU 9000, 8 cpus (8 available), node v20.20.2, linux.');
    expect(readme).toContain('Code: `abc1234`.');
    expect(readme).not.toContain('Not ready to commit');
  });

  it("gives each series' median IOPS at its lowest and highest job count, with the range of its runs", () => {
    expect(readme).toContain('| sq | spin | 2 | 32 | 1 | 460k | 400k..470k |');
    expect(readme).toContain('| sq | spin | 2 | 32 | 8 | 100k | 90.0k..130k |');
    expect(readme).toContain('| mq | spin | 2 | 32 | 8 | 520k | 500k..530k |');
    expect(readme).not.toContain('| 4 |');
  });

  it('gives mq/sq at the highest job count with its interval, verdict and worst..best range, and the spread', () => {
    // Paired rounds 90k/500k, 100k/520k, 130k/530k: the geometric mean of the ratios is 4.90x, and
    // the t-interval on their logs (t = 4.303, df 2) runs from 3.27x to 7.35x.
    expect(readme).toContain('| spin | 2 | 32 | 8 | 4.90x [3.27x..7.35x] faster | 3.85x..5.89x |');
    expect(readme).toContain('Spread: 2 of 6 points had a run more than ±10% from the median IOPS;');
    expect(readme).toContain('the widest, sq spin 2 cpus jobs=8, ran from 90.0k to 130k.');
  });

  it('says when a result is not ready to commit: dirty, missing, or made by another command', () => {
    const text = renderResultsReadme([
      source({ name: 'dirty', json: resultFile(runs, { gitDescribe: 'abc1234-dirty' }) }),
      source({ name: 'marked', dirtyText: true }),
      source({ name: 'missing', files: [{ path: 'missing.txt', present: false }] }),
      source({ name: 'older', madeBy: 'npm run bench -- --jobs 1' }),
    ]);
    expect(text).toContain('**Not ready to commit**: not made from a commit: dirty, marked; not made yet: missing; ');
    expect(text).toContain('made by an older command: older.');
    expect(text).toContain('Code: `abc1234-dirty`: not made from a commit');
    expect(text).toContain('Not made yet: run `npm run results -- --only missing`.');
    expect(text).toContain('Its .txt was made by another command, `npm run bench -- --jobs 1`: make it again.');
  });

  it("gives bench:micro's targets and comparison, and the files a compare reads", () => {
    const micro = {
      schema: 1,
      machine: { cpus: 2, availableParallelism: 2, cpuModel: 'CPU', node: 'v22.0.0', platform: 'linux-x64' },
      options: { timeMs: 500 },
      results: [{ name: 'a', opsPerSec: 1 }],
      comparison: { against: 'ringbuf.js 0.4.0', pairs: 3, ours: [3e6, 4e6, 5e6], theirs: [2e6, 2.5e6, 3e6] },
      targets: [{ numerator: 'a', denominator: 'b', atLeast: 0.8, ratio: 0.87, pass: true }],
    };
    const text = renderResultsReadme([
      source({ name: 'micro', json: { ...micro, machine: { ...micro.machine, gitDescribe: 'v1.0' } } }),
      source({ name: 'cmp', reads: ['micro.json'] }),
    ]);
    expect(text).toContain('Cases: 1, 500 ms each');
    expect(text).toContain('| `a` | `b` | 0.87x | >= 0.8x | met |');
    expect(text).toContain('median 4.00M items/s (3.00M..5.00M) against 2.50M (2.00M..3.00M)');
    expect(text).toContain('Reads: [micro.json](micro.json).');
  });

  it('gives a bench-vs entry its points old against new, and the geometric means against their targets', () => {
    // Three rounds a point: new at 1.02x, 1.00x and 0.98x of old at 8 jobs, and at 1.1x at 1 job.
    const old = [point('sq', 8, [100_000, 110_000, 90_000]), point('mq', 1, [50_000, 52_000, 48_000])];
    const now = [point('sq', 8, [102_000, 110_000, 88_200]), point('mq', 1, [55_000, 57_200, 52_800])];
    // The fixtures' runs carry no thread figures: CPU per request comes as the file would hold it.
    const points = abPoints(old, now).map((p, i) => ({ ...p, cpuRatio: [1.02, 0.99][i]! }));
    const file = {
      kind: 'bench-vs',
      machine: { ...resultFile([]).machine, gitDescribe: 'def5678' },
      before: '58ed574',
      rounds: 3,
      argSets: [
        ['--jobs', '8', '--mode', 'sq'],
        ['--jobs', '1', '--mode', 'mq'],
      ],
      order: ['old round 1', 'new round 1', 'new round 2', 'old round 2', 'old round 3', 'new round 3'],
      runs: { old, new: now },
      points,
      verdict: abVerdict(points, { iopsAtLeast: 0.97, cpuAtMost: 1.03 }),
    };
    const text = renderResultsReadme([source({ name: 'vs', json: file })]);
    expect(text).toContain('Code: `def5678`.');
    expect(text).toContain('Old: `58ed574`, built from git archive; new: this tree. 3 rounds, old and new alternating');
    expect(text).toContain('each running the bench with `--jobs 8 --mode sq` and `--jobs 1 --mode mq`.');
    expect(text).toContain('| mode | lock | jobs | iodepth | old IOPS | new IOPS | new/old [95% interval] |');
    expect(text).toMatch(/\| sq \| spin \| 8 \| 32 \| 100k \| 102k \| 1\.00x \[0\.\d\dx\.\.1\.\d\dx\] ~ \| 1\.02x \|/);
    expect(text).toContain('| mq | spin | 1 | 32 | 50.0k | 55.0k | 1.10x [1.10x..1.10x] faster | 0.99x |');
    expect(text).toContain('- new/old IOPS over the points (geometric mean): 1.05x, at least 0.97x: met');
    expect(text).toContain('- new/old CPU time per request (geometric mean): 1.00x, at most 1.03x: met');
    expect(text).toContain('- points whose IOPS verdict is slower: none\n- pass');
    // A point called slower fails the entry, whatever the means.
    const slower = [{ ...points[0]!, verdict: 'slower' as const }, points[1]!];
    const failed = abVerdict(slower, { iopsAtLeast: 0.97, cpuAtMost: 1.03 });
    expect(failed).toMatchObject({ pass: false, slower: ['sq spin jobs=8 iodepth=32'] });
  });

  it('reads the kind of a result file from its `kind`, and from its shape in a file made before it', () => {
    const microVs = {
      machine: { ...resultFile([]).machine, gitDescribe: 'v1.0' },
      before: 'a41c4ae',
      rounds: 2,
      filters: ['uncontended'],
      cases: [{ name: 'lock.uncontended.spin', before: [1e6, 2e6], after: [3e6, 4e6] }],
    };
    // The median of an even count is the mean of the middle two (src/report/stats.ts).
    const row = '| `lock.uncontended.spin` | 1.50M | 3.50M |';
    expect(renderResultsReadme([source({ json: microVs })])).toContain(row);
    expect(renderResultsReadme([source({ json: { kind: 'micro-vs', ...microVs } })])).toContain(row);
    // A kind says more than a shape: a compare file has points, but no headlines of an ab.
    const compare = { kind: 'compare', machine: microVs.machine, points: [] };
    expect(renderResultsReadme([source({ json: compare })])).not.toContain('Variants:');
  });
});

describe("an entry's files, from the scratch folder into docs/results/", () => {
  const entry = { name: 'x', script: 'bench' as const, args: [], about: 'x', fioJson: 'x-fio' };
  let temp: TempDir | undefined;
  afterEach(() => temp?.remove());

  /** A scratch folder with what the entry made, and an output folder with its older files. */
  function folders(): { work: string; out: string } {
    temp = makeTempDir('results');
    const work = path.join(temp.path, 'work');
    const out = path.join(temp.path, 'out');
    const write = (file: string, text: string): void => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    };
    write(path.join(work, 'x.txt'), '$ npm run bench -- --json x.json\nthe table\n');
    write(path.join(work, 'x.json'), JSON.stringify({ machine: { gitDescribe: 'abc1234' }, runs: [] }));
    write(path.join(work, 'x.svg'), '<svg xmlns="http://www.w3.org/2000/svg">\n<title>t</title>\n</svg>\n');
    const fio = { 'vblk-mq': { machine: { gitDescribe: 'abc1234' } } };
    write(path.join(work, 'x-fio', 'sq', 'a.json'), JSON.stringify(fio));
    write(path.join(out, 'x.txt'), 'old\n');
    write(path.join(out, 'x-fio', 'old', 'gone.json'), '{}');
    write(path.join(out, 'other.txt'), 'kept\n');
    return { work, out };
  }
  const json = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));

  it('replaces what the entry made before, its folder whole, and nothing else', () => {
    const { work, out } = folders();
    publish(work, out, entry, undefined);
    expect(fs.readFileSync(path.join(out, 'x.txt'), 'utf8')).toBe('$ npm run bench -- --json x.json\nthe table\n');
    expect(fs.existsSync(path.join(out, 'x-fio', 'old', 'gone.json'))).toBe(false);
    expect(json(path.join(out, 'x-fio', 'sq', 'a.json'))).toEqual(json(path.join(work, 'x-fio', 'sq', 'a.json')));
    expect(fs.readFileSync(path.join(out, 'other.txt'), 'utf8')).toBe('kept\n');
  });

  it('marks every file made from a dirty tree, so that the drift test refuses it', () => {
    const { work, out } = folders();
    publish(work, out, entry, { describe: 'abc1234-dirty', lines: [' M src/ring/ring.ts'] });
    const txt = fs.readFileSync(path.join(out, 'x.txt'), 'utf8').split('\n');
    expect(txt[0]).toBe(`# ${DIRTY_NOTE} (abc1234-dirty): not for committing`);
    expect(txt[1]).toBe('$ npm run bench -- --json x.json');
    for (const file of ['x.json', 'x-fio/sq/a.json']) {
      const machine = recordedMachine(json(path.join(out, file)));
      expect(machine?.['gitDescribe'], file).toBe('abc1234-dirty');
      expect(isDirtyDescribe(machine?.['gitDescribe'])).toBe(true);
      expect(machine?.['dirtyTree']).toEqual([' M src/ring/ring.ts']);
    }
    const svg = fs.readFileSync(path.join(out, 'x.svg'), 'utf8');
    expect(svg.split('\n')[1]).toBe(`<!-- ${DIRTY_NOTE} (abc1234-dirty): not for committing -->`);

    const [loaded] = loadResultSources(out, [entry]);
    expect(loaded).toMatchObject({ dirtyText: true, madeBy: 'npm run bench -- --json x.json' });
    expect(renderResultsReadme([loaded!])).toContain('not made from a commit: x.');
  });
});

describe('the entries of npm run results', () => {
  // A bench entry the bench would refuse stops `npm run results` halfway: check each command line
  // here, on a machine with room for every --cpus and --pin of the list.
  const env = { cores: 16, canPin: true, allowedCpus: Array.from({ length: 16 }, (_, cpu) => cpu), cwd: REPO_ROOT };
  it.each(RESULTS.filter((entry) => entry.script === 'bench').map((entry) => [entry.name, entry] as const))(
    '%s: its command line is one the bench accepts',
    (_name, entry) => {
      // Output files go to the repository's folder here (they must be in an existing folder); nothing is written.
      expect(() => parseBenchArgs(commandArgs(entry), env)).not.toThrow();
    },
  );

  it.each(RESULTS.filter((entry) => entry.benchVs !== undefined).map((entry) => [entry.name, entry] as const))(
    '%s: each of its bench argument sets is one the bench accepts',
    (_name, entry) => {
      for (const args of entry.benchVs!.argSets) expect(() => parseBenchArgs(args, env)).not.toThrow();
    },
  );
});
