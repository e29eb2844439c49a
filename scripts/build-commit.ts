/**
 * An earlier commit of this repository, built where it cannot touch this tree: what the
 * `micro-vs` and `bench-vs` entries of `npm run results` measure this tree's build against.
 *
 * The commit is exported with `git archive` into a scratch folder outside the repository, given
 * this tree's node_modules (a link: no install, so the two builds share their dependencies) and
 * built with its own tsconfig by this tree's TypeScript.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChild } from '../src/cli/child-run.js';
import type { SignalStop } from '../src/cli/stop-signals.js';

/** Runs a command, which a stop request reaches (child-run.ts); throws with its output when it fails. */
export async function check(command: string, args: string[], cwd: string, stop: SignalStop): Promise<void> {
  const r = await runChild(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }, stop);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** Exports `commit` of the repository at `root` into a new folder and builds it there; the folder. */
export async function buildCommit(root: string, commit: string, stop: SignalStop): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-mq-before-'));
  const archive = spawnSync('git', ['-C', root, 'archive', commit], { maxBuffer: 256 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${commit} failed: ${archive.stderr.toString()}`);
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await check(process.execPath, [tsc, '-p', 'tsconfig.json'], dir, stop);
  return dir;
}
