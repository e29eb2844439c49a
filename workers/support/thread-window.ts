/**
 * A worker's own view of the measured window: what its thread did between the moment it saw
 * the run enter MEASURE and the moment it saw it leave, read by the thread itself at both
 * edges, so that its CPU time (its own /proc schedstat), its wait account
 * (src/sync/wait-account.ts), the requests it handled and the wake-ups its doorbell delivered
 * (by who rang it: src/protocol/run-control.ts) all cover the same stretch of time. The main
 * thread's window (IOPS, latencies) starts and ends within a few microseconds of these edges
 * for a running thread; a thread that is spinning or parked when the phase changes sees it a
 * little later, and its figures then cover its own, slightly shifted,
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
import type { BellWakeups, ThreadWindow } from '../../src/protocol/tasks.js';
import type { Doorbell } from '../../src/sync/doorbell.js';
import { BELL_SOURCE } from '../../src/protocol/run-control.js';

/** The thread at one edge of its window. */
interface Edge {
  atNs: number;
  schedstat: Schedstat | null;
  waits: WaitFigures;
  requests: number;
  woken: BellWakeups;
}

/** Watches the phase for a worker's loop and takes its window's edges. */
export class WindowWatch {
  private lastPhase = -1;
  private start: Edge | null = null;
  private end: Edge | null = null;

  /** @param bell the worker's own doorbell, whose wake-ups the window counts */
  constructor(private readonly bell: Doorbell) {}

  /**
   * Call with the phase at every turn of the loop; `requests` (the worker's count so far) is
   * asked for only when the phase has changed.
   */
  observe(phase: number, requests: () => number): void {
    if (phase === this.lastPhase) return;
    this.lastPhase = phase;
    if (phase === MEASURE && this.start === null) this.start = this.edge(requests());
    else if (phase === STOP && this.start !== null && this.end === null) this.end = this.edge(requests());
  }

  private edge(requests: number): Edge {
    const bell = this.bell;
    const woken = {
      vcpu: bell.wakeups(BELL_SOURCE.vcpu),
      iothread: bell.wakeups(BELL_SOURCE.iothread),
      nullblk: bell.wakeups(BELL_SOURCE.nullblk),
    };
    return { atNs: nowNs(), schedstat: readSchedstat('self'), waits: threadWaitFigures(), requests, woken };
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
      woken: {
        vcpu: end.woken.vcpu - start.woken.vcpu,
        iothread: end.woken.iothread - start.woken.iothread,
        nullblk: end.woken.nullblk - start.woken.nullblk,
      },
      cpus: allowed === null ? '?' : formatCpuList(allowed),
    };
  }
}

