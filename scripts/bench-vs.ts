/**
 * A `bench-vs` entry of `npm run results`: the bench of an earlier commit against this tree's, in
 * one interleaved sitting, so that a rework is shown to keep the emulator's figures (issue 28:
 * "Behaviour and figures hold").
 *
 * The earlier commit is built from `git archive` in a scratch folder (scripts/build-commit.ts).
 * Then each round runs the earlier build (old) and this tree's (new), alternating which goes
 * first (ABBA: src/cli/ab-rounds.ts), each running `node dist/bench/bench.js ARGS --repeat 1` for
 * every argument set. Each point's figures pair round i of old with round i of new, as
 * `npm run ab` does (src/report/ab.ts): the median IOPS of each build, new/old with its paired
 * interval and verdict, and CPU time per request. Over all the points, the geometric means of
 * new/old IOPS and of CPU per request are held to the entry's targets, and no point's verdict may
 * be `slower`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { roundPoints, runAbRounds, type AbRounds } from '../src/cli/ab-rounds.js';
import type { SignalStop } from '../src/cli/stop-signals.js';
import {
  abPoints,
  abVerdict,
  abVerdictLines,
  OLD_NEW,
  renderAb,
  type AbPoint,
  type AbTargets,
  type AbVerdict,
} from '../src/report/ab.js';
import { OUTPUT_WIDTH, plural, wrapText } from '../src/report/format.js';
import { describeMachine } from '../src/report/machine.js';
import { writeJsonFile } from '../src/report/result-file.js';
import type { MachineInfo, RunResult } from '../src/report/result.js';
import { buildCommit } from './build-commit.js';

/** What a bench-vs entry compares, and what it must show. */
export interface BenchVsSpec extends AbTargets {
  /** The earlier commit (anything git archive takes). */
  before: string;
  rounds: number;
  /** Bench argument sets, each run in its own process per build and round (no --repeat, --json). */
  argSets: string[][];
}

/** What the entry writes as NAME.json. */
export interface BenchVsFile extends Omit<BenchVsSpec, keyof AbTargets> {
  kind: 'bench-vs';
  machine: MachineInfo | null;
  /** The runs in the order they ran: `old round 1`, `new round 1`, `new round 2`, ... */
  order: string[];
  /** Each build's points, its rounds as samples (as npm run ab's a and b). */
  runs: { old: RunResult[]; new: RunResult[] };
  /** new/old per point: a is the old build, b the new one. */
  points: AbPoint[];
  verdict: AbVerdict;
}

/** The text of NAME.txt after its command line: how it was made, the table, the verdict. */
function renderBenchVs(file: BenchVsFile): string {
  const machine = file.machine === null ? '' : `machine: ${describeMachine(file.machine)}\n`;
  const how =
    `old: ${file.before}, built from git archive in a scratch folder; new: this tree's commit. ` +
    `${plural(file.rounds, 'round')}, old and new alternating (${file.order.join(', ')}); in each, each build ` +
    `ran node dist/bench/bench.js ARGS --repeat 1 for ARGS in: ${file.argSets.map((a) => a.join(' ')).join('; ')}.`;
  return (
    `${wrapText(how, OUTPUT_WIDTH)}\n` +
    machine +
    '\n' +
    renderAb(file.points, OLD_NEW) +
    '\n' +
    abVerdictLines(file.verdict, OLD_NEW)
      .map((line) => `${line}\n`)
      .join('')
  );
}

/**
 * Runs the comparison for `spec` from the repository at `root` (already built), writing `json`;
 * `stop` reaches the child in progress and ends the comparison with an error.
 * @returns the text for NAME.txt after its command line
 */
export async function runBenchVs(root: string, spec: BenchVsSpec, json: string, stop: SignalStop): Promise<string> {
  const before = await buildCommit(root, spec.before, stop);
  let measured: AbRounds;
  try {
    const bench = (dir: string): string => path.join(dir, 'dist', 'bench', 'bench.js');
    measured = await runAbRounds(
      'results: bench-vs',
      [
        { name: 'old', shown: `old (${spec.before})`, bench: bench(before), argSets: spec.argSets },
        { name: 'new', shown: 'new (this tree)', bench: bench(root), argSets: spec.argSets },
      ],
      spec.rounds,
      stop,
    );
  } finally {
    fs.rmSync(before, { recursive: true, force: true });
  }
  if (stop.signal.aborted) throw new Error(`bench-vs: stopped by ${stop.received}`);
  const runs = { old: roundPoints(measured.runs[0]), new: roundPoints(measured.runs[1]) };
  const points = abPoints(runs.old, runs.new);
  const file: BenchVsFile = {
    kind: 'bench-vs',
    // This tree's: the commit that made the file (the old build's archive is no git clone).
    machine: measured.machines[1] ?? null,
    before: spec.before,
    rounds: spec.rounds,
    argSets: spec.argSets,
    order: measured.order,
    runs,
    points,
    verdict: abVerdict(points, spec),
  };
  writeJsonFile(json, file);
  return renderBenchVs(file);
}
