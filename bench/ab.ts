/**
 * `npm run ab -- --a "ARGS" --b "ARGS" [--rounds N] [--json FILE] -- BENCH ARGS`: two variants
 * of one bench sweep measured in one sitting, interleaved, and put side by side.
 *
 * Each round runs the sweep once with variant a's extra arguments and once with b's, in a
 * child process each (`npm run bench` with `--repeat 1`), in the order a b, then b a, then a b,
 * ... (ABBA), so that load that drifts over the sitting weighs on both alike. Every point's
 * figures are then the median over the rounds, each variant's own, with b/a from the rounds
 * paired (round i of a with round i of b): its geometric mean, its confidence interval
 * (`--confidence`, default 0.95) and a verdict (src/report/ab.ts). For example, the completion path:
 *   npm run ab -- --a "--completion-path iothread" --b "--completion-path direct" -- --jobs 1..8 --iodepth 32
 * or what the stage stamps and accounting cost (b/a CPU time per request):
 *   npm run ab -- --a "--breakdown on" --b "--breakdown off" -- --jobs 1,8 --iodepth 32
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { runCli } from '../src/cli/run-cli.js';
import { UsageError } from '../src/cli/usage-error.js';
import { outputFile, translateParseError } from '../src/cli/common-args.js';
import { parseInteger, quote } from '../src/cli/units.js';
import { parseBenchArgs } from '../src/cli/bench-args.js';
import { SignalStop } from '../src/cli/stop-signals.js';
import { medianRun } from '../src/main-thread/sweep.js';
import { describeMachine } from '../src/report/machine.js';
import { readResultFile, writeJsonFile } from '../src/report/result-file.js';
import { groupBy, runKey } from '../src/report/table.js';
import { abPoints, renderAb } from '../src/report/ab.js';
import { parseConfidence } from '../src/report/confidence.js';
import { DEFAULT_CONFIDENCE } from '../src/report/confidence.js';
import type { ResultFile, RunResult } from '../src/report/result.js';

const HELP = `usage: npm run ab -- --a "ARGS" --b "ARGS" [--rounds N] [--confidence LEVEL] [--json FILE] -- BENCH ARGS

Measures two variants of one bench sweep in one sitting: each round runs the sweep (BENCH ARGS,
as npm run bench takes them) once with a's extra arguments and once with b's, alternating
which goes first (a b, b a, a b, ...). Prints every point's median IOPS of each variant over
the rounds, b/a with its confidence interval and a verdict ("1.12x [0.95x..1.31x] ~"), and
each variant's worker CPU time per request. b/a pairs round i of a with round i of b: the
geometric mean of the rounds' ratios, with a t-interval on their logs; the verdict is faster
or slower when the whole interval lies on one side of 1x, ~ (no clear difference) when it
holds 1x. An interval needs 2 rounds or more.

options:
  --a ARGS            bench arguments of variant a, in one word: --a "--completion-path iothread"
  --b ARGS            bench arguments of variant b
  --rounds N          rounds, each running a and b once, 1..20 (default 3)
  --confidence LEVEL  the intervals' confidence level, between 0 and 1 (default ${DEFAULT_CONFIDENCE})
  --json FILE         also write both variants' runs and the side-by-side figures as JSON
  -h, --help          show this help and exit

BENCH ARGS may not hold --repeat (the rounds are the repeats), --json, --svg or --fio-json.
example:
  npm run ab -- --a "--breakdown on" --b "--breakdown off" -- --jobs 1,8 --iodepth 32
`;

const BENCH = fileURLToPath(new URL('./bench.js', import.meta.url));
const MAX_ROUNDS = 20;
/** Bench options that ab sets itself. */
const OWN_OPTIONS = ['--repeat', '--json', '--svg', '--fio-json'];

interface AbArgs {
  a: string[];
  b: string[];
  rounds: number;
  level: number;
  bench: string[];
  json: { path: string; given: string } | undefined;
}

/** Splits a variant's arguments at spaces (each option and value a word; no quoting inside). */
function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

/**
 * argv with `--a ARGS` and `--b ARGS` (before the `--`) joined into `--a=ARGS`: a variant's
 * value starts with a dash, which util.parseArgs takes for an option when it stands alone.
 */
function joinVariantValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...joined, ...argv.slice(i)];
    if ((arg === '--a' || arg === '--b') && i + 1 < argv.length && argv[i + 1] !== '--') {
      joined.push(`${arg}=${argv[++i]!}`);
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Parses argv and checks each variant's full bench command line as bench would. */
function parseAbArgs(argv: string[]): AbArgs | null {
  let parsed;
  const names = ['a', 'b', 'rounds', 'confidence', 'json', 'help'];
  try {
    parsed = parseArgs({
      args: joinVariantValues(argv),
      allowPositionals: true,
      strict: true,
      options: {
        a: { type: 'string' },
        b: { type: 'string' },
        rounds: { type: 'string' },
        confidence: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return null;
    throw translateParseError(error, argv, names);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return null;
  if (values.a === undefined || values.b === undefined) {
    throw new UsageError('ab: give both variants, --a "ARGS" and --b "ARGS"; see --help');
  }
  const bench = positionals;
  const own = bench.find((arg) => OWN_OPTIONS.some((option) => arg === option || arg.startsWith(`${option}=`)));
  if (own !== undefined) {
    const why = 'ab sets it itself (the rounds are the repeats; it writes its own files)';
    throw new UsageError(`ab: ${own} does not go in the bench arguments: ${why}`);
  }
  const level = values.confidence === undefined ? DEFAULT_CONFIDENCE : parseConfidence(values.confidence);
  if (level === undefined) {
    const got = quote(values.confidence ?? '');
    throw new UsageError(`ab: --confidence must be a level between 0 and 1, such as 0.95, got ${got}`);
  }
  const a = words(values.a);
  const b = words(values.b);
  const cwd = process.env['INIT_CWD'] ?? process.cwd();
  // Each variant's command line must be one bench accepts: its errors, with the variant named.
  for (const [name, extra] of [
    ['a', a],
    ['b', b],
  ] as const) {
    try {
      parseBenchArgs([...bench, ...extra], { cores: os.availableParallelism(), cwd });
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`ab: variant ${name}: ${error.message}`);
      throw error;
    }
  }
  return {
    a,
    b,
    bench,
    rounds:
      values.rounds === undefined ? 3 : parseInteger(values.rounds, '--rounds', { min: 1, max: MAX_ROUNDS }),
    level,
    json: values.json === undefined ? undefined : outputFile(values.json, '--json', cwd),
  };
}

/** Runs the bench once as a child with `args`, its result written to `json`; resolves to its exit status. */
function runBench(args: string[], json: string, stop: SignalStop): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BENCH, ...args, '--repeat', '1', '--json', json, '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // The child's own notes (its calibration, the file ab reads back) are ab's business; errors pass.
    child.stderr.setEncoding('utf8');
    let partial = '';
    child.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (!/^vblk-mq: (wrote|wake-up) /.test(line)) process.stderr.write(`${line}\n`);
    });
    const forward = (): void => void child.kill(stop.received);
    stop.signal.addEventListener('abort', forward, { once: true });
    child.on('error', () => resolve(127));
    // 'close' comes after the child's stderr is read to its end ('exit' may come before).
    child.on('close', (code, signal) => {
      if (partial !== '') process.stderr.write(`${partial}\n`);
      stop.signal.removeEventListener('abort', forward);
      resolve(code ?? (signal === null ? 1 : 128 + os.constants.signals[signal]));
    });
  });
}

/** Each point's median over the rounds, its rounds as samples. */
function pointsOf(rounds: readonly RunResult[][]): RunResult[] {
  const all = rounds.flat();
  const groups = groupBy(all, (run) => runKey(run, ['mode', 'lock', 'cpus', 'jobs', 'iodepth', 'iothreads']));
  return [...groups.values()].map(medianRun);
}

async function main(argv: string[]): Promise<number> {
  const args = parseAbArgs(argv);
  if (args === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const stop = new SignalStop({ repeat: 'exit', announce: 'stopping after the bench in progress' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-ab-'));
  const runs: Record<'a' | 'b', RunResult[][]> = { a: [], b: [] };
  const order: string[] = [];
  let machine: ResultFile['machine'] | undefined;
  try {
    for (let round = 0; round < args.rounds && !stop.signal.aborted; round++) {
      const variants = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      for (const variant of variants) {
        if (stop.signal.aborted) break;
        const extra = args[variant];
        process.stderr.write(`ab: round ${round + 1} of ${args.rounds}: ${variant} (${extra.join(' ')})\n`);
        const json = path.join(tmp, `${variant}-${round}.json`);
        const status = await runBench([...args.bench, ...extra], json, stop);
        if (stop.signal.aborted) break;
        if (status !== 0) {
          throw new Error(`ab: the bench of variant ${variant}, round ${round + 1}, exited with ${status}`);
        }
        const file = readResultFile(json);
        machine ??= file.machine;
        runs[variant].push(file.runs);
        order.push(`${variant} round ${round + 1}`);
      }
    }
  } finally {
    stop.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const a = pointsOf(runs.a);
  const b = pointsOf(runs.b);
  const points = abPoints(a, b, args.level);
  const rounds = Math.min(runs.a.length, runs.b.length);
  if (machine !== undefined) process.stdout.write(`machine: ${describeMachine(machine)}\n`);
  process.stdout.write(`a: ${args.a.join(' ')}\nb: ${args.b.join(' ')}\n`);
  const roundsRun = `${rounds} round${rounds === 1 ? '' : 's'} (${order.join(', ')})`;
  process.stdout.write(`bench: ${args.bench.join(' ')}; ${roundsRun}\n`);
  process.stdout.write(renderAb(points));
  if (args.json !== undefined) {
    const file = { machine, a: { args: args.a, runs: a }, b: { args: args.b, runs: b }, order, points };
    writeJsonFile(args.json.path, file);
    process.stderr.write(`vblk-mq: wrote ${args.json.given}\n`);
  }
  return stop.exitStatus() ?? 0;
}

await runCli(main);
