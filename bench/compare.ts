/**
 * `npm run compare -- a.json b.json ... [--confidence LEVEL] [--json FILE]`: the IOPS of several
 * `npm run bench -- --json` files side by side, with each one's ratio to the first, its
 * confidence interval and a verdict (src/report/compare.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { runCli } from '../src/cli/run-cli.js';
import { UsageError } from '../src/cli/usage-error.js';
import { outputFile, translateParseError } from '../src/cli/common-args.js';
import { quote } from '../src/cli/units.js';
import { loadResultFileArg } from '../src/cli/result-file-arg.js';
import { dieBySignal, SignalStop } from '../src/cli/stop-signals.js';
import type { OutputPath } from '../src/protocol/options.js';
import { DEFAULT_CONFIDENCE } from '../src/report/confidence.js';
import { compareJson, compareResults, mixedSettings } from '../src/report/compare.js';
import { parseConfidence } from '../src/report/confidence.js';
import { writeJsonFile } from '../src/report/result-file.js';

const HELP = `usage: npm run compare -- FILE.json [FILE.json ...] [--confidence LEVEL] [--json FILE]

Prints the IOPS of result files written by \`npm run bench -- --json FILE\` side by side,
matched on mode, lock, jobs and iodepth. Each file, and each --cpus value within a file,
is one column; every column after the first also gets its ratio to the first, with its
confidence interval and a verdict: "1.12x [0.95x..1.31x] ~". The interval is Welch's
t-interval on the log IOPS of the point's rounds in each file (bench --repeat N); the verdict
is faster or slower when the whole interval lies on one side of 1x, and ~ (no clear
difference) when it holds 1x. A point that a file ran once gives "(need >= 2 rounds)".
Cells without a matching run show "-".

Runs measured with other settings (--iodepth-batch, --device-threads, --guest-ns, ...: the
settings line of the bench's table) do not compare: compare refuses them unless asked.

options:
  --allow-mixed       put side by side runs whose settings differ
  --confidence LEVEL  the intervals' confidence level, between 0 and 1 (default ${DEFAULT_CONFIDENCE})
  --json FILE         also write every point's ratio to the first column as JSON: mode, lock,
                      iodepth, jobs, cpus, a, b, aIops, bIops, ratio, ciLow, ciHigh, level,
                      rounds, verdict (ciLow, ciHigh and verdict null with too few rounds)
  -h, --help          show this help and exit

exit status: 0 done, 2 a bad argument or an unreadable result file, 1 any other failure;
killed by SIGINT/SIGTERM (a shell reports 130/143) after saying so, printing nothing else
`;

/** The command line: the files to compare, or help. */
type CompareArgs =
  | { help: true }
  | { help: false; files: string[]; allowMixed: boolean; level: number; json: OutputPath | undefined };

/** `--confidence LEVEL`, or the default; a level not strictly between 0 and 1 is a {@link UsageError}. */
function confidenceArg(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONFIDENCE;
  const level = parseConfidence(text);
  if (level === undefined) {
    throw new UsageError(`compare: --confidence must be a level between 0 and 1, such as 0.95, got ${quote(text)}`);
  }
  return level;
}

/** Parses argv; every mistake is a one-line {@link UsageError}. */
function parseCompareArgs(argv: string[]): CompareArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'allow-mixed': { type: 'boolean' },
        confidence: { type: 'string' },
        json: { type: 'string' },
      },
    });
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return { help: true };
    throw translateParseError(error, argv, ['help', 'allow-mixed', 'confidence', 'json']);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { help: true };
  if (positionals.length === 0) {
    throw new UsageError('compare: no result file given; usage: npm run compare -- a.json b.json');
  }
  const level = confidenceArg(values.confidence);
  const cwd = process.env['INIT_CWD'] ?? process.cwd();
  return {
    help: false,
    files: positionals,
    allowMixed: values['allow-mixed'] === true,
    level,
    json: values.json === undefined ? undefined : outputFile(values.json, '--json', cwd),
  };
}

/** Resolves `file` against the folder `npm run` was started from, as the user typed it there. */
function resolveFromUser(file: string): string {
  return path.resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
}

async function main(argv: string[]): Promise<number> {
  const args = parseCompareArgs(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // Reading waits on the disk (or a pipe) without blocking the event loop, so a signal ends it
  // at once; compare writes nothing until every file is read, so nothing is left half done.
  const stop = new SignalStop({ repeat: 'ignore' });
  const stopped = new Promise<null>((resolve) =>
    stop.signal.addEventListener('abort', () => resolve(null), { once: true }),
  );
  const loading = Promise.all(
    args.files.map(async (file) => ({
      label: file,
      file: await loadResultFileArg(resolveFromUser(file), { program: 'compare', shownAs: file }),
    })),
  );
  const files = await Promise.race([loading, stopped]);
  if (files === null) {
    process.stderr.write(`vblk-mq: compare: interrupted by ${stop.received}\n`);
    // A read may still be pending on a pipe, which process.exit() would wait for.
    dieBySignal(stop.received!);
  }
  stop.dispose();
  const mixed = mixedSettings(files);
  if (mixed !== null && !args.allowMixed) {
    throw new UsageError(`compare: ${mixed}, so their figures do not compare; add --allow-mixed to show them anyway`);
  }
  process.stdout.write(compareResults(files, args.level));
  if (args.json !== undefined) {
    writeJsonFile(args.json.path, compareJson(files, args.level));
    process.stderr.write(`vblk-mq: wrote ${args.json.given}\n`);
  }
  return 0;
}

await runCli(main);
