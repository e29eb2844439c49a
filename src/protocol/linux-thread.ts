/**
 * A thread's identity to Linux and its scheduler statistics: how a worker
 * tells the main thread who it is, and how the main thread reads what each
 * worker's time went to, without any cost to the worker.
 *
 * Every Node worker is an OS thread. On Linux it learns its own thread id
 * (tid) from /proc/thread-self, a link to `<pid>/task/<tid>`; the main thread
 * then reads /proc/self/task/<tid>/schedstat, three numbers the scheduler
 * keeps per thread (Documentation/scheduler/sched-stats.rst):
 *   1. time spent on a CPU, ns
 *   2. time spent runnable but waiting for a CPU (on a runqueue), ns
 *   3. timeslices run on this CPU
 * Elsewhere (or where /proc is hidden) the tid is 0 and the statistics are
 * null: figures that need them are left out, nothing fails.
 */
import fs from 'node:fs';

/** One reading of a thread's scheduler statistics. */
export interface Schedstat {
  /** Time on a CPU, ns. */
  cpuNs: number;
  /** Time runnable but waiting for a CPU, ns: how long the thread was kept off a core. */
  runqueueNs: number;
  /** Timeslices run. */
  slices: number;
}

/** The calling thread's Linux thread id, or 0 where /proc/thread-self cannot be read. */
export function currentLinuxTid(): number {
  try {
    const link = fs.readlinkSync('/proc/thread-self');
    const tid = Number(link.slice(link.lastIndexOf('/') + 1));
    return Number.isSafeInteger(tid) && tid > 0 ? tid : 0;
  } catch {
    return 0;
  }
}

/**
 * Scheduler statistics of thread `tid` of this process, or of the calling thread when `tid` is
 * 'self'; null when unknown or unreadable.
 */
export function readSchedstat(tid: number | 'self'): Schedstat | null {
  if (tid !== 'self' && tid <= 0) return null;
  const file = tid === 'self' ? '/proc/thread-self/schedstat' : `/proc/self/task/${tid}/schedstat`;
  try {
    const [cpu, runqueue, slices] = fs.readFileSync(file, 'utf8').trim().split(/\s+/);
    const figures = { cpuNs: Number(cpu), runqueueNs: Number(runqueue), slices: Number(slices) };
    return Object.values(figures).every(Number.isFinite) ? figures : null;
  } catch {
    return null;
  }
}
