/**
 * docs/results/ holds only what `npm run results` makes, from committed code:
 *  - every file under docs/results/ is one that an entry of `npm run results -- --list` makes
 *    (NAME.txt, NAME.json, NAME.svg, its --fio-json folder) or the generated README.md, and
 *    every file the list names is there;
 *  - each NAME.txt starts with the command that --list gives for NAME (`$ npm run ...`), so an
 *    entry whose arguments changed since its files were made is caught;
 *  - every JSON file under docs/results/ (the bench's, bench:micro's, and fio's format, which
 *    keeps the machine under `vblk-mq`) records a `machine.gitDescribe` that is not dirty and
 *    names a commit that is an ancestor of HEAD (`git merge-base --is-ancestor`).
 * The git checks skip, saying why, outside a git clone; in a shallow clone, a commit that the
 * clone does not have is skipped rather than failed. Reads files only: `npm run results` makes
 * them (run it from a clean tree at the final commit, then commit docs/results/).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { isDirtyDescribe, recordedMachine } from '../dist/scripts/results-readme.js';
import { REPO_ROOT } from './helpers/commands.js';

const RESULTS_DIR = path.join(REPO_ROOT, 'docs', 'results');

/** Runs git in the repository: its exit status and trimmed stdout (status null when git is missing). */
function git(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.error === undefined ? r.status : null, out: (r.stdout ?? '').trim() };
}

/** Why the git checks cannot run here, or '' when the repository is a git clone with git at hand. */
function notAClone(): string {
  const top = git('rev-parse', '--show-toplevel');
  if (top.status === null) return 'git is not installed';
  if (top.status !== 0 || top.out === '') return 'not a git clone';
  if (fs.realpathSync(top.out) !== fs.realpathSync(REPO_ROOT)) return 'the package is not the top of its git clone';
  return '';
}

/** Every file under `dir`, as paths relative to docs/results/ with forward slashes. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [path.relative(RESULTS_DIR, full).split(path.sep).join('/')];
  });
}

/** The entries of `npm run results -- --list`: name, command, and the files each makes. */
function listed(): { name: string; command: string; makes: string[] }[] {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'scripts', 'results.js'), '--list'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  const MAKES = '  makes ';
  return lines.flatMap((line, i) => {
    const name = /^([\w.-]+): /.exec(line)?.[1];
    if (name === undefined) return [];
    // `NAME: about`, then its command (none for the README), then `  makes FILE ...`.
    const next = lines[i + 1];
    const [command, makes] = next?.startsWith(MAKES) === true ? ['', next] : [next, lines[i + 2]];
    if (command === undefined || makes?.startsWith(MAKES) !== true) return [];
    return [{ name, command: command.trim(), makes: makes.slice(MAKES.length).split(' ') }];
  });
}

/** A command with the cache folder of scripts/cached-install.ts written the same way on every machine. */
function portable(command: string): string {
  return command.replace(/\S*\/vblk-mq\/(node|packages)\//g, '<cache>/$1/');
}

/** The commit a `git describe --always --tags` names: the hash after -g, a bare hash, or a tag. */
function commitNamed(describe: string): string {
  const bare = describe.replace(/-dirty$/, '');
  return /-g([0-9a-f]{4,40})$/.exec(bare)?.[1] ?? bare;
}

describe('docs/results/ against npm run results', () => {
  const entries = listed();
  const present = filesUnder(RESULTS_DIR);
  const jsonFiles = present.filter((file) => file.endsWith('.json'));

  it('lists entries, each making its NAME.txt', () => {
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries.filter((e) => e.command !== '')) expect(entry.makes[0]).toBe(`${entry.name}.txt`);
    expect(entries.map((entry) => entry.name)).toContain('README.md');
  });

  it('holds no file that no entry makes', () => {
    const made = entries.flatMap((entry) => entry.makes);
    const stray = present.filter(
      (file) => !made.some((m) => (m.endsWith('/') ? file.startsWith(m) : file === m)),
    );
    expect(stray, 'files under docs/results/ that `npm run results -- --list` does not make: remove them').toEqual(
      [],
    );
  });

  it('holds every file the entries make', () => {
    const missing = entries
      .flatMap((entry) => entry.makes.map((file) => ({ entry: entry.name, file })))
      .filter(({ file }) => !present.some((p) => (file.endsWith('/') ? p.startsWith(file) : p === file)))
      .map(({ entry, file }) => `${file} (npm run results -- --only ${entry})`);
    expect(missing, 'files the entries make that docs/results/ lacks').toEqual([]);
  });

  it('has each NAME.txt start with the command that makes it now', () => {
    const stale = entries.flatMap((entry) => {
      const txt = path.join(RESULTS_DIR, `${entry.name}.txt`);
      if (entry.command === '' || !fs.existsSync(txt)) return [];
      const first = fs.readFileSync(txt, 'utf8').split('\n')[0] ?? '';
      return portable(first) === portable(`$ ${entry.command}`) ? [] : [`${entry.name}.txt: ${first}`];
    });
    expect(stale, 'made by another command (or marked dirty): run `npm run results -- --only NAME`').toEqual([]);
  });

  it('records, in every JSON file, a commit and a clean tree', () => {
    const dirty = jsonFiles.flatMap((file) => {
      const describe = recordedMachine(JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, file), 'utf8')))?.[
        'gitDescribe'
      ];
      return isDirtyDescribe(describe) ? [`${file}: ${String(describe)}`] : [];
    });
    expect(jsonFiles.length).toBeGreaterThan(0);
    expect(dirty, 'made from a dirty tree (or outside a clone): regenerate from a clean tree').toEqual([]);
  });

  it('records commits that are ancestors of HEAD', (context) => {
    const why = notAClone();
    if (why !== '') context.skip(`${why}: cannot check the commits the results name`);
    const shallow = git('rev-parse', '--is-shallow-repository').out === 'true';
    const problems: string[] = [];
    const unknown: string[] = [];
    for (const file of jsonFiles) {
      const describe = recordedMachine(JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, file), 'utf8')))?.[
        'gitDescribe'
      ];
      if (typeof describe !== 'string') continue; // the test above reports it
      const commit = git('rev-parse', '--verify', '--quiet', `${commitNamed(describe)}^{commit}`);
      if (commit.status !== 0) {
        (shallow ? unknown : problems).push(`${file}: ${describe} names a commit this clone does not have`);
        continue;
      }
      const ancestor = git('merge-base', '--is-ancestor', commit.out, 'HEAD');
      if (ancestor.status !== 0) problems.push(`${file}: ${describe} is not an ancestor of HEAD`);
    }
    expect(problems, 'results made from code that HEAD does not contain: regenerate them').toEqual([]);
    if (unknown.length > 0 && unknown.length === jsonFiles.length) {
      context.skip(`a shallow clone without the commits the results name (${unknown.length} files)`);
    }
  });
});
