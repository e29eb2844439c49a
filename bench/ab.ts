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
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { runCli } from '../src/cli/run-cli.js';
import { UsageError } from '../src/cli/usage-error.js';
import { outputFile, translateParseError } from '../src/cli/common-args.js';
import { parseInteger, quote } from '../src/cli/units.js';
import { parseBenchArgs } from '../src/cli/bench-args.js';
import { SignalStop } from '../src/cli/stop-signals.js';
import { roundPoints, runAbRounds, type AbRounds, type AbVariant } from '../src/cli/ab-rounds.js';
import { describeMachine } from '../src/report/machine.js';
import { writeJsonFile } from '../src/report/result-file.js';
import { abPoints, renderAb } from '../src/report/ab.js';
import { DEFAULT_CONFIDENCE, parseConfidence } from '../src/report/confidence.js';
import { plural } from '../src/report/format.js';

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

async function main(argv: string[]): Promise<number> {
  const args = parseAbArgs(argv);
  if (args === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const stop = new SignalStop({ repeat: 'exit', announce: 'stopping after the bench in progress' });
  let measured: AbRounds;
  try {
    const variant = (name: 'a' | 'b'): AbVariant => ({
      name,
      shown: `${name} (${args[name].join(' ')})`,
      bench: BENCH,
      argSets: [[...args.bench, ...args[name]]],
    });
    measured = await runAbRounds('ab', [variant('a'), variant('b')], args.rounds, stop);
  } finally {
    stop.dispose();
  }
  const { order } = measured;
  const machine = measured.machines[0] ?? measured.machines[1];
  const a = roundPoints(measured.runs[0]);
  const b = roundPoints(measured.runs[1]);
  const points = abPoints(a, b, args.level);
  const rounds = Math.min(measured.runs[0].length, measured.runs[1].length);
  if (machine !== undefined) process.stdout.write(`machine: ${describeMachine(machine)}\n`);
  process.stdout.write(`a: ${args.a.join(' ')}\nb: ${args.b.join(' ')}\n`);
  process.stdout.write(`bench: ${args.bench.join(' ')}; ${plural(rounds, 'round')} (${order.join(', ')})\n`);
  process.stdout.write(renderAb(points));
  if (args.json !== undefined) {
    const file = { kind: 'ab', machine, a: { args: args.a, runs: a }, b: { args: args.b, runs: b }, order, points };
    writeJsonFile(args.json.path, file);
    process.stderr.write(`vblk-mq: wrote ${args.json.given}\n`);
  }
  return stop.exitStatus() ?? 0;
}

await runCli(main);
