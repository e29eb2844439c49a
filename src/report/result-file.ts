/**
 * Reading and writing the JSON result file of `npm run bench -- --json FILE`, and the `kind` that
 * every result file of this project carries at its top, so that a reader dispatches on it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { RESULT_SCHEMA, type ResultFile } from './result.js';

/**
 * A result file that cannot be read or is not one: a one-line message that
 * names the file as the user typed it. The command lines report it as a
 * usage error (src/cli/result-file-arg.ts).
 */
export class ResultFileError extends Error {
  override name = 'ResultFileError';
}

/** Plain words for the fs error codes a user can cause by naming the wrong path. */
const FS_ERROR_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a parent is not a directory',
};

/** The one-line reason of an fs error. */
function fsErrorWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && code in FS_ERROR_WORDS) return FS_ERROR_WORDS[code]!;
  return error instanceof Error ? error.message : String(error);
}

/** How {@link readResultFile} words its errors. */
export interface ReadResultOptions {
  /** Prefix of every message; default `compare`. */
  program?: string;
  /** The path as the user typed it, when `path` was resolved from it; default `path`. */
  shownAs?: string;
}

/** Builds the messages of {@link readResultFile} for one file. */
function errorsFor(path: string, options: ReadResultOptions) {
  const program = options.program ?? 'compare';
  const shown = `"${options.shownAs ?? path}"`;
  return {
    unreadable: (error: unknown) => new ResultFileError(`${program}: cannot read ${shown}: ${fsErrorWords(error)}`),
    notJson: () => new ResultFileError(`${program}: ${shown} is not JSON`),
    notResult: (problem: string) =>
      new ResultFileError(`${program}: ${shown} is not a vblk-mq result file of schema ${RESULT_SCHEMA} (${problem})`),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What a result file holds, written at the top of its JSON as `kind`: `bench` (npm run bench),
 * `micro` (bench:micro), `native` (bench:native), `ab` (npm run ab), `compare` (npm run compare's
 * --json), `micro-vs` and `bench-vs` (npm run results: bench:micro or bench of an earlier commit
 * against this tree's).
 */
export type ResultKind = 'bench' | 'micro' | 'native' | 'ab' | 'compare' | 'micro-vs' | 'bench-vs';

const RESULT_KINDS: readonly ResultKind[] = ['bench', 'micro', 'native', 'ab', 'compare', 'micro-vs', 'bench-vs'];

/**
 * The kind of a parsed result file: its `kind`, or for a file made before files carried one,
 * the kind its shape says (a bench's `runs`, bench:micro's `results`, ab's `points` next to a
 * machine, bench:native's `versions`, micro-vs's `before` and `cases`); undefined for neither.
 */
export function resultKind(json: unknown): ResultKind | undefined {
  if (!isRecord(json)) return undefined;
  const kind = json['kind'];
  if (typeof kind === 'string') return RESULT_KINDS.find((known) => known === kind);
  if (typeof json['before'] === 'string' && Array.isArray(json['cases'])) return 'micro-vs';
  if (!isRecord(json['machine'])) return undefined;
  if (Array.isArray(json['runs'])) return 'bench';
  if (Array.isArray(json['results'])) return 'micro';
  if (Array.isArray(json['points'])) return 'ab';
  if (Array.isArray(json['versions'])) return 'native';
  return undefined;
}

/** How the file's `schema` field reads in an error: `schema 7`, `schema "1"`, `no schema`. */
function describeSchema(data: unknown): string {
  if (!isRecord(data) || !('schema' in data)) return 'no schema';
  const schema = data['schema'];
  return `schema ${typeof schema === 'number' ? schema : JSON.stringify(schema)?.slice(0, 40)}`;
}

/** Run fields the report code reads by type; anything else is carried through untouched. */
const RUN_STRING_FIELDS = ['mode', 'lock'] as const;
const RUN_NUMBER_FIELDS = ['jobs', 'iodepth', 'cpus', 'iops'] as const;

/** Why `run` cannot be reported on, or undefined when it can. */
function runProblem(run: unknown, index: number): string | undefined {
  if (!isRecord(run)) return `run ${index} is not an object`;
  const badString = RUN_STRING_FIELDS.find((field) => typeof run[field] !== 'string');
  if (badString !== undefined) return `run ${index} has no "${badString}" string`;
  const badNumber = RUN_NUMBER_FIELDS.find((field) => typeof run[field] !== 'number');
  if (badNumber !== undefined) return `run ${index} has no "${badNumber}" number`;
  return undefined;
}

/** Why `data` is not a result file of {@link RESULT_SCHEMA}, or undefined when it is one. */
function resultFileProblem(data: unknown): string | undefined {
  // A file without `kind` was made before files carried one: its schema and runs tell.
  const kind = isRecord(data) ? data['kind'] : undefined;
  if (kind !== undefined && kind !== 'bench') return `found kind ${JSON.stringify(kind)?.slice(0, 40)}`;
  if (!isRecord(data) || data['schema'] !== RESULT_SCHEMA) return `found ${describeSchema(data)}`;
  if (!Array.isArray(data['runs'])) return 'no "runs" array';
  if (!isRecord(data['machine'])) return 'no "machine" object';
  return data['runs'].map(runProblem).find((problem) => problem !== undefined);
}

/**
 * Reads and checks a result file. Every failure is a {@link ResultFileError} with a one-line
 * message starting with the program name (`compare` unless `options.program` says otherwise):
 * - `compare: cannot read "x": no such file` (or `is a directory`, `permission denied`, ...)
 * - `compare: "x" is not JSON`
 * - `compare: "x" is not a vblk-mq result file of schema 1 (found schema 7)`; the parenthesis
 *   says `no "runs" array`, `no "machine" object` or `run 3 has no "iops" number` when the schema matches.
 *
 * Only the fields the report code relies on are checked; the rest is trusted as written by the bench.
 */
export function readResultFile(path: string, options: ReadResultOptions = {}): ResultFile {
  const errors = errorsFor(path, options);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw errors.unreadable(error);
  }
  return checkedResult(text, errors);
}

/**
 * {@link readResultFile} without blocking the event loop while the file is
 * read, so that a command stays responsive to signals (a FIFO or a slow disk).
 */
export async function loadResultFile(path: string, options: ReadResultOptions = {}): Promise<ResultFile> {
  const errors = errorsFor(path, options);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw errors.unreadable(error);
  }
  return checkedResult(text, errors);
}

/** The result file `text` holds, or the error that says why it is not one. */
function checkedResult(text: string, errors: ReturnType<typeof errorsFor>): ResultFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw errors.notJson();
  }
  const problem = resultFileProblem(data);
  if (problem !== undefined) throw errors.notResult(problem);
  return data as ResultFile;
}

/** Removes `path` if it is there, ignoring failure: the caller has a better error to throw. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing to add to the error being thrown.
  }
}

/** Writes a bench result file, `kind` 'bench' at its top: {@link writeJsonFile}. */
export function writeResultFile(path: string, file: ResultFile): void {
  writeJsonFile(path, { kind: 'bench', ...file });
}

/**
 * Writes `value` as indented JSON to `path` atomically: to `path + '.tmp'` first, then
 * renamed over `path`, so a reader never sees half a file. On failure the temporary file
 * is removed and the fs error is thrown as it came.
 */
export function writeJsonFile(path: string, value: unknown): void {
  const temporary = `${path}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
}
