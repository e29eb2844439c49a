/**
 * `npm run results`: runs every command behind docs/results/ (scripts/results-list.ts) and
 * rewrites its files, then docs/results/README.md (scripts/results-readme.ts), so that every
 * figure the documentation quotes can be made again with one command, from committed code.
 *
 *   npm run results                      every entry, one after another
 *   npm run results -- --only A,B        some of them (the README is still made from every file)
 *   npm run results -- --list            each entry, its command and the files it makes
 *   npm run results -- --readme-only     only docs/results/README.md, from the files present
 *   npm run results -- --allow-dirty     run from a tree with uncommitted changes (marked)
 *
 * Results come from committed code only: a dirty tree (scripts/git-tree.ts says what counts) is
 * refused with one line and exit status 2, unless --allow-dirty is given; then every file
 * written is marked (a first line in .txt, `machine.gitDescribe` ending in `-dirty` and
 * `machine.dirtyTree` in JSON, a comment in SVG, a warning in the README) and the drift test
 * (test/results-drift.test.ts) refuses them.
 *
 * The commands run in a scratch folder outside the repository, and their files are copied into
 * docs/results/ only when the runs end: so the tree stays clean while they run, and each
 * command records the commit it ran at rather than `-dirty` from the files written before it.
 * The scratch folder starts with a copy of docs/results/, for the `compare` entries that read
 * files an earlier entry made. The machine should be otherwise idle while it runs.
 */
import { runChild } from '../src/cli/child-run.js';
import { SignalStop } from '../src/cli/stop-signals.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { translateParseError } from '../src/cli/common-args.js';
import { runCli } from '../src/cli/run-cli.js';
import { UsageError } from '../src/cli/usage-error.js';
import { cachedPackage, nodeBinary } from './cached-install.js';
import { summariseDirt, treeState, type TreeState } from './git-tree.js';
import {
  RESULTS,
  RESULTS_README,
  PEER_PACKAGES,
  commandLine,
  madeFiles,
  commandArgs,
  type ResultCommand,
} from './results-list.js';
import { loadResultSources, renderResultsReadme } from './results-readme.js';
import { publish, removeMade, type DirtyMark } from './results-files.js';
import { runMicroVs } from './micro-vs.js';
import { runBenchVs } from './bench-vs.js';
import { formatDuration } from '../src/report/format.js';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const OUT = path.join(ROOT, 'docs', 'results');

const OPTIONS = {
  only: { type: 'string' },
  list: { type: 'boolean' },
  'readme-only': { type: 'boolean' },
  'allow-dirty': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: npm run results -- [options]

Runs every command behind docs/results/ and rewrites its files, then docs/results/README.md.
Refuses a tree with uncommitted changes: results come from committed code.

Options:
  --only NAME[,NAME]  run only these entries (see --list)
  --list              print each entry, its command and the files it makes, and exit
  --readme-only       only regenerate docs/results/README.md from the files present
  --allow-dirty       run from a dirty tree anyway; every file written is marked as such
  -h, --help          show this help and exit
`;

/** `--list`: each entry, its command and its files; the README last. */
function renderList(): string {
  const entries = RESULTS.map(
    (entry) => `${entry.name}: ${entry.about}\n  ${commandLine(entry)}\n  makes ${madeFiles(entry).join(' ')}\n`,
  );
  const readme =
    `${RESULTS_README}: generated from the files above (npm run results -- --readme-only)\n` +
    `  makes ${RESULTS_README}\n`;
  return entries.join('') + readme;
}

/** `done in 42 s`: the time since `started` (a performance.now()), to the second. */
function doneIn(started: number): string {
  return `done in ${formatDuration(1000 * Math.round((performance.now() - started) / 1000))}`;
}

/**
 * The comparison an entry made by this script itself runs (scripts/micro-vs.ts,
 * scripts/bench-vs.ts): it writes `json` and resolves to the text of NAME.txt after its command
 * line. Undefined for an entry that runs a command.
 */
function comparisonOf(entry: ResultCommand): ((json: string, stop: SignalStop) => Promise<string>) | undefined {
  const { microVs, benchVs } = entry;
  if (microVs !== undefined) return (json, stop) => runMicroVs(ROOT, microVs, json, stop);
  if (benchVs !== undefined) return (json, stop) => runBenchVs(ROOT, benchVs, json, stop);
  return undefined;
}

/** Runs one entry in the scratch folder `work`; false when it failed. */
async function run(entry: ResultCommand, work: string, stop: SignalStop): Promise<boolean> {
  const script = path.join(ROOT, 'dist', 'bench', `${entry.script}.js`);
  const started = performance.now();
  removeMade(work, entry);
  process.stderr.write(`results: ${entry.name}: ${commandLine(entry)}\n`);
  const comparison = comparisonOf(entry);
  if (comparison !== undefined) {
    let text: string;
    try {
      text = await comparison(path.join(work, `${entry.name}.json`), stop);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`results: ${entry.name} failed: ${message}\n`);
      return false;
    }
    fs.writeFileSync(path.join(work, `${entry.name}.txt`), `$ ${commandLine(entry)}\n${text}`);
    process.stderr.write(`results: ${entry.name} ${doneIn(started)}\n`);
    return true;
  }
  const node = entry.node === undefined ? process.execPath : nodeBinary(entry.node);
  for (const major of entry.installNodes ?? []) nodeBinary(major);
  const PATH = `${path.dirname(node)}${path.delimiter}${process.env['PATH'] ?? ''}`;
  const args = entry.args.map((arg) => {
    const peer = PEER_PACKAGES[arg];
    return peer === undefined ? arg : cachedPackage(peer.name, peer.version);
  });
  // Asynchronous, so that a stop request reaches the bench in progress (child-run.ts).
  const r = await runChild(
    node,
    [script, ...commandArgs(entry, args)],
    { cwd: work, env: { ...process.env, INIT_CWD: work, PATH }, stdio: ['ignore', 'pipe', 'inherit'] },
    stop,
  );
  if (r.status !== 0) {
    process.stderr.write(`results: ${entry.name} failed with status ${r.status}\n`);
    return false;
  }
  fs.writeFileSync(path.join(work, `${entry.name}.txt`), `$ ${commandLine(entry)}\n${r.stdout}`);
  process.stderr.write(`results: ${entry.name} ${doneIn(started)}\n`);
  return true;
}

/** Rewrites docs/results/README.md from every result file present. */
function writeReadme(): void {
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, RESULTS_README), renderResultsReadme(loadResultSources(OUT, RESULTS)));
  process.stderr.write(`results: wrote docs/results/${RESULTS_README}\n`);
}

/** Refuses a tree that is not a clean clone, unless allowed; the mark for its files when allowed. */
function checkTree(tree: TreeState, allowDirty: boolean): DirtyMark | undefined {
  const why = !tree.clone
    ? 'this is not a git clone, so no commit can vouch for the results'
    : tree.dirty.length > 0
      ? `the tree has uncommitted changes (${summariseDirt(tree.dirty)})`
      : '';
  if (why === '') return undefined;
  if (!allowDirty) {
    const first = tree.clone ? 'commit them first' : 'run it in a clone';
    const way = `${first}, or give --allow-dirty to run anyway (its files are marked)`;
    throw new UsageError(`results: ${why}; ${way}`);
  }
  process.stderr.write(`results: ${why}; every file written is marked as made from a dirty tree\n`);
  return { describe: tree.describe ?? 'no git clone', lines: tree.clone ? tree.dirty : ['not a git clone'] };
}

function readArgs(argv: readonly string[]): ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'] {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw translateParseError(error, argv, Object.keys(OPTIONS));
  }
}

async function main(argv: string[]): Promise<number> {
  const values = readArgs(argv);
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.list === true) {
    process.stdout.write(renderList());
    return 0;
  }
  if (values['readme-only'] === true) {
    if (values.only !== undefined) throw new UsageError('results: --readme-only runs nothing; leave out --only');
    writeReadme();
    return 0;
  }
  const only = values.only?.split(',');
  const unknown = only?.filter((name) => !RESULTS.some((entry) => entry.name === name)) ?? [];
  if (unknown.length > 0) throw new UsageError(`results: --only: unknown ${unknown.join(', ')}; see --list`);
  const mark = checkTree(treeState(ROOT), values['allow-dirty'] === true);

  const chosen = RESULTS.filter((entry) => only === undefined || only.includes(entry.name));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-mq-results-'));
  const done: ResultCommand[] = [];
  // A stop request goes on to the bench in progress; what finished before it is kept.
  const stop = new SignalStop({ repeat: 'exit', announce: 'stopping the entry in progress' });
  try {
    if (fs.existsSync(OUT)) fs.cpSync(OUT, work, { recursive: true });
    for (const entry of chosen) {
      if (stop.signal.aborted || !(await run(entry, work, stop))) break;
      done.push(entry);
    }
  } finally {
    stop.dispose();
    // What finished is kept even when a later entry failed or a signal stopped the runs.
    for (const entry of done) publish(work, OUT, entry, mark);
    if (done.length > 0) writeReadme();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return stop.exitStatus() ?? (done.length === chosen.length ? 0 : 1);
}

await runCli(main);
