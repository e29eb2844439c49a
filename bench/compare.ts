/**
 * `npm run compare -- a.json b.json ...`: the IOPS of several `npm run bench -- --json` files
 * side by side, with each one's ratio to the first.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { runCli } from '../src/cli/run-cli.js';
import { UsageError } from '../src/cli/usage-error.js';
import { translateParseError } from '../src/cli/common-args.js';
import { loadResultFileArg } from '../src/cli/result-file-arg.js';
import { dieBySignal, SignalStop } from '../src/cli/stop-signals.js';
import { compareResults, mixedSettings } from '../src/report/compare.js';

const HELP = `usage: npm run compare -- FILE.json [FILE.json ...]

Prints the IOPS of result files written by \`npm run bench -- --json FILE\` side by side,
matched on mode, lock, jobs and iodepth. Each file, and each --cpus value within a file,
is one column; every column after the first also gets its ratio to the first.
Cells without a matching run show "-".

Runs measured with other settings (--iodepth-batch, --device-threads, --guest-ns, ...: the
settings line of the bench's table) do not compare: compare refuses them unless asked.

options:
  --allow-mixed  put side by side runs whose settings differ
  -h, --help     show this help and exit

exit status: 0 done, 2 a bad argument or an unreadable result file, 1 any other failure;
killed by SIGINT/SIGTERM (a shell reports 130/143) after saying so, printing nothing else
`;

/** The command line: the files to compare, or help. */
type CompareArgs = { help: true } | { help: false; files: string[]; allowMixed: boolean };

/** Parses argv; every mistake is a one-line {@link UsageError}. */
function parseCompareArgs(argv: string[]): CompareArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { help: { type: 'boolean', short: 'h' }, 'allow-mixed': { type: 'boolean' } },
    });
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return { help: true };
    throw translateParseError(error, argv, ['help', 'allow-mixed']);
  }
  if (parsed.values.help === true) return { help: true };
  if (parsed.positionals.length === 0) {
    throw new UsageError('compare: no result file given; usage: npm run compare -- a.json b.json');
  }
  return { help: false, files: parsed.positionals, allowMixed: parsed.values['allow-mixed'] === true };
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
  process.stdout.write(compareResults(files));
  return 0;
}

await runCli(main);
