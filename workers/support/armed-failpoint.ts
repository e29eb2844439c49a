/**
 * The worker side of failpoints (src/protocol/failpoint.ts): arming one at
 * the start of the run and firing it from the worker's loop.
 *
 * Cost when no failpoint is set: armFailpoint returns null and the loop's
 * `if (failpoint !== null)` is one comparison per iteration; the clock is
 * read only in a worker that has a failpoint.
 */
import { RunAborted } from './leave-on-abort.js';
import { describeFailpoint, SLOW_LOCK_MS, type Failpoint } from '../../src/protocol/failpoint.js';
import { ABORT, STOP, type RunControl } from '../../src/protocol/run-control.js';
import type { Lock } from '../../src/sync/lock-base.js';
import { busyWaitNs } from '../../src/sync/clock.js';

/** A failpoint armed in a worker; call check() from the worker's loop. */
export class ArmedFailpoint {
  private readonly dueMs: number;

  /**
   * @param lock the submission ring's lock that hold-lock takes (vCPUs), or null
   * @param parkMs longest single park while waiting for the abort
   */
  constructor(
    private readonly failpoint: Failpoint,
    private readonly control: RunControl,
    private readonly lock: Lock | null,
    private readonly parkMs: number,
  ) {
    this.dueMs = performance.now() + failpoint.atMs;
  }

  /** Fires the failpoint once it is due; returns at once before that. */
  check(): void {
    if (performance.now() < this.dueMs) return;
    if (this.failpoint.action === 'stall-in-drain' && this.control.phase() < STOP) return;
    this.fire();
  }

  /** slow-lock: takes the ring's lock and keeps it SLOW_LOCK_MS, as a slow holder would. */
  private holdBriefly(): void {
    this.takeLock(describeFailpoint(this.failpoint));
    try {
      busyWaitNs(SLOW_LOCK_MS * 1e6); // holding the lock is the point; the other threads wait for it
    } finally {
      this.lock!.unlock();
    }
  }

  /** Does what the failpoint says: every action but slow-lock ends the worker's work for good. */
  private fire(): void {
    const name = describeFailpoint(this.failpoint);
    switch (this.failpoint.action) {
      case 'throw':
        throw new Error(`failpoint ${name} fired`);
      case 'exit':
        // In a worker thread this ends the thread only; piscina then fails its task.
        return process.exit(1);
      case 'hold-lock':
        this.takeLock(name);
        return this.waitForAbort();
      case 'exit-holding-lock':
        // Dies with the lock held, as a crashed thread would: nobody will release it.
        this.takeLock(name);
        return process.exit(1);
      case 'slow-lock':
        return this.holdBriefly();
      case 'stall':
      case 'stall-in-drain':
        return this.waitForAbort();
    }
  }

  private takeLock(name: string): void {
    if (this.lock === null) throw new Error(`failpoint ${name}: the ring has no lock to hold (--lock none)`);
    this.lock.lock();
  }

  /** Does nothing, in bounded parks, until the run is aborted; then leaves it. */
  private waitForAbort(): never {
    let phase: number;
    while ((phase = this.control.phase()) !== ABORT) this.control.waitForPhaseChange(phase, this.parkMs);
    throw new RunAborted('the run was aborted');
  }
}

/**
 * Arms the worker's failpoint, if it has one: call right after the start
 * barrier, since failpoint times count from the start of the run.
 * @returns null when the worker has no failpoint (the common case).
 */
export function armFailpoint(
  failpoint: Failpoint | undefined,
  control: RunControl,
  lock: Lock | null,
  parkMs: number,
): ArmedFailpoint | null {
  return failpoint === undefined ? null : new ArmedFailpoint(failpoint, control, lock, parkMs);
}
