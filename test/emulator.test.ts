/**
 * The emulator end to end, in small runs: both modes under every lock kind
 * conserve requests, and their figures agree with each other. Correctness
 * only: nothing here asserts on speed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';
import { createWorkerPool } from '../dist/src/main-thread/worker-pool.js';
import { runPoint } from '../dist/src/main-thread/run.js';
import type { PointSpec } from '../dist/src/main-thread/point-spec.js';
import { buildTopology } from '../dist/src/protocol/topology.js';
import { DEFAULT_BATCHING } from '../dist/src/protocol/options.js';
import type { RunResult } from '../dist/src/report/result.js';

const BASE: Omit<PointSpec, 'mode' | 'lock' | 'jobs' | 'iodepth' | 'iothreads'> = {
  batching: DEFAULT_BATCHING,
  deviceThreads: undefined,
  work: { guestNs: 0, iothreadNs: 0 },
  bs: 4096,
  sizeBytes: 64 * 1024 * 1024,
  seed: 7,
  completionNs: 0,
  memoryBacked: false,
  pollMaxNs: 32_768,
  rampMs: 50,
  runtimeMs: 200,
  cpus: 2,
};

let pool: Piscina;
beforeAll(() => {
  pool = createWorkerPool(8);
});
afterAll(async () => {
  await pool.destroy();
});

function expectConsistent(run: RunResult, spec: PointSpec): void {
  expect(run.submitted).toBe(run.completed);
  expect(run.submitted).toBeGreaterThan(0);
  expect(run.iops).toBeGreaterThan(0);
  expect(run.jobIops).toHaveLength(spec.jobs);
  // The window's requests are a part of the whole run's.
  expect(run.iops * (run.runtimeMs / 1000)).toBeLessThanOrEqual(run.completed + 1e-6);
  expect(run.bwBytesPerSec).toBeCloseTo(run.iops * spec.bs, 3);
  expect(run.fairness).toBeGreaterThan(0);
  expect(run.fairness).toBeLessThanOrEqual(1 + 1e-9);
  expect(run.latNs.p50).toBeGreaterThan(0);
  expect(run.latNs.p50).toBeLessThanOrEqual(run.latNs.p99);
  expect(run.latNs.p99).toBeLessThanOrEqual(run.latNs.max);
  if (spec.lock === 'none') {
    expect(run.locks).toEqual([]);
    expect(run.lockAcquisitionsWholeRun).toBe(0);
  } else {
    expect(run.locks).toHaveLength(spec.mode === 'sq' ? 1 : spec.jobs);
    // Every pushBatch and popBatch on a guarded ring takes its lock exactly once.
    expect(run.lockAcquisitionsWholeRun).toBe(run.ringCalls);
    for (const lock of run.locks) {
      expect(lock.contentions).toBeLessThanOrEqual(lock.acquisitions);
      expect(lock.waitNsMax).toBeLessThanOrEqual(lock.waitNsTotal);
    }
  }
}

describe('runPoint', () => {
  const cases: [PointSpec['mode'], PointSpec['lock']][] = [
    ['sq', 'spin'],
    ['sq', 'ticket'],
    ['sq', 'adaptive'],
    ['mq', 'spin'],
    ['mq', 'ticket'],
    ['mq', 'adaptive'],
    ['mq', 'none'],
  ];
  for (const [mode, lock] of cases) {
    it(`${mode} with lock ${lock} completes every request exactly once`, { timeout: 20_000 }, async () => {
      const spec: PointSpec = { ...BASE, mode, lock, jobs: 2, iodepth: 4, iothreads: 2 };
      const run = await runPoint(pool, spec);
      expect(run.mode).toBe(mode);
      expect(run.iothreads).toBe(mode === 'sq' ? 1 : 2);
      expectConsistent(run, spec);
    });
  }

  it('verifies the data of every request with memory-backed buffers', { timeout: 20_000 }, async () => {
    const spec: PointSpec = {
      ...BASE,
      mode: 'mq',
      lock: 'adaptive',
      jobs: 2,
      iodepth: 8,
      iothreads: 1,
      memoryBacked: true,
    };
    const run = await runPoint(pool, spec);
    expectConsistent(run, spec);
  });

  it('keeps every request across the 2^32 wrap of the ring indices', { timeout: 20_000 }, async () => {
    const spec: PointSpec = {
      ...BASE,
      mode: 'sq',
      lock: 'spin',
      jobs: 2,
      iodepth: 16,
      iothreads: 1,
      initialIndex: 2 ** 32 - 300,
    };
    const run = await runPoint(pool, spec);
    // Far more requests than 300 went through, so the indices wrapped.
    expect(run.completed).toBeGreaterThan(1000);
    expectConsistent(run, spec);
  });

  it('delays completions with completionNs and still conserves', { timeout: 20_000 }, async () => {
    const spec: PointSpec = {
      ...BASE,
      mode: 'mq',
      lock: 'spin',
      jobs: 1,
      iodepth: 2,
      iothreads: 1,
      completionNs: 200_000,
    };
    const run = await runPoint(pool, spec);
    expectConsistent(run, spec);
    expect(run.latNs.p50).toBeGreaterThanOrEqual(200_000);
  });
});

describe('buildTopology', () => {
  it('gives sq one shared ring and one IO thread', () => {
    const t = buildTopology('sq', 8, 32, 4);
    expect(t.vcpuRing).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(t.iothreadRings).toEqual([[0]]);
    expect(t.ringCapacity).toBe(256);
  });
  it('gives mq a ring per vCPU, mapped round-robin to the IO threads', () => {
    const t = buildTopology('mq', 5, 3, 2);
    expect(t.vcpuRing).toEqual([0, 1, 2, 3, 4]);
    expect(t.iothreadRings).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    expect(t.ringCapacity).toBe(4);
    expect(t.hwqCapacity).toEqual([16, 8]);
  });
  it('never has more IO threads than rings', () => {
    expect(buildTopology('mq', 2, 1, 8).iothreads).toBe(2);
  });
});
