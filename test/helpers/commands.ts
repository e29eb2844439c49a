/**
 * Running commands (node, npm, tsc) from tests, with a timeout and an error that shows their
 * output, and temporary folders outside the repository that are always removed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (absolute, no trailing separator). */
export const REPO_ROOT: string = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The repository's own TypeScript compiler, run with `node`. */
export const TSC: string = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** What a finished command left. */
export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Options of {@link runCommand}. */
export interface CommandOptions {
  cwd: string;
  /** Kill the command and fail after this long. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `command args` and returns its output; throws, with the output, when it exits non-zero,
 * is killed by a signal, or runs past the timeout.
 */
export function runCommand(command: string, args: readonly string[], options: CommandOptions): CommandResult {
  const windows = process.platform === 'win32';
  const result = spawnSync(windows && command === 'npm' ? 'npm.cmd' : command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    shell: windows && command === 'npm',
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  const shown = `${command} ${args.join(' ')} (in ${options.cwd})`;
  const output = `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
  if (result.error !== undefined) {
    const timedOut = (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    throw new Error(
      `${shown} ${timedOut ? `ran past ${options.timeoutMs} ms` : `failed: ${result.error.message}`}\n${output}`,
    );
  }
  if (result.status !== 0) {
    throw new Error(`${shown} exited with ${result.status ?? `signal ${result.signal}`}\n${output}`);
  }
  return { stdout, stderr };
}

/**
 * The environment for an npm started from a test: the caller's, without the variables npm sets
 * for the scripts it runs (`npm test` here), which describe this repository, not the throwaway
 * project the child works in.
 */
export function childNpmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const k = key.toLowerCase();
    if (
      k.startsWith('npm_package_') ||
      k.startsWith('npm_lifecycle_') ||
      k === 'npm_config_local_prefix' ||
      k === 'init_cwd'
    ) {
      continue;
    }
    env[key] = value;
  }
  env['npm_config_update_notifier'] = 'false';
  return env;
}

/** A fresh folder in the OS temporary folder (outside the repository), and its removal. */
export interface TempDir {
  path: string;
  remove(): void;
}

/** Creates a temporary folder named `vblk-mq-<prefix>-XXXXXX` in os.tmpdir(). */
export function makeTempDir(prefix: string): TempDir {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `vblk-mq-${prefix}-`)));
  return {
    path: dir,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Whether `child` is `parent` or inside it. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
