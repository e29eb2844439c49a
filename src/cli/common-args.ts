/**
 * Argument handling shared by every command line (bench, bench:micro, compare, soak).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OutputPath } from '../protocol/options.js';
import { quote, usageError } from './units.js';
import { UsageError } from './usage-error.js';

/** A one-line {@link UsageError} for an error of `util.parseArgs`; other errors are returned as they are. */
export function translateParseError(error: unknown, argv: readonly string[], optionNames: readonly string[]): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (!code.startsWith('ERR_PARSE_ARGS_')) return error;
  const named = /'([^']*)'/.exec(error.message)?.[1] ?? '';

  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const bare = named.replace(/^-+/, '').split('=')[0] ?? '';
    const near = bare === '' ? [] : optionNames.filter((name) => name.startsWith(bare) || bare.startsWith(name));
    const guess = near.length === 1 && near[0] !== undefined ? `did you mean --${near[0]}? ` : '';
    return new UsageError(`unknown option ${named}; ${guess}see --help`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new UsageError(`unexpected argument ${quote(named)}: options start with --; see --help`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = named.split(' ')[0] ?? named;
    if (error.message.includes('does not take an argument')) {
      return new UsageError(`${option} takes no value; see --help`);
    }
    if (error.message.includes('ambiguous')) {
      // `--runtime -1s`: parseArgs will not take a value that starts with a dash.
      const index = argv.findIndex((arg, i) => arg === option && argv[i + 1]?.startsWith('-'));
      const next = index < 0 ? undefined : argv[index + 1];
      if (next !== undefined && !next.startsWith('--')) {
        return new UsageError(
          `${option}: ${quote(next)} starts with "-"; write ${option}=${next} to give it as the value`,
        );
      }
    }
    return new UsageError(`${option} needs a value; see --help`);
  }
  return new UsageError(`${error.message.split('\n')[0] ?? error.message}; see --help`);
}

/** Throws unless the folder that the output `text` (resolved: `resolved`) goes in exists. */
function requireParentFolder(text: string, resolved: string, option: string): void {
  const shown = quote(path.dirname(text));
  const folder = fs.statSync(path.dirname(resolved), { throwIfNoEntry: false });
  if (folder === undefined) {
    throw new UsageError(`${option}: folder ${shown} does not exist; create it or give another path`);
  }
  if (!folder.isDirectory()) {
    throw new UsageError(`${option}: ${shown} is not a folder; give a path in an existing folder`);
  }
}

/**
 * `--json`/`--svg`: resolves the path against `cwd` and checks that its folder exists.
 * Creates nothing.
 */
export function outputFile(text: string, option: string, cwd: string): OutputPath {
  if (text.trim() === '') throw usageError(option, quote(text), 'is empty', 'give a file name such as out.json');
  const resolved = path.resolve(cwd, text);
  requireParentFolder(text, resolved, option);
  if (fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory() === true) {
    throw usageError(option, quote(text), 'is a folder', 'give a file name in it');
  }
  return { path: resolved, given: text };
}

/**
 * `--fio-json DIR`: resolves the path against `cwd` and checks that it is a folder, or that it
 * can be made one: missing, in a folder that exists. Creates nothing, so that a command line
 * found wrong later leaves nothing behind; {@link createOutputFolder} makes it when the results
 * are written.
 */
export function outputFolder(text: string, option: string, cwd: string): OutputPath {
  if (text.trim() === '') throw usageError(option, quote(text), 'is empty', 'give a folder such as out');
  const resolved = path.resolve(cwd, text);
  const stat = fs.statSync(resolved, { throwIfNoEntry: false });
  if (stat === undefined) requireParentFolder(text, resolved, option);
  else if (!stat.isDirectory()) throw usageError(option, quote(text), 'is not a folder', 'give a folder');
  return { path: resolved, given: text };
}

/**
 * Makes the folder of {@link outputFolder} if it is missing: that folder only, never its parents
 * (had its parent gone since the check, this fails rather than make a tree somewhere).
 */
export function createOutputFolder(folder: OutputPath): void {
  try {
    fs.mkdirSync(folder.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
