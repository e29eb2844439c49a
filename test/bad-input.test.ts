/**
 * Bad input to every command line, run as a user runs it (a real child
 * process): exit status 2, one line on stderr naming the option and the value,
 * no stack trace, and no result file created or overwritten. Tests the
 * compiled output: build first (`npm test` does).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-bad-input-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A file that exists before each run and must be left as it is. */
const KEPT = path.join(tmp, 'kept.json');
const KEPT_TEXT = '{"left": "alone"}\n';
fs.writeFileSync(KEPT, KEPT_TEXT);

/** Runs `dist/bench/<script>` in `tmp` (relative paths resolve there, as under `npm run`). */
function cli(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bench', script), ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, INIT_CWD: tmp, VBLK_DEBUG: '', VBLK_FAILPOINTS: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error };
}

/** Expects a usage error: status 2, exactly one line on stderr mentioning each of `mentions`, no stack trace. */
function expectUsageError(r: ReturnType<typeof cli>, ...mentions: string[]): void {
  expect(r.error).toBeUndefined();
  expect(r.stderr).toMatch(/^vblk-mq: [^\n]+\n$/);
  for (const mention of mentions) expect(r.stderr).toContain(mention);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(2);
}

const cores = os.availableParallelism();

/** [what, arguments, words the message must contain]; each run also asks for --json. */
const BENCH_CASES: [string, string[], string[]][] = [
  ['--jobs 0', ['--jobs', '0'], ['--jobs', '"0"', 'from 1 to 64']],
  ['--jobs negative', ['--jobs=-2'], ['--jobs', '"-2"']],
  ['--jobs negative, as a separate word', ['--jobs', '-2'], ['--jobs', '"-2"']],
  ['--jobs non-numeric', ['--jobs', 'many'], ['--jobs', '"many"']],
  ['--jobs reversed range', ['--jobs', '8..1'], ['--jobs', '"8..1"', 'reversed']],
  ['--jobs beyond the maximum', ['--jobs', '1..65'], ['--jobs', '"65"', '64']],
  ['unknown --mode', ['--mode', 'xq'], ['--mode', '"xq"', 'sq, mq, both']],
  ['unknown --lock', ['--lock', 'rwlock'], ['--lock', '"rwlock"', 'spin, ticket, mcs, pv, mutex, adaptive, none']],
  ['unknown --completion-path', ['--completion-path', 'irq'], ['--completion-path', '"irq"', 'iothread, direct']],
  ['unknown --lock-sides', ['--lock-sides', 'both'], ['--lock-sides', '"both"', 'submit+pop, submit+reap']],
  ['--breakdown neither on nor off', ['--breakdown', 'yes'], ['--breakdown', '"yes"', 'on, off']],
  [
    '--lock-sides submit+reap without a lock',
    ['--lock', 'none', '--lock-sides', 'submit+reap'],
    ['submit+reap', 'none'],
  ],
  ['--spin-threshold negative', ['--spin-threshold=-1'], ['--spin-threshold', '"-1"']],
  ['--explain with several job counts', ['--explain', '--jobs', '1..8'], ['--jobs', '"1..8"', '--explain', 'one']],
  ['--explain with --lock none', ['--explain', '--jobs', '8', '--lock', 'spin,none'], ['--explain', 'lock-free']],
  ['--explain with --mode', ['--explain', '--jobs', '8', '--mode', 'sq'], ['--mode', '--explain']],
  ['--explain with --svg', ['--explain', '--jobs', '8', '--svg', 'x.svg'], ['--svg', '--explain']],
  ['--bs not a power of two', ['--bs', '1000'], ['--bs', '"1000"', 'power of two']],
  ['--bs a multiple of 512 but not a power of two', ['--bs', '1536'], ['--bs', '"1536"', 'power of two']],
  ['--bs beyond the maximum', ['--bs', '2m'], ['--bs', '"2m"', '1m']],
  ['--iodepth 0', ['--iodepth', '0'], ['--iodepth', '"0"', 'from 1 to 1024']],
  ['--iodepth beyond the ring', ['--iodepth', '1025'], ['--iodepth', '"1025"', 'virtio ring holds at most 1024']],
  ['--iodepth-batch negative', ['--iodepth-batch=-1'], ['--iodepth-batch', '"-1"', 'from 0 to 1024']],
  ['--iodepth-batch beyond a ring', ['--iodepth-batch', '1025'], ['--iodepth-batch', '"1025"', 'from 0 to 1024']],
  ['--iodepth-batch and its alias', ['--iodepth-batch', '4', '--iodepth-batch-submit', '8'], ['given twice']],
  ['--iodepth-batch-complete-min non-numeric', ['--iodepth-batch-complete-min', 'all'], ['"all"', 'integer']],
  ['--iodepth-batch-complete-max negative', ['--iodepth-batch-complete-max=-3'], ['complete-max', '"-3"']],
  ['--iothread-batch 0', ['--iothread-batch', '0'], ['--iothread-batch', '"0"', 'from 1 to 32']],
  ['--iothread-batch beyond a submission', ['--iothread-batch', '33'], ['--iothread-batch', '"33"', 'at most 32']],
  ['--device-threads 0', ['--device-threads', '0'], ['--device-threads', '"0"', 'from 1 to 64']],
  ['--device-threads beyond the maximum', ['--device-threads', '65'], ['--device-threads', '"65"', 'from 1 to 64']],
  ['--guest-ns negative', ['--guest-ns=-5'], ['--guest-ns', '"-5"']],
  ['--guest-ns not an integer', ['--guest-ns', '1.5'], ['--guest-ns', '"1.5"', 'integer']],
  ['--iothread-ns beyond a second', ['--iothread-ns', '2000000000'], ['--iothread-ns', '"2000000000"', '1000000000']],
  ['--pin not a policy', ['--pin', 'everywhere'], ['--pin', '"everywhere"', 'none, split']],
  ['--pin a CPU the process may not use', ['--pin', 'vcpus=4096'], ['--pin', '"vcpus=4096"']],
  ['--runtime 0', ['--runtime', '0'], ['--runtime', '"0"', 'above zero']],
  ['--runtime negative', ['--runtime=-1s'], ['--runtime', '"-1s"', 'negative']],
  ['--runtime unparsable', ['--runtime', 'soon'], ['--runtime', '"soon"', 'duration']],
  ['--ramp 0', ['--ramp', '0s'], ['--ramp', '"0s"', 'above zero']],
  ['--ramp negative', ['--ramp=-500ms'], ['--ramp', '"-500ms"', 'negative']],
  ['--ramp unparsable', ['--ramp', '1x'], ['--ramp', '"1x"', 'duration']],
  ['--watchdog 0', ['--watchdog', '0'], ['--watchdog', '"0"', 'above zero']],
  ['--cpus more than the machine has', ['--cpus', String(cores + 1)], ['--cpus', `"${cores + 1}"`, `${cores} core`]],
  ['--svg into a missing folder', ['--svg', 'no-such-folder/out.svg'], ['--svg', '"no-such-folder"', 'does not exist']],
  [
    '--fio-json into a missing folder (DIR is created, its parent is not)',
    ['--fio-json', 'no-such-folder/fio'],
    ['--fio-json', '"no-such-folder"', 'does not exist'],
  ],
  ['--fio-json a file', ['--fio-json', 'kept.json'], ['--fio-json', '"kept.json"', 'is not a folder']],
  ['--quiet with a value', ['--quiet=yes'], ['--quiet takes no value']],
  ['an unknown option', ['--frobnicate', '3'], ['unknown option --frobnicate']],
  ['an unknown --output', ['--output', 'tall'], ['--output', '"tall"', 'default, wide']],
  ['--confidence 1.5', ['--confidence', '1.5'], ['--confidence', '"1.5"', 'between 0 and 1']],
  ['--max-rounds 0', ['--repeat', 'auto', '--max-rounds', '0'], ['--max-rounds', '"0"']],
  ['--repeat auto with --repeat 5', ['--repeat', 'auto', '--repeat', '5'], ['--repeat', 'more than once']],
  ['--max-rounds without --repeat auto', ['--max-rounds', '5'], ['--max-rounds', '--repeat auto']],
];

describe('npm run bench: bad input', () => {
  it.each(BENCH_CASES)('%s: exit 2, one line, no file written', { timeout: 20_000 }, (_what, args, mentions) => {
    const out = path.join(tmp, `new-${args.join('_').replace(/[^\w.-]/g, '')}.json`);
    expectUsageError(cli('bench.js', ['--json', out, ...args]), ...mentions);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--json into a missing folder', { timeout: 20_000 }, () => {
    expectUsageError(
      cli('bench.js', ['--json', 'no-such-folder/out.json']),
      '--json',
      '"no-such-folder"',
      'does not exist',
    );
    expect(fs.existsSync(path.join(tmp, 'no-such-folder'))).toBe(false);
  });

  it('creates no --fio-json folder when another argument is wrong', { timeout: 20_000 }, () => {
    const fio = path.join(tmp, 'fio-not-made');
    for (const args of [['--jobs', '0'], ['--svg', 'no-such-folder/out.svg'], ['--frobnicate']]) {
      expectUsageError(cli('bench.js', ['--fio-json', 'fio-not-made', ...args]));
      expect(fs.existsSync(fio)).toBe(false);
    }
  });

  it('leaves an existing --json file alone', { timeout: 20_000 }, () => {
    for (const args of [
      ['--jobs', '8..1'],
      ['--lock-sides', 'pop'],
      ['--iodepth', '0'],
    ]) {
      fs.writeFileSync(KEPT, KEPT_TEXT);
      expectUsageError(cli('bench.js', ['--json', KEPT, ...args]));
      expect(fs.readFileSync(KEPT, 'utf8')).toBe(KEPT_TEXT);
    }
  });

  it('--cpus without taskset names the missing command', { timeout: 20_000 }, () => {
    const emptyPath = fs.mkdtempSync(path.join(tmp, 'path-'));
    const out = path.join(tmp, 'taskset.json');
    expectUsageError(cli('bench.js', ['--cpus', '1', '--json', out], { PATH: emptyPath }), '--cpus', 'taskset');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a bad VBLK_FAILPOINTS names the variable and the entry', { timeout: 20_000 }, () => {
    const out = path.join(tmp, 'failpoints.json');
    expectUsageError(
      cli('bench.js', ['--json', out], { VBLK_FAILPOINTS: 'vcpu.1=explode@1s' }),
      'VBLK_FAILPOINTS',
      '"vcpu.1=explode@1s"',
      'explode',
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--help lists every option with its default', { timeout: 20_000 }, () => {
    const r = cli('bench.js', ['--help']);
    expect(r.status).toBe(0);
    const defaults = [
      ['--jobs', '1..8'],
      ['--mode', 'both'],
      ['--lock', 'spin'],
      ['--bs', '4k'],
      ['--iodepth', '1'],
      ['--runtime', '3s'],
      ['--ramp', '1s'],
      ['--watchdog', '10'],
    ] as const;
    for (const [option, shown] of defaults) {
      expect(r.stdout).toMatch(new RegExp(`${option} [\\s\\S]*?\\(default: ${shown.replace('.', '\\.')}\\)`));
    }
  });
});

describe('npm run compare: bad input', () => {
  it('a missing file', { timeout: 20_000 }, () => {
    expectUsageError(cli('compare.js', ['missing.json']), '"missing.json"', 'no such file');
  });

  it('a file that is not JSON', { timeout: 20_000 }, () => {
    fs.writeFileSync(path.join(tmp, 'text.json'), 'IOPS: lots\n');
    expectUsageError(cli('compare.js', ['text.json']), '"text.json"', 'is not JSON');
  });

  it('JSON of another schema', { timeout: 20_000 }, () => {
    fs.writeFileSync(path.join(tmp, 'other.json'), JSON.stringify({ schema: 7, runs: [] }));
    expectUsageError(cli('compare.js', ['other.json']), '"other.json"', 'schema 3', 'found schema 7');
  });

  it('a result file of the schema before (2): refused, naming both schemas', { timeout: 20_000 }, () => {
    fs.writeFileSync(path.join(tmp, 'schema2.json'), JSON.stringify({ schema: 2, machine: {}, runs: [] }));
    expectUsageError(cli('compare.js', ['schema2.json']), '"schema2.json"', 'schema 3', 'found schema 2');
  });
});

describe('npm run ab: bad input', () => {
  it.each([
    ['no variants', ['--', '--jobs', '1'], ['--a', '--b']],
    ['a bad bench argument in a variant', ['--a', '--iodepth 0', '--b', '--iodepth 1'], ['variant a', '--iodepth']],
    ['--repeat among the bench arguments', ['--a', '', '--b', '', '--', '--repeat', '3'], ['--repeat', 'ab']],
    ['--rounds 0', ['--rounds', '0', '--a', '', '--b', ''], ['--rounds', '"0"']],
  ])('%s: exit 2, one line', { timeout: 20_000 }, (_what, args, mentions) => {
    expectUsageError(cli('ab.js', args), ...mentions);
  });
});

describe('npm run bench:micro: bad input', () => {
  const out = path.join(tmp, 'micro.json');
  it.each([
    ['--time 0', ['--time', '0'], ['--time', '"0"']],
    ['--time unparsable', ['--time', 'long'], ['--time', '"long"']],
    ['--filter that matches nothing', ['--filter', 'no-such-case'], ['--filter', '"no-such-case"']],
    ['an unknown option', ['--threads', '4'], ['unknown option --threads']],
  ])('%s: exit 2, one line, no file written', { timeout: 20_000 }, (_what, args, mentions) => {
    expectUsageError(cli('micro.js', ['--json', out, ...args]), ...mentions);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--json into a missing folder', { timeout: 20_000 }, () => {
    expectUsageError(cli('micro.js', ['--json', 'no-such-folder/m.json']), '--json', '"no-such-folder"');
  });
});

describe('npm run soak: bad input', () => {
  it.each([
    ['--minutes 0', ['--minutes', '0'], ['--minutes', '"0"']],
    ['--minutes unparsable', ['--minutes', 'ten'], ['--minutes', '"ten"']],
    ['--seed negative', ['--seed=-1'], ['--seed', '"-1"']],
    ['--watchdog 0', ['--watchdog', '0'], ['--watchdog', '"0"']],
    ['an unknown option', ['--hours', '1'], ['unknown option --hours']],
  ])('%s: exit 2, one line', { timeout: 20_000 }, (_what, args, mentions) => {
    expectUsageError(cli('soak.js', args), ...mentions);
  });

  it('--help exits 0', { timeout: 20_000 }, () => {
    const r = cli('soak.js', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--minutes N');
  });
});
