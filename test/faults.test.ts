/**
 * Faults end a run within seconds with a message naming who failed, and
 * nothing is lost: failpoints (VBLK_FAILPOINTS) of every action through the
 * real CLI, partial results of a failed sweep, SIGINT/SIGTERM, the watchdog's
 * diagnosis, ring indices crossing 2^32 inside the emulator, and a short soak.
 * Tests the compiled output: build first (`npm test` does).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';

import { parseFailpoints } from '../dist/src/cli/failpoints-env.js';
import { describeFailpoint, failpointOf } from '../dist/src/protocol/failpoint.js';
import { UsageError } from '../dist/src/cli/usage-error.js';
import { Watchdog } from '../dist/src/main-thread/watchdog.js';
import { RunControl, RAMP, STOP } from '../dist/src/protocol/run-control.js';
import { buildTopology } from '../dist/src/protocol/topology.js';
import { SpinLock } from '../dist/src/sync/spin-lock.js';
import { createWorkerPool } from '../dist/src/main-thread/worker-pool.js';
import { runPoint } from '../dist/src/main-thread/run.js';
import { RunFailure } from '../dist/src/main-thread/run-failure.js';
import type { PointSpec } from '../dist/src/main-thread/point-spec.js';
import { point } from './helpers/point.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-faults-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit, ms. */
  elapsedMs: number;
}

/**
 * Runs `dist/bench/<script>`; `whileRunning` may signal it. The child is
 * killed after `timeoutMs`, so that a hang fails the test instead of CI.
 */
function cli(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  whileRunning?: (child: ReturnType<typeof spawn>, stderr: () => string) => void,
  timeoutMs = 20_000,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(root, 'dist/bench', script), ...args], {
      cwd: tmp,
      env: { ...process.env, INIT_CWD: tmp, VBLK_DEBUG: '', VBLK_FAILPOINTS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    // 'close' comes after 'exit' and after the output streams ended.
    child.on('close', (status, signal) => {
      clearTimeout(killer);
      resolve({ status, signal, stdout, stderr, elapsedMs: performance.now() - started });
    });
    whileRunning?.(child, () => stderr);
  });
}

/** Resolves once `stderr()` matches `pattern` (checked every 20 ms), or rejects after `timeoutMs`. */
async function stderrMatches(stderr: () => string, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pattern.test(stderr())) {
    if (performance.now() > deadline) throw new Error(`stderr never matched ${pattern}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readJson(file: string): { runs: { jobs: number }[]; error?: string; interrupted?: boolean } {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A short run that a failpoint at ~300 ms hits in its measured window. */
const SHORT = ['--runtime', '2s', '--ramp', '100ms'];

describe('VBLK_FAILPOINTS parsing', () => {
  it('reads every action, with times counted in ms', () => {
    const fps = parseFailpoints('vcpu.3=throw@500ms, iothread.0=exit@0.2s,vcpu.1=hold-lock@300ms,nullblk.0=stall');
    expect(fps).toEqual([
      { role: 'vcpu', index: 3, action: 'throw', atMs: 500 },
      { role: 'iothread', index: 0, action: 'exit', atMs: 200 },
      { role: 'vcpu', index: 1, action: 'hold-lock', atMs: 300 },
      { role: 'nullblk', index: 0, action: 'stall', atMs: 0 },
    ]);
    expect(describeFailpoint(fps[0]!)).toBe('vcpu.3=throw@500ms');
    expect(failpointOf(fps, 'vcpu', 1)?.action).toBe('hold-lock');
    expect(failpointOf(fps, 'vcpu', 2)).toBeUndefined();
    expect(parseFailpoints(undefined)).toEqual([]);
    expect(parseFailpoints('  ')).toEqual([]);
  });

  it.each([
    ['vcpu3=throw', 'is not ROLE.INDEX=ACTION@TIME'],
    ['disk.0=throw', 'unknown role'],
    ['vcpu.0=explode', 'unknown action'],
    ['vcpu.0=throw@soon', 'not a duration'],
    ['nullblk.64=stall', 'nullblk indices run from 0 to 63'],
    ['vcpu.64=throw', 'vcpu indices run from 0 to 63'],
    ['iothread.0=hold-lock', 'hold-lock applies to vcpu.N only'],
    ['nullblk.0=exit-holding-lock', 'exit-holding-lock applies to vcpu.N only'],
    ['vcpu.0=throw,vcpu.0=exit', 'second failpoint on vcpu.0'],
  ])('rejects %s', (text, words) => {
    let error: unknown;
    try {
      parseFailpoints(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/^VBLK_FAILPOINTS: "/);
    expect(message).toContain(words);
    expect(message).not.toContain('\n');
  });
});

describe('failpoints through npm run bench', () => {
  it.each([
    ['throw', 'vcpu.1=throw@300ms', ['--mode', 'mq'], 'vcpu 1 failed: failpoint vcpu.1=throw@300ms fired'],
    ['exit', 'iothread.0=exit@300ms', ['--mode', 'sq'], 'iothread 0 failed: worker exited with code: 1'],
    [
      'hold-lock (spin)',
      'vcpu.1=hold-lock@300ms',
      ['--mode', 'sq', '--lock', 'spin', '--watchdog', '1'],
      'vcpu 1 holds the shared ring lock and stopped making progress',
    ],
    [
      'hold-lock (ticket)',
      'vcpu.1=hold-lock@300ms',
      ['--mode', 'mq', '--lock', 'ticket', '--iodepth', '8', '--watchdog', '1'],
      'vcpu 1 holds the ring 1 lock and stopped making progress',
    ],
    [
      'exit-holding-lock (sq, spin)',
      'vcpu.1=exit-holding-lock@300ms',
      ['--mode', 'sq', '--lock', 'spin'],
      'vcpu 1 failed: worker exited with code: 1, holding the shared ring lock',
    ],
    [
      'exit-holding-lock (mq, ticket)',
      'vcpu.1=exit-holding-lock@300ms',
      ['--mode', 'mq', '--lock', 'ticket', '--iodepth', '8'],
      'vcpu 1 failed: worker exited with code: 1, holding the ring 1 lock',
    ],
    [
      'stall',
      'nullblk.0=stall@300ms',
      ['--mode', 'mq', '--lock', 'adaptive', '--watchdog', '1'],
      'nullblk 0 stopped making progress: 1 request in flight',
    ],
  ])(
    '%s ends the run within seconds, naming the worker',
    { timeout: 30_000 },
    async (_action, failpoint, args, message) => {
      const json = path.join(tmp, `fp-${failpoint}.json`);
      const r = await cli('bench.js', ['--jobs', '2', ...SHORT, ...args, '--json', json], {
        VBLK_FAILPOINTS: failpoint,
      });
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(new RegExp(`^vblk-mq: run \\w+ lock=\\w+ jobs=2 iodepth=\\d+ failed: ${message}$`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status).toBe(1);
      // Within seconds, node's start-up included: far under the 2 s run and its default 10 s
      // watchdog together (a generous bound on a test of the failure path's own speed).
      expect(r.elapsedMs).toBeLessThan(10_000);
      const file = readJson(json);
      expect(file.runs).toEqual([]);
      expect(file.error).toContain(message);
    },
  );

  it(
    'a sweep that fails at a later point keeps, prints and writes the points before it',
    { timeout: 30_000 },
    async () => {
      const json = path.join(tmp, 'partial.json');
      const r = await cli(
        'bench.js',
        ['--jobs', '1,2', '--mode', 'mq', '--runtime', '300ms', '--ramp', '100ms', '--json', json],
        {
          VBLK_FAILPOINTS: 'vcpu.1=throw@200ms',
        },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /vblk-mq: run mq lock=spin jobs=2 iodepth=1 failed: vcpu 1 failed: failpoint vcpu\.1=throw@200ms fired\n$/,
      );
      expect(r.stdout).toMatch(/^mq\s+spin\s+1\s/m);
      expect(r.stdout).toContain('partial: the sweep failed');
      const file = readJson(json);
      expect(file.runs.map((run) => run.jobs)).toEqual([1]);
      expect(file.error).toContain('vcpu 1 failed');
    },
  );
});

/**
 * Resolves once a thread of process `pid` is blocked opening a FIFO (Linux: its wchan reads
 * `wait_for_partner`), checked every 20 ms; after `timeoutMs` it resolves anyway, for kernels
 * that do not show wchan.
 */
async function blockedOnFifo(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const blocked = (): boolean => {
    try {
      return fs.readdirSync(`/proc/${pid}/task`).some((tid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8') === 'wait_for_partner';
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  };
  while (!blocked() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('signals', () => {
  it('bench:micro: SIGINT drops the case in progress, writes nothing and exits 130', { timeout: 30_000 }, async () => {
    const json = path.join(tmp, 'micro-sigint.json');
    const args = ['--time', '10000', '--filter', 'lock.contended.adaptive.t2', '--json', json];
    const r = await cli('micro.js', args, {}, (child) => {
      // The first line says the cases are starting: interrupt the case in its measured time.
      child.stdout?.once('data', () => setTimeout(() => child.kill('SIGINT'), 500));
    });
    expect(r.status).toBe(130);
    expect(r.stderr).toContain('vblk-mq: bench:micro interrupted by SIGINT; 0 cases done, none written');
    expect(fs.existsSync(json)).toBe(false);
    expect(fs.existsSync(`${json}.tmp`)).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')(
    'compare: SIGTERM while a file is still being read ends it at once, killed by the signal (143 in a shell)',
    { timeout: 30_000 },
    async () => {
      // A FIFO nobody writes to: reading it never ends, so only the signal can end compare.
      const fifo = path.join(tmp, 'never-written.json');
      const made = spawnSync('mkfifo', [fifo]);
      if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
      const r = await cli('compare.js', [fifo], {}, (child) => {
        void blockedOnFifo(child.pid!).then(() => child.kill('SIGTERM'));
      });
      expect(r.signal).toBe('SIGTERM');
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('vblk-mq: compare: interrupted by SIGTERM\n');
    },
  );

  it(
    'SIGINT drains the run in progress, keeps the points done, writes "interrupted" and exits 130',
    { timeout: 30_000 },
    async () => {
      const json = path.join(tmp, 'sigint.json');
      const r = await cli(
        'bench.js',
        ['--jobs', '1,2', '--mode', 'mq', '--runtime', '1s', '--ramp', '100ms', '--json', json],
        {},
        (child, stderr) => {
          // Once the first point is done, interrupt the second in its measured window.
          void stderrMatches(stderr, /jobs=1 iodepth=1: /).then(() => setTimeout(() => child.kill('SIGINT'), 400));
        },
      );
      expect(r.status).toBe(130);
      expect(r.stderr).toContain('vblk-mq: interrupted by SIGINT; 1 point done');
      expect(r.stdout).toContain('partial: the sweep was interrupted');
      const file = readJson(json);
      expect(file.interrupted).toBe(true);
      expect(file.runs.map((run) => run.jobs)).toEqual([1]);
      expect(file.error).toBeUndefined();
    },
  );

  it('SIGTERM exits 143 within seconds, with "interrupted" in the JSON', { timeout: 30_000 }, async () => {
    const json = path.join(tmp, 'sigterm.json');
    const r = await cli(
      'bench.js',
      ['--jobs', '1', '--mode', 'sq', '--runtime', '60s', '--ramp', '100ms', '--json', json],
      {},
      (child) => {
        setTimeout(() => child.kill('SIGTERM'), 1_500);
      },
    );
    expect(r.status).toBe(143);
    // Signalled at 1.5 s: a test of the stop itself, with a generous bound far under the 60 s run.
    expect(r.elapsedMs).toBeLessThan(20_000);
    const file = readJson(json);
    expect(file.interrupted).toBe(true);
    expect(file.runs).toEqual([]);
  });

  it('with --cpus the signal reaches the child, whose partial result is kept', { timeout: 30_000 }, async () => {
    const json = path.join(tmp, 'cpus-sigint.json');
    const r = await cli(
      'bench.js',
      ['--cpus', '1', '--jobs', '1', '--mode', 'mq', '--runtime', '3s', '--ramp', '100ms', '--json', json],
      {},
      (child) => {
        setTimeout(() => child.kill('SIGINT'), 1_500);
      },
    );
    expect(r.status).toBe(130);
    expect(readJson(json).interrupted).toBe(true);
  });
});

describe('Watchdog', () => {
  const topology = buildTopology('sq', 2, 1, 1);
  const never = (): boolean => false;

  it('blames the stage that holds the requests and stopped', () => {
    const control = RunControl.create(topology.workers);
    const dog = new Watchdog(control, topology, [null], 1_000, never);
    control.setPhase(RAMP);
    dog.start(0);
    // Both vCPUs submitted one request; the IO thread moved both; the device completed none.
    control.progress('vcpu', 0).submitted = 1;
    control.progress('vcpu', 1).submitted = 1;
    control.progress('iothread', 0).submitted = 2;
    expect(dog.check(100)).toBeNull();
    expect(dog.check(900)).toBeNull();
    expect(dog.check(1_200)).toBe('nullblk 0 stopped making progress: 2 requests in flight');
  });

  it('blames a lock holder that does not let go', () => {
    const control = RunControl.create(topology.workers);
    const lock = new SpinLock();
    const dog = new Watchdog(control, topology, [lock], 1_000, never);
    control.setPhase(RAMP);
    dog.start(0);
    lock.lock();
    expect(dog.check(100)).toBeNull();
    // This thread is not a worker of the run, so it is named by its thread id.
    expect(dog.check(1_200)).toMatch(/^thread \d+ holds the shared ring lock and stopped making progress$/);
    lock.unlock();
  });

  it('after STOP, leaves alone the vCPUs that have returned', () => {
    const control = RunControl.create(topology.workers);
    const dog = new Watchdog(control, topology, [null], 1_000, ({ role, index }) => role === 'vcpu' && index === 0);
    control.setPhase(RAMP);
    dog.start(0);
    control.setPhase(STOP);
    Object.assign(control.progress('vcpu', 1), { submitted: 3, completed: 2 });
    // The IO thread moved all 3 and posted them back (its completed counter); the vCPU reaped 2.
    Object.assign(control.progress('iothread', 0), { submitted: 3, completed: 3 });
    control.progress('nullblk', 0).completed = 3;
    expect(dog.check(100)).toBeNull();
    expect(dog.check(1_200)).toBe('vcpu 1 stopped making progress: 1 request in flight');
  });

  it('blames an IO thread that holds completions the device handed back', () => {
    const control = RunControl.create(topology.workers);
    const dog = new Watchdog(control, topology, [null], 1_000, never);
    control.setPhase(RAMP);
    dog.start(0);
    control.progress('vcpu', 0).submitted = 2;
    Object.assign(control.progress('iothread', 0), { submitted: 2, completed: 0 });
    control.progress('nullblk', 0).completed = 2;
    expect(dog.check(100)).toBeNull();
    expect(dog.check(1_200)).toBe(
      'iothread 0 stopped making progress: no request waiting in its rings, ' +
        '2 requests not yet completed back to their vCPUs',
    );
  });
});

describe('runPoint', () => {
  let pool: Piscina;
  beforeAll(() => {
    pool = createWorkerPool(6);
  });
  afterAll(async () => {
    await pool.destroy();
  });

  const BASE = point({ seed: 3, memoryBacked: true, initialIndex: 2 ** 32 - 5 });

  it.each([
    ['mq', 'adaptive'],
    ['sq', 'ticket'],
  ] as const)(
    '%s/%s conserves every request while its ring indices wrap past 2^32',
    { timeout: 20_000 },
    async (mode, lock) => {
      const spec: PointSpec = { ...BASE, mode, lock, jobs: 2, iodepth: 32, iothreads: 2 };
      const run = await runPoint(pool, spec);
      // The indices start 5 short of 2^32. Every vCPU fills its 32 tags at once and the drain
      // completes them all, so every ring (submission, hardware, completion) carried at least 32
      // requests and its indices wrapped: a fact of the run, whatever the machine's speed.
      for (const submitted of run.jobSubmitted) expect(submitted).toBeGreaterThanOrEqual(32);
      expect(run.submitted).toBe(run.completed);
    },
  );

  it('a failpoint fails the run with RunFailure, and the pool runs the next one', { timeout: 20_000 }, async () => {
    const spec: PointSpec = {
      ...BASE,
      mode: 'mq',
      lock: 'spin',
      jobs: 2,
      iodepth: 4,
      iothreads: 1,
      runtimeMs: 60_000,
      watchdogMs: 500,
      failpoints: [{ role: 'iothread', index: 0, action: 'stall', atMs: 100 }],
    };
    const started = performance.now();
    await expect(runPoint(pool, spec)).rejects.toThrow(RunFailure);
    // A test of the watchdog's time limit itself, with a generous bound: far under the 60 s run.
    expect(performance.now() - started).toBeLessThan(15_000);
    const run = await runPoint(pool, { ...spec, runtimeMs: 100, failpoints: [] });
    expect(run.submitted).toBe(run.completed);
  });
});

describe('npm run soak', () => {
  it('soaks for a few seconds and prints its figures', { timeout: 60_000 }, async () => {
    const r = await cli('soak.js', ['--minutes', '0.05', '--seed', '11'], {}, undefined, 50_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\[\s+1 0:\d\d\] (sq|mq) lock=\w+ jobs=\d iodepth=\d+.*: .* IOPS, .* requests checked$/m);
    expect(r.stdout).toMatch(/^soak passed: [1-9]\d* runs in \d+ sweeps, [1-9]\d* requests checked/m);
    expect(r.stdout).toMatch(/^soak memory: rss \d+ MiB after the first sweep, \d+ MiB at the end, peak \d+ MiB$/m);
  });
});
