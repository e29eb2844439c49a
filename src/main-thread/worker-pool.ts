/**
 * The piscina pool that runs every worker role. minThreads = maxThreads, so
 * every thread a run needs exists before it starts (each role is a task that
 * runs for the whole run), and the pool is reused across the points of a
 * sweep, because starting a worker costs tens of milliseconds.
 */
import { Piscina } from 'piscina';
import type { WorkerRole } from '../protocol/roster.js';

/** The compiled worker module of each role. */
export const WORKER_FILES: Readonly<Record<WorkerRole, string>> = {
  vcpu: new URL('../../workers/vcpu.js', import.meta.url).href,
  iothread: new URL('../../workers/iothread.js', import.meta.url).href,
  nullblk: new URL('../../workers/nullblk.js', import.meta.url).href,
};

/** A pool with exactly `threads` threads, each kept for the whole sweep. */
export function createWorkerPool(threads: number): Piscina {
  return new Piscina({
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
    maxQueue: threads,
  });
}
