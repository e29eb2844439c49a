/**
 * The emulator end to end, in small runs: both modes under every lock kind
 * conserve requests, and their figures agree with each other. Correctness
 * only: nothing here asserts on speed.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';
import { createWorkerPool } from '../dist/src/main-thread/worker-pool.js';
import { runPoint } from '../dist/src/main-thread/run.js';
import type { PointSpec } from '../dist/src/main-thread/point-spec.js';
import { buildTopology } from '../dist/src/protocol/topology.js';
import { latencyAt } from '../dist/src/report/latency.js';
import { LatencyHistogram } from '../dist/src/protocol/latency-histogram.js';
import { runSchedule, describeRun, medianRun } from '../dist/src/main-thread/sweep.js';
import { checkConservation } from '../dist/src/main-thread/conservation.js';
import { placement } from '../dist/src/main-thread/placement.js';
import { calibrateWakeups } from '../dist/src/main-thread/calibrate.js';
import { describeWakeups } from '../dist/src/report/machine.js';
import { formatCpuList, readAllowedCpus, tasksetAvailable } from '../dist/src/protocol/cpu-list.js';
import type { ThreadFigures } from '../dist/src/report/result.js';
import type { RunResult } from '../dist/src/report/result.js';
import { makeRun } from './helpers/fixtures.js';
import { point as basePoint } from './helpers/point.js';

const BASE = basePoint({ seed: 7 });

let pool: Piscina;
beforeAll(() => {
  // Enough for the largest run below: 4 vCPUs, 4 IO threads, 4 device threads.
  pool = createWorkerPool(12);
});

/** Whether this machine shows each thread's scheduler statistics (Linux /proc). */
const SCHEDSTAT = fs.existsSync('/proc/thread-self/schedstat');
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
  for (const figures of [run.slatNs, run.clatNs, run.latNs]) {
    expect(latencyAt(figures, 50)).toBeGreaterThan(0);
    expect(latencyAt(figures, 50)).toBeLessThanOrEqual(latencyAt(figures, 99));
    expect(latencyAt(figures, 99)).toBeLessThanOrEqual(figures.max);
    expect(figures.count).toBe(run.latencyTotals.requests);
    // fio's bins hold every request once.
    expect(Object.values(figures.bins!).reduce((a, b) => a + b, 0)).toBe(figures.count);
  }
  // The means are exact: the histograms' sums are the requests' own.
  expect(run.slatNs.mean * run.slatNs.count).toBeCloseTo(run.latencyTotals.slatNs, 0);
  expect(run.latNs.mean * run.latNs.count).toBeCloseTo(run.latencyTotals.latNs, 0);
  // fio's split, request by request in integer ns: slat + clat = lat exactly.
  expect(run.latencyTotals.slatNs + run.latencyTotals.clatNs).toBe(run.latencyTotals.latNs);
  // Every submission took the ring's lock once per push; with iodepth_batch 1, once per request.
  for (let v = 0; v < spec.jobs; v++) {
    expect(run.jobPushes[v]).toBeGreaterThanOrEqual(Math.ceil(run.jobSubmitted[v]! / spec.iodepthBatch));
    if (spec.iodepthBatch === 1) expect(run.jobPushes[v]).toBe(run.jobSubmitted[v]);
  }
  expect(run.jobSubmitted.reduce((a, b) => a + b, 0)).toBe(run.submitted);
  if (run.threads !== null) {
    expect(run.threads).toHaveLength(spec.jobs + run.iothreads + run.deviceThreads);
    // On-CPU time fits in the window (the /proc reads sit just outside it: 50 ms of slack).
    for (const thread of run.threads) expect(thread.cpuNs).toBeLessThanOrEqual((run.runtimeMs + 50) * 1e6);
  }
  if (spec.lock === 'none') {
    // mq's rings are single-producer and lock-free; sq's one ring has its publication waits.
    expect(run.locks.map((lock) => lock.name)).toEqual(spec.mode === 'sq' ? ['shared ring (publication order)'] : []);
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
    ['sq', 'none'],
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

  it(
    'sq with --lock none: one lock-free ring, 1 to 8 producers, every request exactly once',
    { timeout: 30_000 },
    async () => {
      for (let jobs = 1; jobs <= 8; jobs++) {
        const spec: PointSpec = { ...BASE, mode: 'sq', lock: 'none', jobs, iodepth: 4, iothreads: 1, runtimeMs: 60 };
        const run = await runPoint(pool, spec);
        expectConsistent(run, spec);
        // Every push reserved once: the publication figures count pushes like lock acquisitions.
        expect(run.locks[0]!.contentions).toBeLessThanOrEqual(run.locks[0]!.acquisitions);
      }
    },
  );

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
      initialIndex: 2 ** 32 - 5,
    };
    const run = await runPoint(pool, spec);
    // The indices start 5 short of 2^32, and every ring carried more than 5 requests: each vCPU
    // fills its 16 tags at once, and the drain completes them all. So every index wrapped.
    for (const submitted of run.jobSubmitted) expect(submitted).toBeGreaterThanOrEqual(16);
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
    expect(latencyAt(run.clatNs, 50)).toBeGreaterThanOrEqual(200_000);
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
  it('gives each hardware queue a device thread, round-robin, and each vCPU one path', () => {
    const t = buildTopology('mq', 4, 8, 4, 2);
    expect(t.workers).toEqual({ vcpu: 4, iothread: 4, nullblk: 2 });
    expect(t.hwqDevice).toEqual([0, 1, 0, 1]);
    expect(t.deviceHwqs).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(t.deviceVcpus).toEqual([
      [0, 2],
      [1, 3],
    ]);
    // By default, a device thread per hardware queue.
    const d = buildTopology('mq', 5, 8, 2);
    expect(d.workers.nullblk).toBe(2);
    expect(d.deviceVcpus).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    // Never more device threads than hardware queues: sq has one of each.
    expect(buildTopology('sq', 8, 8, 1, 4).workers.nullblk).toBe(1);
  });
});

describe('batching and device threads', () => {
  type Batching = Pick<
    PointSpec,
    'iodepthBatch' | 'iodepthBatchCompleteMin' | 'iodepthBatchCompleteMax' | 'iothreadBatch'
  >;
  const batchings: [string, Partial<Batching>][] = [
    ["fio's defaults", {}],
    [
      'pushes of 4, reaps of 2..8, pops of 4',
      { iodepthBatch: 4, iodepthBatchCompleteMin: 2, iodepthBatchCompleteMax: 8, iothreadBatch: 4 },
    ],
    [
      'pushes of the whole queue, polled reaps, pops of 32',
      { iodepthBatch: 8, iodepthBatchCompleteMin: 0, iodepthBatchCompleteMax: 8, iothreadBatch: 32 },
    ],
  ];
  for (const mode of ['sq', 'mq'] as const) {
    for (const [name, batching] of batchings) {
      for (const deviceThreads of [undefined, 1]) {
        const devices = deviceThreads === undefined ? 'a device thread per queue' : 'one device thread';
        it(`${mode}, ${name}, ${devices}: every request exactly once`, { timeout: 20_000 }, async () => {
          const spec: PointSpec = {
            ...BASE,
            mode,
            lock: 'spin',
            jobs: 3,
            iodepth: 8,
            iothreads: 2,
            ...batching,
            deviceThreads,
            memoryBacked: true,
          };
          const run = await runPoint(pool, spec);
          expectConsistent(run, spec);
          expect(run.deviceThreads).toBe(deviceThreads ?? run.iothreads);
        });
      }
    }
  }

  it(
    '--device-threads N gives N device threads, each serving its own hardware queues',
    { timeout: 20_000 },
    async () => {
      const spec: PointSpec = {
        ...BASE,
        mode: 'mq',
        lock: 'adaptive',
        jobs: 4,
        iodepth: 4,
        iothreads: 4,
        deviceThreads: 2,
      };
      const run = await runPoint(pool, spec);
      expectConsistent(run, spec);
      expect(run.deviceThreads).toBe(2);
      if (run.threads !== null) expect(run.threads.filter((t) => t.role === 'nullblk')).toHaveLength(2);
    },
  );

  it('fails a run in which a hardware queue was served by another device thread', () => {
    const topology = buildTopology('mq', 2, 1, 2, 2);
    const vcpu = (index: number) => ({
      index,
      submitted: 1,
      completed: 1,
      pushes: 1,
      reapLocks: 0,
      trace: null,
      stages: null,
      slat: new LatencyHistogram(),
      clat: new LatencyHistogram(),
      lat: new LatencyHistogram(),
      latencyTotals: { requests: 0, slatNs: 0, clatNs: 0, latNs: 0 },
      unexpected: [],
      unexpectedCount: 0,
      lost: [],
      verified: 0,
      corrupt: 0,
      window: null,
    });
    const vcpus = [vcpu(0), vcpu(1)];
    const iothreads = [0, 1].map((index) => ({
      index,
      moved: 1,
      pops: 1,
      completions: 1,
      window: null,
      trace: null,
    }));
    const device = { completions: 0, window: null, trace: null };
    const right = [0, 1].map((index) => ({ index, hwqs: [index], completed: 1, ...device }));
    expect(() => checkConservation(topology, vcpus, iothreads, right)).not.toThrow();
    const wrong = [
      { index: 0, hwqs: [0, 1], completed: 2, ...device },
      { index: 1, hwqs: [], completed: 0, ...device },
    ];
    expect(() => checkConservation(topology, vcpus, iothreads, wrong)).toThrow(
      'hardware queue 1 was served by device threads [0], not by 1 alone',
    );
  });

  /** CPU time per request of a role over the window, ns. */
  function cpuPerRequest(threads: readonly ThreadFigures[], role: ThreadFigures['role']): number {
    const mine = threads.filter((t) => t.role === role);
    const cpu = mine.reduce((sum, t) => sum + t.cpuNs, 0);
    return (
      cpu /
      Math.max(
        1,
        mine.reduce((sum, t) => sum + t.requests, 0),
      )
    );
  }

  it.skipIf(!SCHEDSTAT)(
    '--guest-ns and --iothread-ns raise the CPU time per request of their role',
    { timeout: 20_000 },
    async () => {
      const workNs = 200_000;
      const spec: PointSpec = {
        ...BASE,
        mode: 'sq',
        lock: 'spin',
        jobs: 1,
        iodepth: 1,
        iothreads: 1,
        guestNs: workNs,
        iothreadNs: workNs,
        runtimeMs: 300,
      };
      const run = await runPoint(pool, spec);
      expectConsistent(run, spec);
      // A busy loop against the clock loses CPU time only when the thread is preempted inside
      // it; half the work is a bound that a correct run meets even on a busy machine.
      expect(cpuPerRequest(run.threads!, 'vcpu')).toBeGreaterThan(workNs / 2);
      expect(cpuPerRequest(run.threads!, 'iothread')).toBeGreaterThan(workNs / 2);
    },
  );
});

const ALLOWED = readAllowedCpus('/proc/self/status');
const CAN_PIN = ALLOWED !== null && ALLOWED.length > 0 && tasksetAvailable();

describe('placement (--pin)', () => {
  it('gives each worker its CPUs under none, split and role sets', () => {
    const topology = buildTopology('mq', 3, 4, 2);
    const allowed = [4, 5];
    expect(placement({ kind: 'none' }, topology, allowed)).toEqual(Array.from({ length: 7 }, () => [4, 5]));
    // vCPUs 0-2, IO threads 0-1, device threads 0-1 (one per hardware queue).
    expect(placement({ kind: 'split' }, topology, allowed)).toEqual([[4], [5], [4], [4], [5], [4], [5]]);
    const sets = placement({ kind: 'sets', sets: { vcpu: [5], nullblk: [4, 5] } }, topology, allowed);
    expect(sets).toEqual([[5], [5], [5], [4, 5], [4, 5], [4], [5]]);
    expect(placement({ kind: 'split' }, topology, null)).toEqual(Array.from({ length: 7 }, () => null));
  });

  it.skipIf(!CAN_PIN)(
    'pins each worker to its set, read back from /proc, and an unpinned run after it gets every CPU back',
    { timeout: 20_000 },
    async () => {
      const allowed = ALLOWED!;
      const first = allowed[0]!;
      const last = allowed.at(-1)!;
      const spec: PointSpec = {
        ...BASE,
        mode: 'mq',
        lock: 'spin',
        jobs: 2,
        iodepth: 4,
        iothreads: 2,
        pin: { kind: 'sets', sets: { vcpu: [first], iothread: [last] } },
      };
      const pinned = await runPoint(pool, spec);
      expectConsistent(pinned, spec);
      const everywhere = formatCpuList(allowed);
      const expected = (t: ThreadFigures): string =>
        t.role === 'vcpu' ? String(first) : t.role === 'iothread' ? String(last) : everywhere;
      for (const thread of pinned.threads ?? []) expect(thread.cpus).toBe(expected(thread));
      expect(pinned.settings.pin).toBe(`vcpus=${first},iothreads=${last}`);

      const free = await runPoint(pool, { ...spec, pin: { kind: 'none' } });
      for (const thread of free.threads ?? []) expect(thread.cpus).toBe(everywhere);
    },
  );

  it.skipIf(!CAN_PIN)(
    'split puts vCPU i, IO thread i and device thread i on CPU i mod C',
    { timeout: 20_000 },
    async () => {
      const allowed = ALLOWED!;
      const spec: PointSpec = {
        ...BASE,
        mode: 'mq',
        lock: 'adaptive',
        jobs: 2,
        iodepth: 4,
        iothreads: 2,
        pin: { kind: 'split' },
      };
      const run = await runPoint(pool, spec);
      expectConsistent(run, spec);
      for (const thread of run.threads ?? []) expect(thread.cpus).toBe(String(allowed[thread.index % allowed.length]));
    },
  );
});

describe('wake-up calibration', () => {
  it('measures positive costs, pinned where it can pin', { timeout: 20_000 }, async () => {
    const costs = await calibrateWakeups(ALLOWED);
    expect(costs).not.toBeNull();
    expect(costs!.unpinnedUs).toBeGreaterThan(0);
    if (CAN_PIN) expect(costs!.sameCoreUs).toBeGreaterThan(0);
    if (CAN_PIN && ALLOWED!.length >= 2) {
      expect(costs!.crossCoreUs).toBeGreaterThan(0);
      expect(costs!.spinHandoffUs).toBeGreaterThan(0);
    }
    expect(describeWakeups(costs)).toMatch(/^wake-up [\d.]+ us/);
  });
});

describe('slat, clat and lat', () => {
  it(
    "slat carries the wait for the ring's lock: a vCPU that holds it 1 ms a turn raises it",
    { timeout: 20_000 },
    async () => {
      const spec: PointSpec = { ...BASE, mode: 'sq', lock: 'adaptive', jobs: 2, iodepth: 4, iothreads: 1 };
      const calm = await runPoint(pool, spec);
      const slowed = await runPoint(pool, {
        ...spec,
        failpoints: [{ role: 'vcpu', index: 1, action: 'slow-lock', atMs: 0 }],
      });
      expectConsistent(calm, spec);
      // The failpoint's own acquisitions are no ring calls, so only the conservation figures hold.
      expect(slowed.submitted).toBe(slowed.completed);
      // A push that found the lock held waited for part of a 1 ms hold, and the wait is slat's.
      // (Which share of the pushes did depends on the scheduler, so no percentile is asserted:
      // vCPU 1's own pushes, right after each hold, wait for nothing.)
      expect(slowed.slatNs.max).toBeGreaterThanOrEqual(250_000);
      expect(slowed.latencyTotals.slatNs).toBeGreaterThan(0);
    },
  );
});

describe('the order of a sweep', () => {
  const point = (mode: 'sq' | 'mq', lock: 'spin' | 'none', jobs: number): PointSpec => ({
    ...BASE,
    mode,
    lock,
    jobs,
    iodepth: 1,
    iothreads: 1,
  });

  it('interleaves: every point once per round, the modes of a point side by side', () => {
    // Report order: mode, lock, jobs.
    const points = [point('sq', 'spin', 1), point('sq', 'spin', 2), point('mq', 'spin', 1), point('mq', 'spin', 2)];
    const order = runSchedule(points, 2).map(({ point: p, repeat }) => describeRun(points[p]!, repeat));
    expect(order).toEqual([
      'sq spin jobs=1 repeat 1',
      'mq spin jobs=1 repeat 1',
      'sq spin jobs=2 repeat 1',
      'mq spin jobs=2 repeat 1',
      'sq spin jobs=1 repeat 2',
      'mq spin jobs=1 repeat 2',
      'sq spin jobs=2 repeat 2',
      'mq spin jobs=2 repeat 2',
    ]);
    // mq alone with --lock none comes in its own place.
    const withNone = [point('sq', 'spin', 1), point('mq', 'spin', 1), point('mq', 'none', 1)];
    expect(runSchedule(withNone, 1).map(({ point: p }) => p)).toEqual([0, 1, 2]);
  });

  it('reports the median run of a point, with every run as a sample', () => {
    const run = (iops: number): RunResult => makeRun({ iops });
    const median = medianRun([run(3), run(1), run(2)]);
    expect(median.iops).toBe(2);
    expect(median.repeats).toBe(3);
    expect(median.samples?.map((s) => s.iops)).toEqual([3, 1, 2]);
    // The point keeps its latency bins; its samples leave theirs out.
    expect(median.latNs.bins).toBeDefined();
    expect(median.samples?.every((s) => s.latNs.bins === undefined)).toBe(true);
    expect(medianRun([run(5)]).samples).toBeUndefined();
  });
});
