/**
 * A worker's own view of the measured window: what its thread did between the moment it saw
 * the run enter MEASURE and the moment it saw it leave, read by the thread itself at both
 * edges, so that its CPU time (its own /proc schedstat), its wait account
 * (src/sync/wait-account.ts), the requests it handled and the signals it sent all cover the same
 * stretch of time. The main thread's window (IOPS, latencies) starts and ends within a few
 * microseconds of these edges for a running thread; a thread that is spinning or parked when the
 * phase changes sees it a little later, and its figures then cover its own, slightly shifted,
 * window: they stay consistent with each other, which is what a per-request split needs.
 *
 * Cost: one comparison of the phase per turn of the worker's loop; the edges themselves (a read
 * of /proc and a copy of the account) happen twice per run.
 */
import { nowNs } from '../../src/sync/clock.js';
import { threadWaitFigures, type WaitFigures } from '../../src/sync/wait-account.js';
import { MEASURE, STOP } from '../../src/protocol/run-control.js';
import { currentLinuxTid, readSchedstat, type Schedstat } from '../../src/protocol/linux-thread.js';
import { formatCpuList, readAllowedCpus } from '../../src/protocol/cpu-list.js';
import type { ThreadWindow } from '../../src/protocol/tasks.js';

/** The thread at one edge of its window. */
interface Edge {
  atNs: number;
  schedstat: Schedstat | null;
  waits: WaitFigures;
  requests: number;
  signals: number;
}

/** Watches the phase for a worker's loop and takes its window's edges. */
export class WindowWatch {
  private lastPhase = -1;
  private start: Edge | null = null;
  private end: Edge | null = null;

  /**
   * Call with the phase at every turn of the loop; `requests` and `signals` (the worker's counts
   * so far) are asked for only when the phase has changed.
   */
  observe(phase: number, requests: () => number, signals: () => number): void {
    if (phase === this.lastPhase) return;
    this.lastPhase = phase;
    if (phase === MEASURE && this.start === null) this.start = edge(requests(), signals());
    else if (phase === STOP && this.start !== null && this.end === null) this.end = edge(requests(), signals());
  }

  /** The window's figures, or null when the run never measured or /proc could not be read. */
  figures(): ThreadWindow | null {
    const { start, end } = this;
    if (start === null || end === null || start.schedstat === null || end.schedstat === null) return null;
    const allowed = readAllowedCpus();
    return {
      tid: currentLinuxTid(),
      windowNs: end.atNs - start.atNs,
      requests: end.requests - start.requests,
      cpuNs: end.schedstat.cpuNs - start.schedstat.cpuNs,
      runqueueNs: end.schedstat.runqueueNs - start.schedstat.runqueueNs,
      slices: end.schedstat.slices - start.schedstat.slices,
      waits: Object.fromEntries(
        (Object.keys(end.waits) as (keyof WaitFigures)[]).map((k) => [k, end.waits[k] - start.waits[k]]),
      ) as unknown as WaitFigures,
      signals: end.signals - start.signals,
      cpus: allowed === null ? '?' : formatCpuList(allowed),
    };
  }
}

function edge(requests: number, signals: number): Edge {
  return { atNs: nowNs(), schedstat: readSchedstat('self'), waits: threadWaitFigures(), requests, signals };
}
