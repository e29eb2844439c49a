/**
 * Every run ends (issue 26): a FIFO queue lock under --lock-sides submit+reap at 6 jobs on a
 * 2-core machine used to keep the main thread from ever starting the measured window, since it
 * reset the lock's statistics under a timed lock() that a never-empty queue starved; a stop
 * signal whose drain cannot finish still ends the process within the watchdog time; the
 * watchdog names the worker furthest behind when a run outlives its bounds. Correctness only:
 * nothing here asserts on speed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';
import { createWorkerPool } from '../dist/src/main-thread/worker-pool.js';
import { runPoint } from '../dist/src/main-thread/run.js';
import type { PointSpec } from '../dist/src/main-thread/point-spec.js';
import { point } from './helpers/point.js';
import { McsLock } from '../dist/src/sync/mcs-lock.js';
import { PvLock } from '../dist/src/sync/pv-lock.js';
import { statsSince } from '../dist/src/sync/lock-stats.js';
import { Watchdog } from '../dist/src/main-thread/watchdog.js';
import { RunControl, RAMP } from '../dist/src/protocol/run-control.js';
import { buildTopology } from '../dist/src/protocol/topology.js';
import { SpinLock } from '../dist/src/sync/spin-lock.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-ends-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The smallest configuration that reproduced the hang (issue 26's table): sq, pv, submit+reap, 6 jobs. */
const CONVOY: PointSpec = point({
  lock: 'pv',
  jobs: 6,
  iodepth: 32,
  lockSides: 'submit+reap',
  breakdown: false,
  runtimeMs: 300,
});

describe('a queue lock under submit+reap', () => {
  let pool: Piscina;
  beforeAll(() => {
    pool = createWorkerPool(8);
  });
  afterAll(async () => {
    await pool.destroy();
  });

  for (const lock of ['pv', 'mcs'] as const) {
    const name = `sq ${lock} submit+reap at 6 jobs, iodepth 32, ends and conserves every request`;
    it(name, { timeout: 30_000 }, async () => {
      const started = performance.now();
      const run = await runPoint(pool, { ...CONVOY, lock });
      expect(run.submitted).toBe(run.completed);
      expect(run.completed).toBeGreaterThan(0);
      // Every lock call of the workers is counted, and nobody else took the lock (no reset).
      expect(run.lockAcquisitionsWholeRun).toBe(run.ringCalls);
      expect(run.locks).toHaveLength(1);
      expect(run.locks[0]!.acquisitions).toBeGreaterThan(0);
      // fio's iops log: 100 ms slices over the 300 ms window (the last one what is left of it).
      expect(run.iopsLog!.msec).toBe(100);
      expect(run.iopsLog!.iops.length).toBeGreaterThanOrEqual(2);
      for (const iops of run.iopsLog!.iops) expect(iops).toBeGreaterThanOrEqual(0);
      // A correctness bound, not a speed one: ramp + runtime + the default watchdog.
      expect(performance.now() - started).toBeLessThan(CONVOY.rampMs + CONVOY.runtimeMs + 10_000);
    });
  }
});

describe('Lock.startStatsWindow', () => {
  it('starts a window without taking the lock, while another thread holds it', () => {
    for (const lock of [new PvLock(), new McsLock(), new SpinLock()]) {
      lock.lock();
      const before = lock.startStatsWindow(); // would wait for ever if it took the lock
      expect(before.acquisitions).toBe(1);
      lock.unlock();
      lock.lock();
      lock.unlock();
      const window = statsSince(before, lock.stats());
      expect(window.acquisitions).toBe(1);
      expect(window.contentions).toBe(0);
      expect(window.waitNsMax).toBe(0);
    }
  });

  it('restarts the longest wait at the first contended acquisition of the window', () => {
    const lock = new SpinLock();
    // Write two contended acquisitions' figures as a holder would (the statistics block's own API).
    const block = (lock as unknown as { statsBlock: { countContended(s: number, p: number, w: number): void } })
      .statsBlock;
    lock.lock();
    block.countContended(1, 0, 5_000);
    lock.unlock();
    expect(lock.stats().waitNsMax).toBe(5_000);
    const before = lock.startStatsWindow();
    expect(lock.stats().waitNsMax).toBe(0); // nothing contended since the window started
    lock.lock();
    block.countContended(1, 0, 700);
    lock.unlock();
    const window = statsSince(before, lock.stats());
    expect(window.waitNsMax).toBe(700);
    expect(window.contentions).toBe(1);
    expect(window.waitNsTotal).toBe(700);
  });
});

describe('Watchdog.laggard', () => {
  it('names the vCPU waiting for a lock another vCPU holds, with its requests in flight', () => {
    const topology = buildTopology('sq', 2, 1, 1);
    const control = RunControl.create(topology.workers);
    const lock = new SpinLock();
    const dog = new Watchdog(control, topology, [lock], 1_000, () => false);
    control.setPhase(RAMP);
    dog.start(0);
    // vcpu 1 moved on; vcpu 0 did not. The main thread holds the lock: it has no worker's name.
    control.progress('vcpu', 0).publish(32, 0);
    control.progress('vcpu', 1).publish(40, 8);
    lock.lock();
    try {
      expect(dog.laggard(100)).toBe('vcpu 0 waits for the shared ring lock, held by thread 0 (32 requests in flight)');
    } finally {
      lock.unlock();
    }
    expect(dog.laggard(100)).toBe('vcpu 0 waits for its completions (32 requests in flight)');
  });
});

describe('a stop signal', () => {
  it(
    'one SIGTERM ends a run whose drain cannot finish within the watchdog time, exit 143, partial JSON',
    { timeout: 40_000 },
    async () => {
      const json = path.join(tmp, 'drain.json');
      const args = ['--jobs', '2', '--mode', 'sq', '--runtime', '60s', '--ramp', '100ms', '--watchdog', '2'];
      const child = spawn(process.execPath, [path.join(root, 'dist/bench/bench.js'), ...args, '--json', json], {
        cwd: tmp,
        env: { ...process.env, INIT_CWD: tmp, VBLK_FAILPOINTS: 'iothread.0=stall-in-drain@0ms' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 35_000);
      // Signal once the run is under way (its plan is printed after the calibration).
      while (!/about \d+ s/.test(stderr)) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 500));
      const signalledAt = performance.now();
      child.kill('SIGTERM');
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      clearTimeout(killer);
      const afterSignalMs = performance.now() - signalledAt;
      expect(status, stderr).toBe(143);
      // The watchdog time (2 s) plus its polling and the workers' leaving (ABORT_GRACE_MS, 3 s).
      expect(afterSignalMs).toBeLessThan(2_000 + 3_000 + 2_000);
      expect(stderr).toContain('failed: ');
      expect(stderr).toContain('iothread 0');
      expect(stderr).toContain('interrupted by SIGTERM');
      const file = JSON.parse(fs.readFileSync(json, 'utf8')) as { interrupted?: boolean; error?: string };
      expect(file.interrupted).toBe(true);
      expect(file.error).toContain('iothread 0');
      // The process is gone, and its worker threads with it: no thread outlives a process.
      expect(() => process.kill(child.pid!, 0)).toThrow();
    },
  );
});

describe('the soak plan', () => {
  it('meets every lock kind, --lock-sides and --completion-path at every job count from 2 to 8', async () => {
    const { SoakPlan, COVERAGE } = await import('../dist/bench/soak-plan.js');
    const plan = new SoakPlan(1, 10);
    const seen = new Set<string>();
    for (let k = 0; k < COVERAGE.length * 7; k++) {
      const o = plan.next();
      for (const lock of o.locks) {
        for (const jobs of o.jobs) seen.add(`${lock} ${o.lockSides} ${o.completionPath} ${jobs}`);
      }
    }
    const missing = COVERAGE.flatMap((c: { lock: string; lockSides: string; completionPath: string }) =>
      [2, 3, 4, 5, 6, 7, 8].map((j) => `${c.lock} ${c.lockSides} ${c.completionPath} ${j}`),
    ).filter((key: string) => !seen.has(key));
    expect(missing).toEqual([]);
    expect(COVERAGE).toHaveLength(7 * 2 * 2);
  });
});
