/**
 * Where the time of a run's threads went, by role (from each thread's /proc schedstat over the
 * measured window, ThreadFigures): CPU time per request, utilisation, runqueue wait, and the
 * busiest thread. Runqueue wait, time ready to run but kept off a CPU, is the direct measure of
 * preemption: a lock holder with runqueue time is a lock-holder preemption waiting to happen.
 */
import { ROLES, workerName, type WorkerRole } from '../protocol/roster.js';
import type { RunResult, ThreadFigures } from './result.js';
import { formatNs, formatPercent, MISSING, safeDivide } from './format.js';

/** One role's threads together. */
interface RoleFigures {
  threads: number;
  /** CPU time per request handled, ns. */
  cpuPerRequestNs: number;
  /** Mean share of the window its threads spent on a CPU. */
  utilisation: number;
  /** Mean share of the window its threads spent runnable but not running. */
  runqueue: number;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A thread's window, ns: its own (schema 3), or the run's for files written before threads kept theirs. */
function windowOf(run: RunResult, thread: ThreadFigures): number {
  return thread.windowNs ?? run.runtimeMs * 1e6;
}

/** The figures of each role of `run`, or null when the run has no thread figures (no /proc). */
function roleFigures(run: RunResult): Record<WorkerRole, RoleFigures> | null {
  const threads = run.threads;
  if (threads === null) return null;
  const of = (role: WorkerRole): RoleFigures => {
    const mine = threads.filter((t) => t.role === role);
    const windowNs = sum(mine.map((t) => windowOf(run, t)));
    return {
      threads: mine.length,
      cpuPerRequestNs: safeDivide(sum(mine.map((t) => t.cpuNs)), sum(mine.map((t) => t.requests))),
      utilisation: safeDivide(sum(mine.map((t) => t.cpuNs)), windowNs),
      runqueue: safeDivide(sum(mine.map((t) => t.runqueueNs)), windowNs),
    };
  };
  return { vcpu: of('vcpu'), iothread: of('iothread'), nullblk: of('nullblk') };
}

/** The thread that spent most of the window on a CPU, and that share; null without thread figures. */
function busiestThread(run: RunResult): { thread: ThreadFigures; utilisation: number } | null {
  if (run.threads === null || run.threads.length === 0) return null;
  const thread = run.threads.reduce((a, b) => (b.cpuNs > a.cpuNs ? b : a));
  return { thread, utilisation: thread.cpuNs / windowOf(run, thread) };
}

/** `3.1us/1.2us/800ns`: a figure of each role (vCPU, IO thread, device), or `-`. */
export function perRole(run: RunResult, cell: (figures: RoleFigures) => string): string {
  const figures = roleFigures(run);
  return figures === null ? MISSING : ROLES.map((role) => cell(figures[role])).join('/');
}

/** A share as a whole percentage, for the compact role columns: `48%`. */
export function wholePercent(fraction: number): string {
  return formatPercent(fraction, 0);
}

/** `iothread 0 97%`: the busiest thread, or `-`. */
export function describeBusiest(run: RunResult): string {
  const busiest = busiestThread(run);
  return busiest === null ? MISSING : `${workerName(busiest.thread)} ${wholePercent(busiest.utilisation)}`;
}

/** CPU time per request, for the role column. */
export function cpuPerRequest(figures: RoleFigures): string {
  return formatNs(figures.cpuPerRequestNs);
}
