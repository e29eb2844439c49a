/**
 * A sweep: every (mode, lock, jobs) point of the options on this process's
 * cores, each run --repeat times, on one worker pool reused throughout.
 * A failure or a stop request ends the sweep and keeps the points done.
 */
import { createWorkerPool } from './worker-pool.js';
import { runPoint } from './run.js';
import { RunInterrupted } from './run-failure.js';
import { threadsFor, type PointSpec } from './point-spec.js';
import { defaultIothreads, lockFitsMode } from '../protocol/topology.js';
import type { BenchOptions } from '../protocol/options.js';
import type { RunResult } from '../report/result.js';

export interface SweepOutcome {
  runs: RunResult[];
  /** Why the sweep ended early, if it did. */
  error?: string;
  /** A stop was requested (SIGINT/SIGTERM) before the sweep finished. */
  interrupted?: boolean;
}

export interface SweepHooks {
  /** Before each run; `done` runs out of `total` are finished. */
  onStart?(spec: PointSpec, repeat: number, done: number, total: number): void;
  /** After each point (the median of its repeats). */
  onPoint?(run: RunResult): void;
}

/** The points of a sweep, in report order: mode, then lock, then jobs. */
export function sweepPoints(options: BenchOptions, cpus: number): PointSpec[] {
  const points: PointSpec[] = [];
  for (const mode of options.modes) {
    for (const lock of options.locks) {
      if (!lockFitsMode(mode, lock)) continue;
      for (const jobs of options.jobs) {
        points.push({
          mode,
          lock,
          jobs,
          iodepth: options.iodepth,
          batching: options.batching,
          iothreads: options.iothreads ?? defaultIothreads(jobs, cpus),
          deviceThreads: options.deviceThreads,
          work: options.work,
          pin: options.pin,
          bs: options.bs,
          sizeBytes: options.sizeBytes,
          seed: options.seed,
          completionNs: options.completionNs,
          memoryBacked: options.memoryBacked,
          pollMaxNs: options.pollMaxNs,
          rampMs: options.rampMs,
          runtimeMs: options.runtimeMs,
          cpus,
          watchdogMs: options.watchdogS * 1000,
          ...(options.failpoints !== undefined ? { failpoints: options.failpoints } : {}),
          ...(options.initialIndex !== undefined ? { initialIndex: options.initialIndex } : {}),
        });
      }
    }
  }
  return points;
}

/** The run with the median IOPS (the lower median for an even count), marked with the count. */
export function medianRun(runs: RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.iops - b.iops);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, repeats: runs.length };
}

/**
 * Runs the sweep. A failed run ends it with `error` set and the points done
 * before kept; so does `stop` (SIGINT/SIGTERM), with `interrupted` set: the
 * run in progress leaves its measured window early, drains, and is dropped
 * (see RunInterrupted), and so are the repeats of its point done so far.
 */
export async function runSweep(
  options: BenchOptions,
  cpus: number,
  hooks: SweepHooks = {},
  stop?: AbortSignal,
): Promise<SweepOutcome> {
  const points = sweepPoints(options, cpus);
  const pool = createWorkerPool(Math.max(...points.map(threadsFor)));
  const runs: RunResult[] = [];
  const total = points.length * options.repeat;
  try {
    for (const spec of points) {
      const repeats: RunResult[] = [];
      for (let r = 0; r < options.repeat; r++) {
        if (stop?.aborted === true) return { runs, interrupted: true };
        hooks.onStart?.(spec, r, runs.length * options.repeat + r, total);
        try {
          repeats.push(await runPoint(pool, spec, { stop }));
        } catch (error) {
          if (error instanceof RunInterrupted) return { runs, interrupted: true };
          const what = `${spec.mode} lock=${spec.lock} jobs=${spec.jobs} iodepth=${spec.iodepth}`;
          return { runs, error: `run ${what} failed: ${error instanceof Error ? error.message : String(error)}` };
        }
      }
      const run = medianRun(repeats);
      runs.push(run);
      hooks.onPoint?.(run);
    }
    return { runs };
  } finally {
    await pool.destroy();
  }
}
