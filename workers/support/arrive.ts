/**
 * What every worker does before its run starts: take its place on the CPUs
 * the run gives it, then record who it is and wait at the start barrier.
 *
 * The pool reuses its threads from run to run, so a thread may still carry
 * the last run's pinning: every run sets each thread's CPUs afresh, to its
 * pinned set (--pin) or to every CPU the process may use (an unpinned run).
 * A thread already on the right CPUs costs one read of /proc.
 */
import { spawnSync } from 'node:child_process';
import { formatCpuList, readAllowedCpus, sameCpus } from '../../src/protocol/cpu-list.js';
import { currentLinuxTid } from '../../src/protocol/linux-thread.js';
import type { RunControl } from '../../src/protocol/run-control.js';
import type { WorkerRole } from '../../src/protocol/roster.js';
import type { CommonTask } from '../../src/protocol/tasks.js';
import { setThreadWaitAccounting, setThreadWaitTracer } from '../../src/sync/wait-account.js';

/**
 * Restricts the calling thread to `cpus` (sorted) with `taskset -p` (sched_setaffinity for one
 * thread id), unless it is there already, and reads the result back.
 * @param cpus null where the main thread could not tell which CPUs there are: nothing is done
 * @throws Error naming the thread and the CPUs when taskset fails or the CPUs are not those asked
 */
export function placeThread(cpus: readonly number[] | null): void {
  if (cpus === null) return;
  const now = readAllowedCpus();
  if (now === null || sameCpus(now, cpus)) return;
  const tid = currentLinuxTid();
  const list = formatCpuList(cpus);
  const r = spawnSync('taskset', ['-p', '-c', list, String(tid)], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error?.message ?? (r.stderr.trim() || `status ${r.status}`);
    throw new Error(`could not pin thread ${tid} to CPUs ${list}: ${why}`);
  }
  const after = readAllowedCpus();
  if (after === null || !sameCpus(after, cpus)) {
    throw new Error(`thread ${tid} may run on CPUs ${after === null ? '?' : formatCpuList(after)}, not ${list}`);
  }
}

/**
 * Takes the worker's CPUs and its run's wait accounting (on with --breakdown on: the pool reuses
 * threads, so every run sets it), then arrives at the run's start barrier and waits for the start.
 */
export function arrive(control: RunControl, role: WorkerRole, index: number, task: CommonTask): void {
  setThreadWaitAccounting(task.breakdown);
  setThreadWaitTracer(null); // a recorder a failed run left set on this pooled thread

  placeThread(task.cpus);
  control.arriveAndWait(role, index, task.barrierMs);
}
