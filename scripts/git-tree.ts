/**
 * Whether the working tree holds only committed code, for `npm run results`: result files must
 * say which commit made them, and a commit says nothing about changes that were never committed.
 *
 * The rule (see {@link countsAsDirty}): the tree is dirty when `git status --porcelain` lists
 *  - any change to a tracked file, staged or not, anywhere in the tree: `git describe --dirty`,
 *    which every result file records as `machine.gitDescribe`, marks those too, docs/results/
 *    included (commit the previous results before making more);
 *  - any untracked file that .gitignore does not ignore, outside docs/results/: a new source
 *    file changes what runs, and `git describe` cannot see it.
 * Untracked files under docs/results/ do not count: they are results not committed yet, which
 * change no code. Ignored files (dist/, node_modules/) never count.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Where the results live, relative to the repository's top, with a trailing slash. */
const RESULTS_FOLDER = 'docs/results/';

/** What git says about the tree at `root`. */
export interface TreeState {
  /** Whether `root` is the top of a git clone (and git runs). */
  clone: boolean;
  /** `git describe --always --dirty --tags`, as result files record it; null outside a clone. */
  describe: string | null;
  /** The `git status --porcelain` lines that make the tree dirty; empty when it is clean. */
  dirty: string[];
}

/** The path of a `git status --porcelain` (v1) line: after `XY `, unquoted; the new path of a rename. */
function porcelainPath(line: string): string {
  const rest = line.slice(3);
  const renamed = rest.includes(' -> ') ? rest.slice(rest.lastIndexOf(' -> ') + 4) : rest;
  return renamed.startsWith('"') && renamed.endsWith('"') ? renamed.slice(1, -1) : renamed;
}

/** Whether one `git status --porcelain` line makes the tree dirty (the rule in the caption). */
export function countsAsDirty(line: string): boolean {
  if (line.trim() === '') return false;
  if (!line.startsWith('?? ')) return true;
  return !porcelainPath(line).startsWith(RESULTS_FOLDER);
}

/** Runs git in `root`; its stdout, or null when it fails or is missing. */
function git(root: string, args: readonly string[]): string | null {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout : null;
}

/** The state of the tree at `root` (see {@link TreeState}). */
export function treeState(root: string): TreeState {
  const top = git(root, ['rev-parse', '--show-toplevel'])?.trim();
  if (top === undefined || top === '' || fs.realpathSync(top) !== fs.realpathSync(root)) {
    return { clone: false, describe: null, dirty: [] };
  }
  const status = git(root, ['status', '--porcelain=v1']) ?? '?? (git status failed)';
  return {
    clone: true,
    describe: git(root, ['describe', '--always', '--dirty', '--tags'])?.trim() ?? null,
    dirty: status.split('\n').filter(countsAsDirty),
  };
}

/** `M src/a.ts, ?? src/b.ts and 3 more`: the first few dirty lines, for a one-line message. */
export function summariseDirt(dirty: readonly string[], shown = 3): string {
  const first = dirty.slice(0, shown).map((line) => line.trim().replace(/\s+/, ' '));
  const more = dirty.length > shown ? ` and ${dirty.length - shown} more` : '';
  return `${first.join(', ')}${more}`;
}
