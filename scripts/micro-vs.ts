/**
 * A `micro-vs` entry of `npm run results`: bench:micro of an earlier commit against this tree's,
 * interleaved, so that a change's cost on the building blocks is measured before and after in
 * one sitting (issue 21: the uncontended lock and the ring's push-pop).
 *
 * The earlier commit is built from `git archive` in a scratch folder (scripts/build-commit.ts).
 * Then each round runs, for the earlier build and then this one,
 * `node dist/bench/micro.js --filter F --json FILE` for every filter F, and keeps each case's
 * operations per second. The text names every command; a
 * case's figure is the median over the rounds, and its rounds are all listed, since the
 * cross-thread cases swing widely from run to run with where the OS puts the two threads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from '../src/report/stats.js';
import { renderAligned } from '../src/report/table.js';
import { formatCount, formatRatio } from '../src/report/format.js';
import { writeJsonFile } from '../src/report/result-file.js';
import type { SignalStop } from '../src/cli/stop-signals.js';
import { buildCommit, check } from './build-commit.js';

/** What a micro-vs entry compares. */
export interface MicroVsSpec {
  /** The earlier commit (anything git archive takes). */
  before: string;
  rounds: number;
  /** bench:micro --filter values, each run in its own process per build and round. */
  filters: string[];
}

/** What the entry writes as NAME.json. */
export interface MicroVsFile {
  /** Absent from files made before result files carried a kind. */
  kind?: 'micro-vs';
  machine: unknown;
  before: string;
  rounds: number;
  filters: string[];
  /** Each case, its ops/s per round with each build (absent where that build has no such case). */
  cases: { name: string; before: number[]; after: number[] }[];
}

/** One bench:micro run of `build` with `filter`: each case's ops/s, and the machine it records. */
async function runMicro(
  build: string,
  filter: string,
  json: string,
  stop: SignalStop,
): Promise<{ results: Map<string, number>; machine: unknown }> {
  const micro = path.join(build, 'dist', 'bench', 'micro.js');
  await check(process.execPath, [micro, '--filter', filter, '--json', json], build, stop);
  const file = JSON.parse(fs.readFileSync(json, 'utf8')) as {
    machine: unknown;
    results: { name: string; opsPerSec: number }[];
  };
  return { results: new Map(file.results.map((r) => [r.name, r.opsPerSec])), machine: file.machine };
}

/** The text of NAME.txt after its command line: how it was made, then the table. */
function render(file: MicroVsFile): string {
  const rounds = Array.from({ length: file.rounds }, (_, i) => `run ${i + 1}`);
  const rows = file.cases.flatMap((c) =>
    (['before', 'after'] as const).flatMap((build) =>
      c[build].length === 0 ? [] : [[c.name, build, ...c[build].map(formatCount), formatCount(median(c[build]))]],
    ),
  );
  const table = renderAligned(
    ['case', 'build', ...rounds, 'median'],
    rows,
    ['left', 'left', ...rounds.map(() => 'right' as const), 'right'],
  );
  const ratio = (name: string, build: 'before' | 'after'): string => {
    const a = file.cases.find((c) => c.name === 'lock.uncontended.adaptive')?.[build] ?? [];
    const bare = file.cases.find((c) => c.name === name)?.[build] ?? [];
    return a.length === 0 || bare.length === 0 ? '-' : formatRatio(median(a) / median(bare));
  };
  return (
    `before: ${file.before}, built from git archive in a scratch folder; after: this tree's commit.\n` +
    `${file.rounds} rounds; in each, the before build, then the after build, each running ` +
    `node dist/bench/micro.js --filter F for F in ${file.filters.join(', ')}.\n` +
    'Figures are operations per second; the last column is the median of the rounds.\n\n' +
    table +
    `\nuncontended adaptive / bare: before ${ratio('lock.uncontended.bare', 'before')}, ` +
    `after ${ratio('lock.uncontended.bare', 'after')}\n`
  );
}

/**
 * Runs the comparison for `spec` from the repository at `root` (already built), writing `json`;
 * `stop` reaches the child in progress and ends the comparison with an error.
 * @returns the text for NAME.txt after its command line
 */
export async function runMicroVs(root: string, spec: MicroVsSpec, json: string, stop: SignalStop): Promise<string> {
  const before = await buildCommit(root, spec.before, stop);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-mq-micro-'));
  const cases = new Map<string, { before: number[]; after: number[] }>();
  let machine: unknown = null;
  try {
    for (let round = 0; round < spec.rounds; round++) {
      for (const [build, dir] of [
        ['before', before],
        ['after', root],
      ] as const) {
        for (const filter of spec.filters) {
          process.stderr.write(`results: micro-vs round ${round + 1}: ${build}, --filter ${filter}\n`);
          if (stop.signal.aborted) throw new Error(`micro-vs: stopped by ${stop.received}`);
          const run = await runMicro(dir, filter, path.join(scratch, 'micro.json'), stop);
          if (build === 'after') machine = run.machine;
          for (const [name, ops] of run.results) {
            const entry = cases.get(name) ?? { before: [], after: [] };
            entry[build].push(ops);
            cases.set(name, entry);
          }
        }
      }
    }
  } finally {
    fs.rmSync(before, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const file: MicroVsFile = {
    kind: 'micro-vs',
    machine,
    before: spec.before,
    rounds: spec.rounds,
    filters: spec.filters,
    cases: [...cases].sort((a, b) => a[0].localeCompare(b[0])).map(([name, runs]) => ({ name, ...runs })),
  };
  writeJsonFile(json, file);
  return render(file);
}
