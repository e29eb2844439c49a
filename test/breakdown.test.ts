/**
 * What makes a result explain itself, in small real runs: the stages of lat add up to lat, every
 * thread's time is accounted for consistently, completions take the path asked for, and every
 * combination of completion path, lock sides and lock kind conserves every request. Correctness
 * only: nothing here asserts on speed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';
import { createWorkerPool } from '../dist/src/main-thread/worker-pool.js';
import { runPoint } from '../dist/src/main-thread/run.js';
import type { PointSpec } from '../dist/src/main-thread/point-spec.js';
import { COMPLETION_PATHS, LOCK_CHOICES, LOCK_SIDES } from '../dist/src/protocol/options.js';
import { point } from './helpers/point.js';
import { STAGES } from '../dist/src/protocol/stages.js';
import { roleAccounting } from '../dist/src/report/accounting.js';
import type { RunResult } from '../dist/src/report/result.js';

/** A short run's settings; each test picks the rest. */
const BASE = point({ iodepth: 8, seed: 11, rampMs: 30, runtimeMs: 150 });

/**
 * How far a thread's accounted parts may exceed its CPU time, ns. The thread reads its own
 * schedstat at both edges of its window, and the kernel brings a running thread's CPU time up to
 * date only at ticks and context switches, so each edge may lag by a tick (at most 10 ms at
 * HZ=100); and a busy-wait segment shorter than PREEMPTED_GAP_NS that held a preemption counts
 * as spinning (wait-account.ts).
 */
const EDGE_SLACK_NS = 20e6;

let pool: Piscina;
beforeAll(() => {
  pool = createWorkerPool(12);
});
afterAll(async () => {
  await pool.destroy();
});

function spec(overrides: Partial<PointSpec> & Pick<PointSpec, 'mode'>): PointSpec {
  const jobs = overrides.jobs ?? 3;
  return { ...BASE, lock: 'spin', jobs, iothreads: overrides.mode === 'sq' ? 1 : 2, ...overrides };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

describe('stage latencies', () => {
  it.each(['sq', 'mq'] as const)(
    '%s: every stage is there, in order, and their means add up to lat’s mean',
    { timeout: 20_000 },
    async (mode) => {
      const run = await runPoint(pool, spec({ mode }));
      expect(run.stages?.map((stage) => stage.name)).toEqual([...STAGES]);
      const latMean = run.latencyTotals.latNs / run.latencyTotals.requests;
      expect(sum(run.stages!.map((stage) => stage.meanNs))).toBeCloseTo(latMean, 6);
      for (const stage of run.stages!) {
        expect(stage.meanNs).toBeGreaterThanOrEqual(0);
        expect(stage.p50Ns).toBeLessThanOrEqual(stage.p99Ns);
      }
      // submit is fio's slat, measured in one thread: the same sum.
      const submit = run.stages!.find((stage) => stage.name === 'submit')!;
      expect(submit.meanNs).toBeCloseTo(run.latencyTotals.slatNs / run.latencyTotals.requests, 6);
    },
  );

  it('are left out with --breakdown off', { timeout: 20_000 }, async () => {
    const run = await runPoint(pool, spec({ mode: 'mq', breakdown: false }));
    expect(run.stages).toBeNull();
    expect(run.threads?.every((thread) => thread.waits === null) ?? true).toBe(true);
    expect(roleAccounting(run)).toBeNull();
  });
});

describe('per-thread accounting', () => {
  it.each([
    ['sq', 'spin'],
    ['sq', 'adaptive'],
    ['mq', 'ticket'],
  ] as const)('%s/%s: every thread has it, and it is consistent', { timeout: 20_000 }, async (mode, lock) => {
    const run = await runPoint(pool, spec({ mode, lock, jobs: 4 }));
    if (run.threads === null) return; // no /proc here: nothing to account
    expect(run.threads).toHaveLength(run.jobs + run.iothreads + run.deviceThreads);
    for (const thread of run.threads) {
      const waits = thread.waits!;
      expect(waits).not.toBeNull();
      for (const value of Object.values(waits)) expect(value).toBeGreaterThanOrEqual(0);
      expect(waits.spinNs + waits.pollNs + waits.notifyNs).toBeLessThanOrEqual(thread.cpuNs + EDGE_SLACK_NS);
      expect(waits.wakeups).toBeLessThanOrEqual(waits.parks);
      expect(thread.windowNs).toBeGreaterThan(0);
      expect(thread.cpuNs).toBeLessThanOrEqual(thread.windowNs + EDGE_SLACK_NS);
    }
    const roles = roleAccounting(run)!;
    expect(roles.map((role) => role.role)).toEqual(['vcpu', 'iothread', 'nullblk']);
    for (const role of roles) {
      expect(role.restNs).toBeGreaterThanOrEqual(0);
      expect(role.requests).toBeGreaterThan(0);
    }
  });
});

/** Completions posted to vCPUs by each role over the whole run. */
function postedBy(run: RunResult, role: 'iothread' | 'nullblk'): number {
  return sum((run.threads ?? []).filter((thread) => thread.role === role).map((thread) => thread.completions));
}

describe('--completion-path', () => {
  it.each(['sq', 'mq'] as const)(
    '%s: by default the IO threads post every completion; with direct, the device threads do',
    { timeout: 20_000 },
    async (mode) => {
      const through = await runPoint(pool, spec({ mode }));
      const direct = await runPoint(pool, spec({ mode, completionPath: 'direct' }));
      if (through.threads === null || direct.threads === null) return; // no /proc: no thread figures
      expect(postedBy(through, 'iothread')).toBe(through.completed);
      expect(postedBy(through, 'nullblk')).toBe(0);
      expect(postedBy(direct, 'nullblk')).toBe(direct.completed);
      expect(postedBy(direct, 'iothread')).toBe(0);
    },
  );
});

describe('every completion path, lock sides and lock kind', () => {
  const cases = COMPLETION_PATHS.flatMap((completionPath) =>
    LOCK_SIDES.flatMap((lockSides) => LOCK_CHOICES.map((lock) => [completionPath, lockSides, lock] as const)),
  );
  it.each(cases)(
    '%s, %s, %s: both modes complete every request exactly once, each ring call one acquisition',
    { timeout: 30_000 },
    async (completionPath, lockSides, lock) => {
      for (const mode of ['sq', 'mq'] as const) {
        const run = await runPoint(
          pool,
          spec({ mode, lock, completionPath, lockSides, rampMs: 20, runtimeMs: 60, iodepth: 4 }),
        );
        // runPoint has checked conservation (it throws otherwise); the sides add up.
        expect(run.submitted).toBe(run.completed);
        const sides = run.lockCallsBySide;
        expect(sides.submit + sides.pop + sides.reap).toBe(run.ringCalls);
        if (lock === 'none') {
          // Lock-free rings: no acquisition at all (sq's multi-producer ring included).
          expect(run.lockAcquisitionsWholeRun).toBe(0);
          expect(sides.reap).toBe(0);
          continue;
        }
        expect(run.lockAcquisitionsWholeRun).toBe(run.ringCalls);
        if (lockSides === 'submit+pop') expect(sides.reap).toBe(0);
        else expect(sides.pop).toBe(0);
      }
    },
  );
});
