/**
 * The command line of `npm run bench`: value parsers, option validation, help text, and the
 * error reporting of runCli. Tests the compiled output: run `npx tsc -p tsconfig.json` first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { benchHelpText, parseBenchArgs, type BenchEnv } from '../dist/src/cli/bench-args.js';
import { runCli } from '../dist/src/cli/run-cli.js';
import { formatSize, parseDuration, parseIntList, parseNameList, parseSize } from '../dist/src/cli/units.js';
import { UsageError } from '../dist/src/cli/usage-error.js';

/** A 4-core Linux machine with taskset, whatever machine the test runs on. */
const env: BenchEnv = { cores: 4, allowedCpus: [0, 1, 2, 3], canPin: true };

/** Parses `argv` and returns the options, failing the test if help was returned. */
function options(argv: string[], machine: BenchEnv = env) {
  const result = parseBenchArgs(argv, machine);
  if (result.help) throw new Error('expected options, got help');
  return result.options;
}

/** The UsageError that `fn` throws; fails the test if it throws nothing or something else. */
function usageErrorOf(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).not.toContain('\n');
    return error as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

/** Expects parseBenchArgs(argv) to fail with a message naming each of `mentions`. */
function expectRejected(argv: string[], ...mentions: string[]): string {
  const { message } = usageErrorOf(() => parseBenchArgs(argv, env));
  for (const mention of mentions) expect(message).toContain(mention);
  return message;
}

describe('units', () => {
  it('parses sizes with binary suffixes, as fio', () => {
    expect(parseSize('4096', '--bs')).toBe(4096);
    expect(parseSize('512', '--bs')).toBe(512);
    expect(parseSize('512b', '--bs')).toBe(512);
    expect(parseSize('4k', '--bs')).toBe(4096);
    expect(parseSize('4K', '--bs')).toBe(4096);
    expect(parseSize('4KiB', '--bs')).toBe(4096);
    expect(parseSize('1m', '--bs')).toBe(1 << 20);
    expect(parseSize('1g', '--size')).toBe(2 ** 30);
  });

  it('rejects what is not a size', () => {
    for (const bad of ['', 'k', '4x', '1.5k', '-4k', '4 k b']) {
      const { message } = usageErrorOf(() => parseSize(bad, '--size'));
      expect(message).toContain('--size');
      expect(message).toContain(JSON.stringify(bad));
    }
    expect(usageErrorOf(() => parseSize('99999999p', '--size')).message).toContain('too large');
  });

  it('formats sizes the way parseSize reads them', () => {
    expect(formatSize(4096)).toBe('4k');
    expect(formatSize(1 << 20)).toBe('1m');
    expect(formatSize(1000)).toBe('1000');
    expect(formatSize(512)).toBe('512');
    expect(formatSize(0)).toBe('0');
  });

  it('parses durations into milliseconds; a bare number is seconds', () => {
    expect(parseDuration('3s', '--runtime')).toBe(3000);
    expect(parseDuration('500ms', '--runtime')).toBe(500);
    expect(parseDuration('2', '--runtime')).toBe(2000);
    expect(parseDuration('0.5s', '--runtime')).toBe(500);
    expect(parseDuration('1500us', '--runtime')).toBeCloseTo(1.5);
    expect(parseDuration('2m', '--runtime')).toBe(120_000);
    expect(parseDuration('1h', '--runtime')).toBe(3_600_000);
    expect(parseDuration('0', '--runtime')).toBe(0);
  });

  it('rejects what is not a duration, and negative ones', () => {
    expect(usageErrorOf(() => parseDuration('abc', '--ramp')).message).toMatch(/^--ramp: "abc" is not a duration/);
    expect(usageErrorOf(() => parseDuration('3d', '--ramp')).message).toContain('"3d"');
    expect(usageErrorOf(() => parseDuration('-1s', '--ramp')).message).toMatch(/^--ramp: "-1s" is negative/);
  });

  it('parses integer lists: single, range, list, mixed; order and duplicates kept', () => {
    expect(parseIntList('4', '--jobs')).toEqual([4]);
    expect(parseIntList('1..8', '--jobs')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIntList('1,2,4,8', '--jobs')).toEqual([1, 2, 4, 8]);
    expect(parseIntList('1,2,4..6', '--jobs')).toEqual([1, 2, 4, 5, 6]);
    expect(parseIntList('8,1', '--jobs')).toEqual([8, 1]);
    expect(parseIntList('2,2', '--jobs')).toEqual([2, 2]);
    expect(parseIntList('3..3', '--jobs')).toEqual([3]);
    expect(parseIntList(' 1, 2 ', '--jobs')).toEqual([1, 2]);
  });

  it('rejects reversed ranges, zero, negatives, non-integers and empty items', () => {
    expect(usageErrorOf(() => parseIntList('8..1', '--jobs')).message).toBe(
      '--jobs: "8..1" is a reversed range; give low..high such as 1..8',
    );
    for (const bad of ['0', '-1', '1.5', 'abc', '', '1,,2', '1..', '..4', '0..4']) {
      const { message } = usageErrorOf(() => parseIntList(bad, '--jobs'));
      expect(message).toContain('--jobs');
      expect(message).toContain(JSON.stringify(bad));
    }
  });

  it('does not expand a huge range', () => {
    expect(usageErrorOf(() => parseIntList('1..1000000000', '--jobs')).message).toContain('more than');
  });

  it('parses name lists with aliases, case-insensitive', () => {
    const modes = ['sq', 'mq'] as const;
    expect(parseNameList('sq', modes, '--mode')).toEqual(['sq']);
    expect(parseNameList('MQ,sq', modes, '--mode')).toEqual(['mq', 'sq']);
    expect(parseNameList('both', modes, '--mode', { both: modes })).toEqual(['sq', 'mq']);
    const { message } = usageErrorOf(() => parseNameList('sq,xq', modes, '--mode', { both: modes }));
    expect(message).toBe('--mode: "xq" in "sq,xq" is not known; give one of sq, mq, both, or a list such as sq,mq');
  });
});

describe('--pin', () => {
  it('reads none, split and CPU sets by role', () => {
    expect(options(['--pin', 'none']).pin).toEqual({ kind: 'none' });
    expect(options(['--pin', 'split']).pin).toEqual({ kind: 'split' });
    expect(options(['--pin', 'vcpus=0-2,iothreads=3,device=1,3']).pin).toEqual({
      kind: 'sets',
      sets: { vcpu: [0, 1, 2], iothread: [3], nullblk: [1, 3] },
    });
  });

  it('refuses what cannot be pinned, with one line naming the value', () => {
    expectRejected(['--pin', 'everywhere'], '--pin', '"everywhere"', 'none, split');
    expectRejected(['--pin', 'disks=1'], '--pin', '"disks=1"', 'names no role', 'vcpus, iothreads, device');
    expectRejected(['--pin', 'vcpus=0-'], '--pin', '"vcpus=0-"', 'not a CPU list');
    expectRejected(['--pin', 'vcpus=1,vcpus=2'], 'gives vcpus twice');
    expectRejected(['--pin', 'vcpus=0-5'], 'CPU 4 of "vcpus=0-5"', 'not one this process may use (0-3)');
    expectRejected(['--pin', 'device=2', '--cpus', '1,4'], 'CPU 2 of "device=2"', 'outside the 1 CPU of --cpus 1 (0)');
    const { message } = usageErrorOf(() => parseBenchArgs(['--pin', 'split'], { ...env, canPin: false }));
    expect(message).toContain('needs Linux and the taskset command');
    // --pin none needs nothing.
    expect(options(['--pin', 'none'], { ...env, canPin: false, allowedCpus: null }).pin).toEqual({ kind: 'none' });
  });
});

describe('parseBenchArgs', () => {
  it('fills in every default', () => {
    expect(parseBenchArgs([], env)).toEqual({
      help: false,
      options: {
        jobs: [1, 2, 3, 4, 5, 6, 7, 8],
        modes: ['sq', 'mq'],
        locks: ['spin'],
        bs: 4096,
        iodepth: 1,
        iodepthBatch: 1,
        iodepthBatchCompleteMin: 1,
        iodepthBatchCompleteMax: 1,
        iothreadBatch: 1,
        iothreads: undefined,
        deviceThreads: undefined,
        guestNs: 0,
        iothreadNs: 0,
        pin: { kind: 'none' },
        runtimeMs: 3000,
        rampMs: 1000,
        sizeBytes: 2 ** 30,
        seed: 1,
        completionNs: 0,
        memoryBacked: false,
        pollMaxNs: 32768,
        completionPath: 'iothread',
        lockSides: 'submit+pop',
        spinThreshold: 32768,
        breakdown: true,
        repeat: 1,
        confidence: 0.95,
        output: 'default',
        explain: false,
        cpus: undefined,
        watchdogS: 10,
        json: undefined,
        svg: undefined,
        fioJson: undefined,
        trace: undefined,
        traceSvg: undefined,
        traceWindowMs: 20,
        quiet: false,
      },
    });
  });

  it('returns help for --help and -h, even beside a bad option', () => {
    expect(parseBenchArgs(['--help'], env)).toEqual({ help: true });
    expect(parseBenchArgs(['-h'], env)).toEqual({ help: true });
    expect(parseBenchArgs(['--jobs', '0', '--help'], env)).toEqual({ help: true });
    expect(parseBenchArgs(['--foo', '-h'], env)).toEqual({ help: true });
  });

  it('reads ranges and lists of jobs', () => {
    expect(options(['--jobs', '1..8']).jobs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(options(['--jobs', '1,2,4,8']).jobs).toEqual([1, 2, 4, 8]);
    expect(options(['--jobs=1,2,4..6']).jobs).toEqual([1, 2, 4, 5, 6]);
    expect(options(['--jobs', '64']).jobs).toEqual([64]);
  });

  it('reads every option', () => {
    const dir = os.tmpdir();
    const parsed = options([
      '--mode',
      'mq',
      '--lock',
      'spin,ticket,adaptive,none',
      '--bs',
      '1m',
      '--iodepth',
      '32',
      '--iothreads',
      '4',
      '--iodepth-batch',
      '8',
      '--iodepth-batch-complete-min',
      '2',
      '--iodepth-batch-complete-max',
      '16',
      '--iothread-batch',
      '4',
      '--device-threads',
      '2',
      '--guest-ns',
      '500',
      '--iothread-ns',
      '700',
      '--runtime',
      '500ms',
      '--ramp',
      '2',
      '--size',
      '64m',
      '--seed',
      '4294967295',
      '--completion-ns',
      '1000',
      '--memory-backed',
      '--poll-max-ns',
      '0',
      '--repeat',
      '5',
      '--cpus',
      '1,4',
      '--watchdog',
      '5s',
      '--json',
      path.join(dir, 'out.json'),
      '--svg',
      path.join(dir, 'out.svg'),
    ]);
    expect(parsed).toMatchObject({
      modes: ['mq'],
      locks: ['spin', 'ticket', 'adaptive', 'none'],
      bs: 1 << 20,
      iodepth: 32,
      iothreads: 4,
      iodepthBatch: 8,
      iodepthBatchCompleteMin: 2,
      iodepthBatchCompleteMax: 16,
      iothreadBatch: 4,
      deviceThreads: 2,
      guestNs: 500,
      iothreadNs: 700,
      runtimeMs: 500,
      rampMs: 2000,
      sizeBytes: 64 << 20,
      seed: 2 ** 32 - 1,
      completionNs: 1000,
      memoryBacked: true,
      pollMaxNs: 0,
      repeat: 5,
      cpus: [1, 4],
      watchdogS: 5,
      json: { path: path.join(dir, 'out.json'), given: path.join(dir, 'out.json') },
      svg: { path: path.join(dir, 'out.svg'), given: path.join(dir, 'out.svg') },
    });
  });

  it('reads sizes and durations', () => {
    expect(options(['--bs', '4k']).bs).toBe(4096);
    expect(options(['--bs', '512']).bs).toBe(512);
    expect(options(['--bs', '1m', '--size', '1m']).bs).toBe(1 << 20);
    expect(options(['--runtime', '3s']).runtimeMs).toBe(3000);
    expect(options(['--runtime', '500ms']).runtimeMs).toBe(500);
    expect(options(['--runtime', '2']).runtimeMs).toBe(2000);
    expect(options(['--watchdog', '500ms']).watchdogS).toBe(0.5);
  });

  it('expands --mode both and accepts --lock none in either mode', () => {
    expect(options(['--mode', 'both']).modes).toEqual(['sq', 'mq']);
    expect(options(['--mode', 'sq,mq']).modes).toEqual(['sq', 'mq']);
    expect(options(['--mode', 'mq', '--lock', 'none']).locks).toEqual(['none']);
    expect(options(['--mode', 'sq', '--lock', 'none']).locks).toEqual(['none']);
  });

  it('takes the completion path, the lock sides and the breakdown switch', () => {
    expect(options(['--completion-path', 'direct']).completionPath).toBe('direct');
    expect(options(['--lock-sides', 'submit+reap']).lockSides).toBe('submit+reap');
    expect(options(['--breakdown', 'off']).breakdown).toBe(false);
    expect(options(['--breakdown', 'ON']).breakdown).toBe(true);
  });

  it('resolves relative output paths against env.cwd, keeping them as typed', () => {
    const cwd = os.tmpdir();
    expect(options(['--json', 'r.json'], { cores: 4, cwd }).json).toEqual({
      path: path.join(cwd, 'r.json'),
      given: 'r.json',
    });
    expect(options(['--svg', `${cwd}/./r.svg`], { cores: 4, cwd }).svg?.given).toBe(`${cwd}/./r.svg`);
  });

  it('takes a --fio-json folder that does not exist yet, in one that does, and creates nothing', () => {
    const cwd = os.tmpdir();
    const name = `vblk-mq-fio-${process.pid}-${Date.now()}`;
    expect(options(['--fio-json', `${name}/`], { cores: 4, cwd }).fioJson).toEqual({
      path: path.join(cwd, name),
      given: `${name}/`,
    });
    expect(fs.existsSync(path.join(cwd, name))).toBe(false);
  });

  describe('rejects', () => {
    it('bad --jobs: 0, -1, abc, 8..1, 65', () => {
      expectRejected(['--jobs', '0'], '--jobs', '"0"');
      expectRejected(['--jobs=-1'], '--jobs', '"-1"');
      expectRejected(['--jobs', 'abc'], '--jobs', '"abc"');
      expect(expectRejected(['--jobs', '8..1'])).toBe(
        '--jobs: "8..1" is a reversed range; give low..high such as 1..8',
      );
      expectRejected(['--jobs', '65'], '--jobs', '"65"', '64');
      expectRejected(['--jobs', '1..65'], '--jobs', '"65"', '64');
    });

    it('a value after a space that starts with a dash, saying how to give it', () => {
      expectRejected(['--jobs', '-1'], '--jobs', '"-1"', '--jobs=-1');
    });

    it('unknown --mode and --lock names', () => {
      expectRejected(['--mode', 'fast'], '--mode', '"fast"', 'sq, mq, both');
      expectRejected(['--mode', 'sq,xx'], '--mode', '"xx"');
      expectRejected(['--lock', 'rwlock'], '--lock', '"rwlock"', 'spin, ticket, mcs, pv, mutex, adaptive, none');
      expectRejected(['--lock', ''], '--lock', '""');
    });

    it('unknown --completion-path, --lock-sides and --breakdown values', () => {
      expect(expectRejected(['--completion-path', 'nowhere'])).toBe(
        '--completion-path: "nowhere" is not known; give one of iothread, direct',
      );
      expectRejected(['--lock-sides', ''], '--lock-sides', '""', 'is empty');
      expectRejected(['--breakdown', '1'], '--breakdown', '"1"', 'on, off');
    });

    it('bad --bs: 1000, 3k, 2m, 256', () => {
      expectRejected(['--bs', '1000'], '--bs', '"1000"', 'power of two');
      expectRejected(['--bs', '3k'], '--bs', '"3k"', 'power of two');
      expectRejected(['--bs', '2m'], '--bs', '"2m"', '1m');
      expectRejected(['--bs', '256'], '--bs', '"256"', '512');
      expectRejected(['--bs', '4q'], '--bs', '"4q"');
    });

    it('bad --iodepth: 0, 1025', () => {
      expectRejected(['--iodepth', '0'], '--iodepth', '"0"', 'from 1 to 1024');
      expectRejected(['--iodepth', '1025'], '--iodepth', '"1025"', 'from 1 to 1024');
      expectRejected(['--iodepth', '1.5'], '--iodepth', '"1.5"');
    });

    it('bad --runtime: 0, -1s, abc; --ramp 0; --watchdog 0', () => {
      expectRejected(['--runtime', '0'], '--runtime', '"0"', 'above zero');
      expectRejected(['--runtime=-1s'], '--runtime', '"-1s"', 'negative');
      expectRejected(['--runtime', '-1s'], '--runtime', '"-1s"');
      expectRejected(['--runtime', 'abc'], '--runtime', '"abc"');
      expectRejected(['--ramp', '0'], '--ramp', '"0"', 'above zero');
      expectRejected(['--ramp', '0ms'], '--ramp', '"0ms"');
      expectRejected(['--watchdog', '0'], '--watchdog', '"0"');
    });

    it('--cpus above the cores of the machine, saying how many it has', () => {
      expectRejected(['--cpus', '8'], '--cpus', '"8"', 'this machine has 4 cores');
      expectRejected(['--cpus', '1..5'], '--cpus', '"5"', 'this machine has 4 cores');
      expect(() => parseBenchArgs(['--cpus', '2'], { cores: 1 })).toThrow('this machine has 1 core;');
    });

    it('--json and --svg into a folder that does not exist, creating nothing', () => {
      const missing = path.join(os.tmpdir(), `vblk-mq-missing-${process.pid}-${Date.now()}`);
      const json = path.join(missing, 'out.json');
      expect(expectRejected(['--json', json])).toMatch(/^--json: folder ".*vblk-mq-missing-.*" does not exist/);
      expectRejected(['--svg', path.join(missing, 'out.svg')], '--svg', 'does not exist');
      expectRejected(['--json', os.tmpdir()], '--json', 'is a folder');
      const fioJson = path.join(missing, 'fio');
      expect(expectRejected(['--fio-json', fioJson])).toMatch(/^--fio-json: folder ".*-missing-.*" does not exist/);
      expect(fs.existsSync(missing)).toBe(false);
    });

    it('other out-of-range integers and sizes', () => {
      expectRejected(['--iothreads', '0', '--mode', 'mq'], '--iothreads', '"0"');
      expectRejected(['--iothreads', '65', '--mode', 'mq'], '--iothreads', '"65"');
      expectRejected(['--iothreads', '4', '--mode', 'sq'], '--iothreads', 'mq only');
      expectRejected(['--seed', '4294967296'], '--seed', '"4294967296"');
      expectRejected(['--seed=-1'], '--seed', '"-1"');
      expectRejected(['--completion-ns', '1000000001'], '--completion-ns');
      expectRejected(['--poll-max-ns', 'x'], '--poll-max-ns', '"x"');
      expectRejected(['--repeat', '0'], '--repeat', '"0"');
      expectRejected(['--repeat', '101'], '--repeat', '"101"');
      expectRejected(['--size', '1k'], '--size', '"1k"', '--bs 4k');
      expectRejected(['--size', '6k'], '--size', '"6k"', 'multiple');
    });

    it('unknown options, stray arguments and missing or extra values', () => {
      expect(expectRejected(['--foo'])).toBe('unknown option --foo; see --help');
      expectRejected(['--job', '3'], 'unknown option --job', 'did you mean --jobs?');
      expectRejected(['-x'], 'unknown option -x');
      expectRejected(['fast'], 'unexpected argument "fast"');
      expect(expectRejected(['--jobs'])).toBe('--jobs needs a value; see --help');
      expect(expectRejected(['--memory-backed=yes'])).toBe('--memory-backed takes no value; see --help');
    });
  });
});

describe('benchHelpText', () => {
  const help = benchHelpText();

  it('lists every option', () => {
    const names = [
      'jobs',
      'mode',
      'lock',
      'bs',
      'iodepth',
      'iothreads',
      'runtime',
      'ramp',
      'size',
      'seed',
      'completion-ns',
      'memory-backed',
      'poll-max-ns',
      'repeat',
      'cpus',
      'watchdog',
      'json',
      'svg',
      'help',
    ];
    for (const name of names) expect(help).toMatch(new RegExp(`^  (-h, )?--${name}\\b`, 'm'));
  });

  it('states defaults, limits, the usage line and examples', () => {
    for (const text of [
      '(default: 1..8)',
      '(default: both)',
      '(default: spin)',
      '(default: 4k)',
      '(default: 3s)',
      '(default: 1s)',
      '(default: 1g)',
      '(default: 32768)',
      '(default: 10)',
      '1..1024',
      '1..64',
      '1..100',
    ]) {
      expect(help).toContain(text);
    }
    expect(help).toContain('npm run bench -- [options]');
    expect(help).toContain('npm run bench -- --jobs 1..8 --mode both');
    expect(help).toContain(
      'npm run bench -- --jobs 1,8 --iodepth 32 --lock spin,adaptive --json out.json --svg out.svg',
    );
  });
});

describe('runCli', () => {
  const savedExitCode = process.exitCode;
  const savedDebug = process.env['VBLK_DEBUG'];

  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = savedExitCode;
    if (savedDebug === undefined) delete process.env['VBLK_DEBUG'];
    else process.env['VBLK_DEBUG'] = savedDebug;
  });

  /** Runs `main` under runCli with stderr and process.exit captured. */
  async function capture(main: (argv: string[]) => Promise<number>) {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    await runCli(main);
    return { stderr, exit };
  }

  it('passes the arguments and sets the exit code from main', async () => {
    let seen: string[] = [];
    const { stderr, exit } = await capture(async (argv) => {
      seen = argv;
      return 3;
    });
    expect(seen).toEqual(process.argv.slice(2));
    expect(process.exitCode).toBe(3);
    expect(stderr).toBe('');
    expect(exit).not.toHaveBeenCalled();
  });

  it('prints a UsageError as one line and exits 2, without a stack even with VBLK_DEBUG', async () => {
    process.env['VBLK_DEBUG'] = '1';
    const { stderr, exit } = await capture(async () => {
      throw new UsageError('--jobs: "0" is below the minimum 1');
    });
    expect(stderr).toBe('vblk-mq: --jobs: "0" is below the minimum 1\n');
    expect(exit).toHaveBeenCalledWith(2);
  });

  it('prints any other error as its message and exits 1; the stack only with VBLK_DEBUG', async () => {
    delete process.env['VBLK_DEBUG'];
    const quiet = await capture(async () => {
      throw new Error('worker died');
    });
    expect(quiet.stderr).toBe('vblk-mq: worker died\n');
    expect(quiet.exit).toHaveBeenCalledWith(1);
    vi.restoreAllMocks();

    process.env['VBLK_DEBUG'] = '1';
    const loud = await capture(async () => {
      throw new Error('worker died');
    });
    expect(loud.stderr).toMatch(/^vblk-mq: worker died\nError: worker died\n {4}at /);
    expect(loud.exit).toHaveBeenCalledWith(1);
  });
});
