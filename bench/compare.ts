/**
 * `npm run compare -- a.json b.json ...`: the IOPS of several `npm run bench -- --json` files
 * side by side, with each one's ratio to the first.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { runCli } from '../src/cli/run-cli.js';
import { UsageError } from '../src/cli/usage-error.js';
import { compareResults } from '../src/report/compare.js';
import { readResultFile } from '../src/report/result-file.js';

const HELP = `usage: npm run compare -- FILE.json [FILE.json ...]

Prints the IOPS of result files written by \`npm run bench -- --json FILE\` side by side,
matched on mode, lock, jobs and iodepth. Each file, and each --cpus value within a file,
is one column; every column after the first also gets its ratio to the first.
Cells without a matching run show "-".

options:
  -h, --help  show this help and exit

exit status: 0 done, 2 a bad argument or an unreadable result file, 1 any other failure
`;

/** The command line: the files to compare, or help. */
type CompareArgs = { help: true } | { help: false; files: string[] };

/** A one-line {@link UsageError} for an error of `util.parseArgs`; other errors are returned as they are. */
function parseErrorToUsage(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (!(error instanceof Error) || !code.startsWith('ERR_PARSE_ARGS_')) return error;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const named = /'([^']*)'/.exec(error.message)?.[1] ?? '';
    return new UsageError(`compare: unknown option ${named}; the only option is --help`);
  }
  return new UsageError(`compare: ${error.message}`);
}

/** Parses argv; every mistake is a one-line {@link UsageError}. */
function parseCompareArgs(argv: string[]): CompareArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return { help: true };
    throw parseErrorToUsage(error);
  }
  if (parsed.values.help === true) return { help: true };
  if (parsed.positionals.length === 0) throw new UsageError('compare: no result file given; usage: npm run compare -- a.json b.json');
  return { help: false, files: parsed.positionals };
}

/** Resolves `file` against the folder `npm run` was started from, as the user typed it there. */
function resolveFromUser(file: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
}

async function main(argv: string[]): Promise<number> {
  const args = parseCompareArgs(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const files = args.files.map((file) => {
    const loaded = readResultFile(resolveFromUser(file), { program: 'compare', shownAs: file });
    return { label: file, file: loaded };
  });
  process.stdout.write(compareResults(files));
  return 0;
}

await runCli(main);
