/**
 * The watchdog of a run: turns a hang into a failure that names the culprit.
 *
 * The main thread calls check() every few hundred ms from RAMP to the end of
 * the run. It reads each worker's progress counters (run-control.ts) and
 * keeps, per worker, when they last moved. A worker is stuck when it has
 * work and its counters have not moved for `limitMs` (--watchdog):
 *   vcpu v      always during RAMP and MEASURE (it keeps iodepth requests
 *               in flight); after STOP until its task has returned
 *   iothread k  while its rings hold requests (vCPUs of its rings submitted
 *               more than it moved), or, with --completion-path iothread,
 *               while requests it moved have not been posted back to their
 *               vCPUs, or once every vCPU is done and it has not returned
 *   nullblk d   while its hardware queues hold requests (moved there by IO
 *               threads, not yet completed), or once every vCPU is done and
 *               it has not returned
 *
 * When a worker is stuck the culprit is, in this order:
 *   1. the holder of a ring lock that has not changed hands for half the
 *      limit: `vcpu 1 holds the shared ring lock and stopped making progress`
 *      (Lock.holder(): for a FIFO lock, also a waiter the lock was handed to
 *      and that never took it, such as a dead ticket waiter, which is then the
 *      culprit rather than the stage its death starved);
 *   2. the stage furthest down the pipeline that is stuck with requests (a
 *      device thread, then an IO thread), since everyone upstream waits for it:
 *      `nullblk 0 stopped making progress: 12 requests in flight`;
 *   3. else the stuck vCPU itself.
 *
 * A trickle of progress keeps every worker off that list, however long the run takes, so the
 * run also has bounds on its length (run.ts): its window, from RAMP to STOP, may last ramp +
 * runtime + the limit, and its drain after STOP the limit. A run past either is failed with
 * laggard(): the worker whose counters moved longest ago (or, when all of them move, the vCPU
 * that completed fewest requests since RAMP), and what it waits for: a ring lock another thread
 * holds, a lock it holds itself, its completions, or the requests in its queues.
 *
 * Each worker's counters are read whole (run-control.ts: a seqlock), but
 * the workers' blocks are read one after another, not at one instant: a
 * backlog can be off by the requests moved meanwhile, which is fine for a
 * hang: a stuck pipeline's counters do not move.
 */
import { ringName, type Topology } from '../protocol/topology.js';
import { STOP, type RunControl, type WorkerProgress } from '../protocol/run-control.js';
import { roster, workerName, type WorkerId } from '../protocol/roster.js';
import type { Lock } from '../sync/lock-base.js';

/** Whether a worker's task has returned. */
export type FinishedProbe = (worker: WorkerId) => boolean;

interface Tracked extends WorkerId {
  progress: WorkerProgress;
  /** Counters seen at the last check. */
  submitted: number;
  completed: number;
  /** Its completed counter at start(): how far it got since is how far behind it is. */
  startCompleted: number;
  /** When the counters last moved, or the worker last had no work, ms. */
  since: number;
}

interface Holding {
  holder: number;
  since: number;
}

/** Requests waiting for each IO thread, and for each device thread. */
interface Backlog {
  iothread: number[];
  nullblk: number[];
  /** Of each IO thread's, those it moved to the device and has not posted back (iothread path). */
  completing: number[];
}

/** How often to call check() for a given limit, ms: often enough to fire close to the limit. */
export function watchdogPollMs(limitMs: number): number {
  return Math.max(20, Math.min(250, Math.floor(limitMs / 5)));
}

function count(n: number, what: string): string {
  return n === 0 ? `no ${what}` : `${n} ${what}${n === 1 ? '' : 's'}`;
}

export class Watchdog {
  private readonly workers: Tracked[];
  private readonly holding: (Holding | null)[];

  /**
   * @param guards the lock of each submission ring (null for --lock none), indexed as the topology's rings
   * @param limitMs how long a worker with work may go without progress (--watchdog)
   * @param finished tells whether a worker's task has returned
   */
  constructor(
    private readonly control: RunControl,
    private readonly topology: Topology,
    private readonly guards: readonly (Lock | null)[],
    private readonly limitMs: number,
    private readonly finished: FinishedProbe,
  ) {
    this.workers = roster(topology.workers).map((w) => ({
      ...w,
      progress: control.progress(w.role, w.index),
      submitted: 0,
      completed: 0,
      startCompleted: 0,
      since: 0,
    }));
    this.holding = guards.map(() => null);
  }

  /** Starts the clocks (when the run leaves the start barrier). */
  start(nowMs: number): void {
    for (const w of this.workers) {
      w.submitted = w.progress.submitted;
      w.completed = w.progress.completed;
      w.startCompleted = w.completed;
      w.since = nowMs;
    }
  }

  /**
   * The worker furthest behind and what it waits for (see the top of this file), for a run that
   * outlived a bound: `vcpu 3 waits for the shared ring lock, held by vcpu 5 (32 requests in flight)`.
   */
  laggard(nowMs: number): string {
    const backlog = this.backlog();
    const busy = this.workers.filter((w) => this.hasWork(w, backlog));
    if (busy.length === 0) return 'no worker has work left, yet the run has not ended';
    const stalest = busy.reduce((a, b) => (b.since < a.since ? b : a));
    // Counters that all moved within the last two checks: the vCPU that got least far is the laggard.
    const recent = nowMs - stalest.since < 2 * watchdogPollMs(this.limitMs);
    const vcpus = busy.filter((w) => w.role === 'vcpu');
    const behind =
      recent && vcpus.length > 0
        ? vcpus.reduce((a, b) => (b.completed - b.startCompleted < a.completed - a.startCompleted ? b : a))
        : stalest;
    const still = Math.round(nowMs - behind.since);
    const moved = still >= watchdogPollMs(this.limitMs) ? `, no progress for ${still} ms` : '';
    return `${workerName(behind)} ${this.waitsFor(behind, backlog)}${moved}`;
  }

  /** What worker `w` waits for, as far as the counters and the ring locks tell. */
  private waitsFor(w: Tracked, backlog: Backlog): string {
    if (w.role !== 'vcpu') return `is behind: ${this.describeWork(w, backlog)}`;
    const inFlight = `${count(w.progress.submitted - w.progress.completed, 'request')} in flight`;
    const r = this.topology.vcpuRing[w.index]!;
    const guard = this.guards[r] ?? null;
    const holder = guard === null ? -1 : guard.holder();
    if (holder === -1) return `waits for its completions (${inFlight})`;
    const who = this.control.workerByThreadId(holder) ?? `thread ${holder}`;
    const ring = ringName(this.topology, r);
    if (who === workerName(w)) return `holds the ${ring} lock (${inFlight})`;
    return `waits for the ${ring} lock, held by ${who} (${inFlight})`;
  }

  /** Looks at the counters; returns why the run is stuck, or null while it is not. */
  check(nowMs: number): string | null {
    const backlog = this.backlog();
    const stuck: Tracked[] = [];
    for (const w of this.workers) {
      const { submitted, completed } = w.progress;
      const moved = submitted !== w.submitted || completed !== w.completed;
      w.submitted = submitted;
      w.completed = completed;
      if (moved || !this.hasWork(w, backlog)) w.since = nowMs;
      else if (nowMs - w.since >= this.limitMs) stuck.push(w);
    }
    const holder = this.longHolder(nowMs);
    if (stuck.length === 0) return null;
    if (holder !== null) return holder;
    const culprit = stuck.find((w) => w.role === 'nullblk') ?? stuck.find((w) => w.role === 'iothread') ?? stuck[0]!;
    return `${workerName(culprit)} stopped making progress: ${this.describeWork(culprit, backlog)}`;
  }

  /**
   * Requests submitted to each IO thread's rings and not yet moved on, and moved to each device
   * thread's hardware queues and not yet completed.
   */
  private backlog(): Backlog {
    const t = this.topology;
    const iothread = new Array<number>(t.iothreads).fill(0);
    const nullblk = new Array<number>(t.workers.nullblk).fill(0);
    const completing = new Array<number>(t.iothreads).fill(0);
    for (const w of this.workers) {
      const { submitted, completed } = w.progress;
      if (w.role === 'vcpu') iothread[t.ringIothread[t.vcpuRing[w.index]!]!]! += submitted;
      if (w.role === 'iothread') {
        iothread[w.index]! -= submitted;
        nullblk[t.hwqDevice[w.index]!]! += submitted;
        // Its completed counter counts the completions it posted to vCPUs (iothread path only).
        if (t.completionPath === 'iothread') completing[w.index] = submitted - completed;
      }
      if (w.role === 'nullblk') nullblk[w.index]! -= completed;
    }
    // Requests at the device are the device's to answer for (it comes first as the culprit).
    completing.forEach((n, k) => (iothread[k]! += n));
    return { iothread, nullblk, completing };
  }

  private hasWork(w: Tracked, backlog: Backlog): boolean {
    const stopping = this.control.phase() >= STOP;
    if (w.role === 'vcpu') return !stopping || !this.finished(w);
    const waiting = backlog[w.role][w.index]!;
    return waiting > 0 || (stopping && this.control.allVcpusDone() && !this.finished(w));
  }

  private describeWork(w: Tracked, backlog: Backlog): string {
    if (w.role === 'iothread') {
      const completing = backlog.completing[w.index]!;
      const waiting = backlog.iothread[w.index]! - completing;
      const back = completing === 0 ? '' : `, ${count(completing, 'request')} not yet completed back to their vCPUs`;
      return `${count(waiting, 'request')} waiting in its rings${back}`;
    }
    if (w.role === 'nullblk') return `${count(backlog.nullblk[w.index]!, 'request')} in flight`;
    return `${count(w.submitted - w.completed, 'request')} in flight`;
  }

  /** Tracks the holder of each ring lock; names one that has held its lock for half the limit. */
  private longHolder(nowMs: number): string | null {
    let found: string | null = null;
    this.guards.forEach((guard, r) => {
      const holder = guard === null ? -1 : guard.holder();
      const held = this.holding[r] ?? null;
      if (holder === -1) this.holding[r] = null;
      else if (held === null || held.holder !== holder) this.holding[r] = { holder, since: nowMs };
      else if (found === null && nowMs - held.since >= this.limitMs / 2) {
        const who = this.control.workerByThreadId(holder) ?? `thread ${holder}`;
        found = `${who} holds the ${ringName(this.topology, r)} lock and stopped making progress`;
      }
    });
    return found;
  }
}
