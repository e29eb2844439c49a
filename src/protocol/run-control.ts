/**
 * The control block of one run: its phase, the start barrier, every worker's
 * doorbell, and each worker's progress counters.
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
 * Memory: Int32 words, then each worker's progress block, each thing on its own line:
 *   line 0                      PHASE, ARRIVED, VCPUS_DONE (Int32), and from byte 16 TRACE_FROM
 *                               (float64): where --trace's window starts on the run's stamp
 *                               time line, written before the phase moves to MEASURE
 *   one line per worker         its doorbell, in roster order (roster.ts): the one bell the
 *                               worker parks on, whatever it waits for (the notification rule
 *                               of docs/model.md): a vCPU's is its interrupt line (its IO thread,
 *                               or with --completion-path direct its device thread, rings it
 *                               after posting completions); an IO thread's is rung by its
 *                               vCPUs' kicks and, with the completion path through it, by its
 *                               device thread's completion notices; a device thread's by its IO
 *                               threads. Each bell counts the wake-ups it delivered by the
 *                               ringer's role (BELL_SOURCE), and those counts are the run's
 *                               kicks, interrupts and notices.
 *   then one line per worker, in roster order: word 0 (Int32) is the block's
 *   sequence number, then float64 words from byte 8:
 *     submitted   requests passed downstream: pushed to the submission ring (vCPU), to the
 *                 hardware queue (IO thread)
 *     completed   requests finished: reaped (vCPU), completed (device), posted to a vCPU's used
 *                 ring (IO thread, with the completion path through it)
 *     threadId    the worker's Node threadId, so that a lock's holder can be named
 *     tid         its Linux thread id (linux-thread.ts), 0 where unknown
 *
 * Each block has one writer, its worker, and is read by the main thread (IOPS, progress, the
 * watchdog, the measured window's edges) while the worker runs. float64 words written with
 * plain stores could be read torn, so each block is a seqlock: the writer makes the sequence
 * odd (Atomics.add), writes, and makes it even again; a reader reads the sequence, the words,
 * and the sequence again, and retries when the two differ or are odd (src/sync/seqlock.ts: a
 * preempted writer is waited for, never read half-written). Every Atomics operation is
 * sequentially consistent, so a read that saw the same even sequence on both sides saw no write
 * in between. A worker publishes after each batch it moves: two Atomics.add and two
 * stores. (What each worker did over the measured window, CPU time and wait account included,
 * it measures itself and returns with its result: workers/support/thread-window.ts.)
 */
import { threadId } from 'node:worker_threads';
import { CACHE_LINE } from '../sync/region.js';
import { Doorbell } from '../sync/doorbell.js';
import { readConsistent } from '../sync/seqlock.js';
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
/** Float64 word of line 0 holding the trace window's start (byte 16). */
const TRACE_FROM = 2;
const LINE_WORDS = CACHE_LINE / 4;
/** The source under which each role (and the main thread) rings a bell: Doorbell.ring(source). */
export const BELL_SOURCE = { vcpu: 0, iothread: 1, nullblk: 2, main: 3 } as const satisfies Record<
  WorkerRole | 'main',
  number
>;
/** Lines of each worker's progress block. */
const PROGRESS_LINES = 1;
const PROGRESS_F64 = (PROGRESS_LINES * CACHE_LINE) / 8;
/** Float64 word of each field in a progress block (word 0 holds the Int32 sequence). */
const SUBMITTED = 1;
const COMPLETED = 2;
const THREAD_ID = 3;
const TID = 4;

/** Structured-cloneable: what a worker needs to open the block. */
export interface RunControlHandle {
  buffer: SharedArrayBuffer;
  workers: RoleCounts;
}

/** One consistent reading of a worker's progress block. */
export interface ProgressReading {
  submitted: number;
  completed: number;
  threadId: number;
  tid: number;
}

/**
 * One worker's progress block: written by its worker (publish, or the setters), read by the
 * main thread (read, or the getters); see the file comment for the fields and the seqlock.
 */
export class WorkerProgress {
  private readonly seqIndex: number;

  constructor(
    private readonly i32: Int32Array,
    private readonly f64: Float64Array,
    private readonly at: number,
  ) {
    this.seqIndex = at * 2;
  }

  /** Worker side: the counters after a batch. */
  publish(submitted: number, completed: number): void {
    const f = this.f64;
    const at = this.at;
    Atomics.add(this.i32, this.seqIndex, 1);
    f[at + SUBMITTED] = submitted;
    f[at + COMPLETED] = completed;
    Atomics.add(this.i32, this.seqIndex, 1);
  }

  /** Reader side: every field, from one consistent moment of the writer. */
  read(): ProgressReading {
    const f = this.f64;
    const at = this.at;
    return readConsistent(
      this.i32,
      this.seqIndex,
      (): ProgressReading => ({
        submitted: f[at + SUBMITTED]!,
        completed: f[at + COMPLETED]!,
        threadId: f[at + THREAD_ID]!,
        tid: f[at + TID]!,
      }),
      "a worker's progress block",
    );
  }

  /** Writes one field under the seqlock (the setters: the start barrier, and tests). */
  private write(word: number, value: number): void {
    Atomics.add(this.i32, this.seqIndex, 1);
    this.f64[this.at + word] = value;
    Atomics.add(this.i32, this.seqIndex, 1);
  }

  get submitted(): number {
    return this.read().submitted;
  }

  set submitted(n: number) {
    this.write(SUBMITTED, n);
  }

  get completed(): number {
    return this.read().completed;
  }

  set completed(n: number) {
    this.write(COMPLETED, n);
  }

  /** The worker's Node threadId, once it has arrived at the start barrier; 0 before. */
  get threadId(): number {
    return this.read().threadId;
  }

  set threadId(id: number) {
    this.write(THREAD_ID, id);
  }

  /** The worker's Linux thread id, once it has arrived; 0 before, or where unknown. */
  get tid(): number {
    return this.read().tid;
  }

  set tid(tid: number) {
    this.write(TID, tid);
  }
}

export class RunControl {
  readonly handle: RunControlHandle;
  private readonly i32: Int32Array;
  /** The progress blocks, as Int32 (their sequence words) and float64 (their fields) views. */
  private readonly progressI32: Int32Array;
  private readonly progressF64: Float64Array;

  /** A new control block for a run with these workers. */
  static create(workers: RoleCounts): RunControl {
    const lines = 1 + (1 + PROGRESS_LINES) * rosterSize(workers);
    return new RunControl({ buffer: new SharedArrayBuffer(lines * CACHE_LINE), workers: { ...workers } });
  }

  /** A view of an existing block (in a worker). */
  constructor(handle: RunControlHandle) {
    this.handle = handle;
    this.i32 = new Int32Array(handle.buffer);
    const firstBlock = (1 + rosterSize(handle.workers)) * CACHE_LINE;
    this.progressI32 = new Int32Array(handle.buffer, firstBlock);
    this.progressF64 = new Float64Array(handle.buffer, firstBlock);
  }

  phase(): number {
    return Atomics.load(this.i32, PHASE);
  }

  /**
   * Main thread: where the trace window starts, ns on the run's stamp time line; call before
   * setPhase(MEASURE), whose Atomics.store publishes it to the workers that see MEASURE.
   */
  setTraceFrom(ns: number): void {
    new Float64Array(this.handle.buffer, 0, TRACE_FROM + 1)[TRACE_FROM] = ns;
  }

  /** Worker side: where the trace window starts (setTraceFrom), once the phase is MEASURE. */
  traceFrom(): number {
    return new Float64Array(this.handle.buffer, 0, TRACE_FROM + 1)[TRACE_FROM]!;
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

  /** The doorbell worker `index` of `role` parks on, and its producers ring. */
  bell(role: WorkerRole, index: number): Doorbell {
    return new Doorbell(this.i32, (1 + rosterSlot(this.handle.workers, role, index)) * LINE_WORDS);
  }

  /** The counters of one worker. */
  progress(role: WorkerRole, index: number): WorkerProgress {
    const at = rosterSlot(this.handle.workers, role, index) * PROGRESS_F64;
    return new WorkerProgress(this.progressI32, this.progressF64, at);
  }

  /** The worker of this run whose Node threadId is `id`, e.g. "vcpu 1", or undefined. */
  workerByThreadId(id: number): string | undefined {
    if (id === 0) return undefined; // the main thread, or a worker that has not arrived
    const found = roster(this.handle.workers).find((w) => this.progress(w.role, w.index).threadId === id);
    return found === undefined ? undefined : workerName(found);
  }

  /**
   * Wakes every IO thread and device thread that may be parked, so that it looks at the phase. A
   * vCPU's wait is for completions only, bounded by --park-ms, and it looks at the phase after it.
   */
  private ringEveryBell(): void {
    for (let k = 0; k < this.handle.workers.iothread; k++) this.bell('iothread', k).ring(BELL_SOURCE.main);
    for (let d = 0; d < this.handle.workers.nullblk; d++) this.bell('nullblk', d).ring(BELL_SOURCE.main);
  }
}
