/**
 * `npm run results`: runs every command behind docs/results/ and rewrites its files, so that
 * every figure the README quotes can be made again with one command.
 *
 * Each entry of RESULTS is one bench (or bench:micro) command with all its arguments; for
 * `name` it writes docs/results/<name>.txt (the command line, then what the command printed on
 * stdout), and the bench's <name>.json and <name>.svg; a `compare` entry reads files that
 * entries before it wrote. `--only NAME[,NAME]` runs some of them;
 * `--list` prints them. The machine should be otherwise idle while it runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cachedPackage, cachedPackagePath, nodeBinary, nodeBinaryPath, tildePath } from './cached-install.js';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const OUT = path.join(ROOT, 'docs', 'results');

interface ResultCommand {
  name: string;
  /** `bench`, `micro` (bench:micro) or `compare`, which reads result files made before it. */
  script: 'bench' | 'micro' | 'compare';
  args: string[];
  /** Why this result is kept, for --list. */
  about: string;
  /** A Node.js major version to run it with (installed as `npm run test:node` does); else this Node. */
  node?: string;
  /** Also write fio's JSON format into this folder of docs/results/ (--fio-json). */
  fioJson?: string;
}

/** Stands for the folder of the ringbuf.js that bench:micro compares with (installed on first use). */
const RINGBUF = '<ringbuf.js>';
const RINGBUF_VERSION = '0.4.0';

/** Every committed result, in the order they run. */
export const RESULTS: readonly ResultCommand[] = [
  {
    name: '2cpu-spin-iodepth32',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--repeat', '3'],
    about: "the paper's experiment at fio's defaults: sq against mq, jobs 1 to 8, iodepth 32",
  },
  {
    name: '2cpu-spin-iodepth32-node26',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--repeat', '3'],
    about: 'the same on Node 26, the newest LTS line, next to the Node 20 of this machine',
    node: '26',
  },
  {
    name: '2cpu-spin-iodepth1',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '1', '--repeat', '3'],
    about: 'the same at iodepth 1: every request a handoff between threads',
  },
  {
    name: '2cpu-spin-iodepth32-batched',
    script: 'bench',
    args: [
      '--jobs',
      '1..8',
      '--mode',
      'both',
      '--iodepth',
      '32',
      '--iodepth-batch',
      '32',
      '--iodepth-batch-complete-max',
      '32',
      '--iothread-batch',
      '32',
      '--repeat',
      '3',
    ],
    about: 'batched submissions, reaps and pops: fewer lock acquisitions per request',
  },
  {
    name: '2cpu-spin-iodepth32-iothread5us',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--iothread-ns', '5000', '--repeat', '3'],
    about: 'an IO thread that spends 5 us of CPU per request: the single IO thread as the bottleneck',
  },
  {
    name: '2cpu-locks-iodepth32',
    script: 'bench',
    args: ['--jobs', '1,8', '--mode', 'both', '--lock', 'spin,ticket,adaptive', '--iodepth', '32', '--repeat', '3'],
    about: 'the three lock kinds at 1 and 8 jobs',
  },
  {
    name: '2cpu-lockfree-iodepth32',
    script: 'bench',
    args: ['--jobs', '8', '--mode', 'mq', '--lock', 'none,spin,adaptive', '--iodepth', '32', '--repeat', '3'],
    about: "mq's rings without a lock, against the spin and adaptive locks",
  },
  {
    name: 'cpus-1-2-iodepth32',
    script: 'bench',
    args: ['--jobs', '1,2,4,8', '--mode', 'both', '--iodepth', '32', '--cpus', '1,2', '--repeat', '3'],
    about: 'the same sweep on 1 core and on 2',
  },
  {
    name: '2cpu-spin-iodepth32-split',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--pin', 'split', '--repeat', '3'],
    about: "the paper's experiment with every queue's threads on one CPU (--pin split)",
  },
  {
    name: 'cpus-1-2-iodepth32-split',
    script: 'bench',
    args: ['--jobs', '1,8', '--mode', 'both', '--iodepth', '32', '--cpus', '1,2', '--pin', 'split', '--repeat', '3'],
    about: 'scaling from 1 CPU to 2 with --pin split',
  },
  {
    name: '2cpu-1job-iodepth1-split',
    script: 'bench',
    args: ['--jobs', '1', '--mode', 'both', '--iodepth', '1', '--pin', 'split', '--repeat', '3'],
    about: 'latency of one request at a time with its three threads on one CPU',
  },
  {
    name: '2cpu-mq8-batched-split',
    script: 'bench',
    args: [
      '--jobs',
      '8',
      '--mode',
      'mq',
      '--iodepth',
      '32',
      '--iodepth-batch',
      '32',
      '--iodepth-batch-complete-max',
      '32',
      '--iothread-batch',
      '32',
      '--pin',
      'split',
      '--repeat',
      '3',
    ],
    about: 'the most mq does here: batched, pinned',
  },
  {
    name: 'compare-cpus-1-2',
    script: 'compare',
    args: ['cpus-1-2-iodepth32.json'],
    about: 'npm run compare over the 1- and 2-core sweep: one column per core count',
  },
  {
    name: 'compare-node-20-26',
    script: 'compare',
    args: ['2cpu-spin-iodepth32.json', '2cpu-spin-iodepth32-node26.json'],
    about: 'npm run compare across two Node versions on one machine',
  },
  {
    name: 'fio-sample',
    script: 'bench',
    args: ['--jobs', '8', '--mode', 'both', '--iodepth', '32', '--runtime', '2s'],
    about: "one point of each mode in fio's own JSON format too, for fio's tools",
    fioJson: 'fio-sample',
  },
  {
    name: 'micro',
    script: 'micro',
    args: ['--ringbuf', RINGBUF],
    about: 'the building blocks alone (npm run bench:micro)',
  },
];

/** The command line as a user types it, for the top of the .txt file. */
function commandLine(entry: ResultCommand): string {
  const command = entry.script === 'micro' ? 'bench:micro' : entry.script;
  const args = entry.args.map((arg) =>
    arg === RINGBUF ? tildePath(cachedPackagePath('ringbuf.js', RINGBUF_VERSION)) : arg,
  );
  const line = `npm run ${command} -- ${[...args, ...outputArgs(entry)].join(' ')}`;
  if (entry.node === undefined) return line;
  // The binary `npm run test:node -- N` installs, first on PATH.
  return `PATH=${tildePath(path.dirname(nodeBinaryPath(entry.node)))}:$PATH ${line}`;
}

/** The arguments that name the output files of `entry`, relative to docs/results/. */
function outputArgs(entry: ResultCommand): string[] {
  if (entry.script === 'compare') return [];
  const json = ['--json', `${entry.name}.json`];
  const fio = entry.fioJson === undefined ? [] : ['--fio-json', entry.fioJson];
  return entry.script === 'bench' ? [...json, '--svg', `${entry.name}.svg`, ...fio] : json;
}

function run(entry: ResultCommand): boolean {
  const script = path.join(ROOT, 'dist', 'bench', `${entry.script}.js`);
  const files = outputArgs(entry);
  const started = performance.now();
  if (entry.fioJson !== undefined) fs.mkdirSync(path.join(OUT, entry.fioJson), { recursive: true });
  process.stderr.write(`results: ${entry.name}: ${commandLine(entry)}\n`);
  const node = entry.node === undefined ? process.execPath : nodeBinary(entry.node);
  const PATH = `${path.dirname(node)}${path.delimiter}${process.env['PATH'] ?? ''}`;
  const args = entry.args.map((arg) => (arg === RINGBUF ? cachedPackage('ringbuf.js', RINGBUF_VERSION) : arg));
  const r = spawnSync(node, [script, ...args, ...files], {
    cwd: OUT,
    env: { ...process.env, INIT_CWD: OUT, PATH },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    process.stderr.write(`results: ${entry.name} failed with status ${r.status ?? r.signal}\n`);
    return false;
  }
  fs.writeFileSync(path.join(OUT, `${entry.name}.txt`), `$ ${commandLine(entry)}\n${r.stdout}`);
  process.stderr.write(`results: ${entry.name} done in ${Math.round((performance.now() - started) / 1000)} s\n`);
  return true;
}

function main(): number {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { only: { type: 'string' }, list: { type: 'boolean' } },
    strict: true,
  });
  if (values.list === true) {
    for (const entry of RESULTS) process.stdout.write(`${entry.name}: ${entry.about}\n  ${commandLine(entry)}\n`);
    return 0;
  }
  const only = values.only?.split(',');
  const unknown = only?.filter((name) => !RESULTS.some((entry) => entry.name === name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`vblk-mq: results: --only: unknown ${unknown.join(', ')}; see --list\n`);
    return 2;
  }
  const chosen = RESULTS.filter((entry) => only === undefined || only.includes(entry.name));
  fs.mkdirSync(OUT, { recursive: true });
  for (const entry of chosen) if (!run(entry)) return 1;
  return 0;
}

process.exitCode = main();
