/**
 * `npm run bench:native` (bench/native.ts) as a user runs it, without asserting any speed: its
 * command line (bad values exit 2 with one line), a version it cannot find (skipped, exit 0),
 * and, where the Node 26 binary is cached, one tiny run of every case on both sides with the
 * counters exact. Tests the compiled output in dist/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { nodeBinaryPath } from '../dist/src/cli/node-cache.js';
import { NATIVE_CASES, type ChildReport } from '../dist/bench/native-protocol.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-native-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function native(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bench/native.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: tmp,
    env: { ...process.env, INIT_CWD: tmp },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run bench:native: the command line', () => {
  it.each([
    [['--node', 'twenty-six'], '--node'],
    [['--node', '26,26'], '--node'],
    [['--rounds', '3'], '--rounds'],
    [['--rounds', '0'], '--rounds'],
    [['--scale', '0'], '--scale'],
    [['--scale', 'lots'], '--scale'],
    [['--filter', 'no-such-case'], '--filter'],
    [['--bogus'], '--bogus'],
  ])('refuses %j with exit 2 and one line naming %s', (args, option) => {
    const r = native(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^vblk-mq: .*${option}`));
  });

  it('prints its help with the case names', () => {
    const r = native(['--help']);
    expect(r.status).toBe(0);
    for (const name of NATIVE_CASES) expect(r.stdout).toContain(name);
  });

  it('skips a version it has no binary of with one line, and still exits 0', () => {
    const r = native(['--node', '99']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^bench:native: skipping Node 99: no Node 99 at /m);
  });
});

const node26 = nodeBinaryPath('26');
const absent = fs.existsSync(node26) ? '' : `no Node 26 at ${node26} (npm run test:node -- 26 installs it)`;

describe.skipIf(absent !== '')(`npm run bench:native on Node 26${absent === '' ? '' : `: skipped, ${absent}`}`, () => {
  it.each(NATIVE_CASES.flatMap((name) => (['ours', 'native'] as const).map((side) => [name, side] as const)))(
    '%s (%s) runs once with its counter exact',
    (name, side) => {
      const spec = JSON.stringify({ name, side, ops: name === 'condition.ping-pong' ? 200 : 2000 });
      const r = spawnSync(node26, ['--harmony-struct', path.join(root, 'dist/bench/native-child.js'), spec], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const report = JSON.parse(r.stdout) as ChildReport;
      expect(report.counter).toBe(report.expected);
      expect(report.expected).toBeGreaterThan(0);
      expect(report.seconds).toBeGreaterThan(0);
    },
  );

  it('runs two tiny ABBA rounds of every case and writes them', () => {
    const r = native(['--node', '26', '--rounds', '2', '--scale', '0.005', '--json', 'native.json']);
    expect(r.stderr).not.toMatch(/vblk-mq:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^targets \(ours\/native, Node v26/m);
    const file = JSON.parse(fs.readFileSync(path.join(tmp, 'native.json'), 'utf8')) as {
      versions: { node: string; cases: { name: string; ours: number[]; native: number[]; first: string[] }[] }[];
    };
    const cases = file.versions[0]!.cases;
    expect(cases.map((c) => c.name)).toEqual([...NATIVE_CASES]);
    for (const c of cases) {
      expect(c.first).toEqual(['ours', 'native']);
      for (const rate of [...c.ours, ...c.native]) expect(rate).toBeGreaterThan(0);
    }
  });
});

const mtDir = path.join(
  os.homedir(),
  '.cache',
  'vblk-mq',
  'packages',
  'multithreading@0.3.52',
  'node_modules',
  'multithreading',
);
const mtAbsent =
  absent !== ''
    ? absent
    : fs.existsSync(path.join(mtDir, 'package.json'))
      ? ''
      : `no multithreading package at ${mtDir} (npm run results -- --only micro-native-node26 installs it)`;

describe('npm run bench:native --multithreading', () => {
  it('refuses a folder that holds no multithreading package, with exit 2 and one line', () => {
    const r = native(['--multithreading', tmp]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^vblk-mq: --multithreading: /);
  });

  it.skipIf(mtAbsent !== '')(
    `runs the lock and semaphore cases against it on Node 26${mtAbsent === '' ? '' : `: skipped, ${mtAbsent}`}`,
    () => {
      const args = ['--node', '26', '--rounds', '2', '--scale', '0.005', '--filter', 'mt.', '--multithreading', mtDir];
      const r = native([...args, '--json', 'mt.json']);
      expect(r.stderr).not.toMatch(/vblk-mq:/);
      expect(r.status).toBe(0);
      const file = JSON.parse(fs.readFileSync(path.join(tmp, 'mt.json'), 'utf8')) as {
        versions: { multithreading?: { cases: { name: string; ours: number[]; multithreading: number[] }[] } }[];
      };
      const cases = file.versions[0]!.multithreading!.cases;
      // The channel case runs only when --filter names it (bench/native.ts mtCasesOf says why).
      const names = ['mt.lock.uncontended', 'mt.lock.contended.t2', 'mt.lock.contended.t4', 'mt.semaphore.p2.t4'];
      expect(cases.map((c) => c.name)).toEqual(names);
      for (const c of cases) for (const rate of [...c.ours, ...c.multithreading]) expect(rate).toBeGreaterThan(0);
    },
    60_000,
  );
});
