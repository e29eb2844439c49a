/**
 * The control block of one run: its phase, the start barrier, the doorbells
 * of the IO threads and the device, and each worker's progress counters.
 * The main thread and every worker hold a view of the same block.
 *
 * Phases (PHASE word; only the main thread moves it forward, except ABORT):
 *   INIT     workers arrive at the start barrier
 *   RAMP     I/O runs, figures are not kept (--ramp)
 *   MEASURE  I/O runs, figures are kept (--runtime)
 *   STOP     vCPUs submit nothing new and reap what is in flight; the IO
 *            threads and the device finish once every vCPU is done
 *   ABORT    something failed: every worker returns as soon as it can
 *
 * Memory: Int32 words, then float64 counters, each thing on its own line:
 *   line 0                      PHASE, ARRIVED, VCPUS_DONE
 *   line 1+k                    doorbell of IO thread k (vCPUs kick it)
 *   line 1+iothreads+d          doorbell of device thread d (IO threads ring it)
 *   then one line per worker, in roster order (roster.ts), float64 words:
 *     [0] submitted   requests passed downstream: pushed to the submission
 *                     ring (vCPU), to the hardware queue (IO thread)
 *     [1] completed   requests finished: reaped (vCPU), completed (device)
 *     [2] threadId    the worker's Node threadId, so that a lock's holder can be named
 *     [3] tid         its Linux thread id (linux-thread.ts), 0 where unknown
 * A counter is written by its worker alone, with a plain store after each
 * batch, and read by the main thread for IOPS, progress and the watchdog; a
 * read that races a write returns the old or the new value, both of which
 * are fine there.
 */
import { threadId } from 'node:worker_threads';
import { CACHE_LINE } from '../sync/region.js';
import { Doorbell } from '../sync/doorbell.js';
import { currentLinuxTid } from './linux-thread.js';
import { roster, rosterSize, rosterSlot, workerName, type RoleCounts, type WorkerRole } from './roster.js';

export const INIT = 0;
export const RAMP = 1;
export const MEASURE = 2;
export const STOP = 3;
export const ABORT = 4;

const PHASE = 0;
const ARRIVED = 1;
const VCPUS_DONE = 2;
const LINE_WORDS = CACHE_LINE / 4;
const LINE_F64 = CACHE_LINE / 8;
const SUBMITTED = 0;
const COMPLETED = 1;
const THREAD_ID = 2;
const TID = 3;

/** Structured-cloneable: what a worker needs to open the block. */
export interface RunControlHandle {
  buffer: SharedArrayBuffer;
  workers: RoleCounts;
}

/** One worker's counters line; see the file comment for what each counter means per role. */
export class WorkerProgress {
  constructor(
    private readonly f64: Float64Array,
    private readonly at: number,
  ) {}

  get submitted(): number {
    return this.f64[this.at + SUBMITTED]!;
  }

  set submitted(n: number) {
    this.f64[this.at + SUBMITTED] = n;
  }

  get completed(): number {
    return this.f64[this.at + COMPLETED]!;
  }

  set completed(n: number) {
    this.f64[this.at + COMPLETED] = n;
  }

  /** The worker's Node threadId, once it has arrived at the start barrier; 0 before. */
  get threadId(): number {
    return this.f64[this.at + THREAD_ID]!;
  }

  set threadId(id: number) {
    this.f64[this.at + THREAD_ID] = id;
  }

  /** The worker's Linux thread id, once it has arrived; 0 before, or where unknown. */
  get tid(): number {
    return this.f64[this.at + TID]!;
  }

  set tid(tid: number) {
    this.f64[this.at + TID] = tid;
  }
}

export class RunControl {
  readonly handle: RunControlHandle;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  /** A new control block for a run with these workers. */
  static create(workers: RoleCounts): RunControl {
    const lines = 1 + workers.iothread + workers.nullblk + rosterSize(workers);
    return new RunControl({ buffer: new SharedArrayBuffer(lines * CACHE_LINE), workers: { ...workers } });
  }

  /** A view of an existing block (in a worker). */
  constructor(handle: RunControlHandle) {
    this.handle = handle;
    this.i32 = new Int32Array(handle.buffer);
    const counterLine = 1 + handle.workers.iothread + handle.workers.nullblk;
    this.f64 = new Float64Array(handle.buffer, counterLine * CACHE_LINE);
  }

  phase(): number {
    return Atomics.load(this.i32, PHASE);
  }

  /** Moves to `phase` and wakes every thread that may be parked, so that it notices. */
  setPhase(phase: number): void {
    Atomics.store(this.i32, PHASE, phase);
    Atomics.notify(this.i32, PHASE);
    this.ringEveryBell();
  }

  /** Ends the run early: every worker returns as soon as it can. Safe from any thread. */
  abort(): void {
    this.setPhase(ABORT);
  }

  /**
   * Worker side of the start barrier: record the worker's thread ids, count
   * in, then wait (bounded) for the main thread to start the run.
   */
  arriveAndWait(role: WorkerRole, index: number, timeoutMs: number): void {
    const progress = this.progress(role, index);
    progress.threadId = threadId;
    progress.tid = currentLinuxTid();
    Atomics.add(this.i32, ARRIVED, 1);
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(this.i32, PHASE) === INIT) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`the run did not start within ${timeoutMs} ms of this worker's arrival`);
      Atomics.wait(this.i32, PHASE, INIT, Math.min(left, 100));
    }
  }

  /**
   * Parks until the phase is no longer `seen` or `timeoutMs` passes
   * (setPhase notifies the phase word). Callers loop on it with a bounded
   * timeout, as on every wait of a run.
   */
  waitForPhaseChange(seen: number, timeoutMs: number): void {
    Atomics.wait(this.i32, PHASE, seen, timeoutMs);
  }

  /** Workers that have arrived at the start barrier. */
  arrived(): number {
    return Atomics.load(this.i32, ARRIVED);
  }

  /** A vCPU has reaped everything it submitted and will submit no more. */
  vcpuDone(): void {
    Atomics.add(this.i32, VCPUS_DONE, 1);
    this.ringEveryBell();
  }

  allVcpusDone(): boolean {
    return Atomics.load(this.i32, VCPUS_DONE) === this.handle.workers.vcpu;
  }

  /** The doorbell IO thread `k` parks on. */
  iothreadBell(k: number): Doorbell {
    return new Doorbell(this.i32, (1 + k) * LINE_WORDS);
  }

  /** The doorbell device thread `d` parks on. */
  deviceBell(d: number): Doorbell {
    return new Doorbell(this.i32, (1 + this.handle.workers.iothread + d) * LINE_WORDS);
  }

  /** The counters of one worker. */
  progress(role: WorkerRole, index: number): WorkerProgress {
    return new WorkerProgress(this.f64, rosterSlot(this.handle.workers, role, index) * LINE_F64);
  }

  /** The worker of this run whose Node threadId is `id`, e.g. "vcpu 1", or undefined. */
  workerByThreadId(id: number): string | undefined {
    if (id === 0) return undefined; // the main thread, or a worker that has not arrived
    const found = roster(this.handle.workers).find((w) => this.progress(w.role, w.index).threadId === id);
    return found === undefined ? undefined : workerName(found);
  }

  /** Wakes every IO thread and device thread that may be parked. */
  private ringEveryBell(): void {
    for (let k = 0; k < this.handle.workers.iothread; k++) this.iothreadBell(k).ring();
    for (let d = 0; d < this.handle.workers.nullblk; d++) this.deviceBell(d).ring();
  }
}
