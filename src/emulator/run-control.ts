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
 *   line 0              PHASE, ARRIVED, VCPUS_DONE
 *   line 1+k            doorbell of IO thread k (vCPUs kick it)
 *   line 1+iothreads    doorbell of the device (IO threads ring it)
 *   then one line per worker (vCPUs, IO threads, device), float64 words:
 *     [0] requests submitted (vCPU) / moved (IO thread) / completed (device)
 *     [1] requests completed (vCPU)
 *     [2] the worker's Node threadId, so that a lock's holder can be named
 * A counter is written by its worker alone, with a plain store after each
 * batch, and read by the main thread for IOPS and progress; a read that races
 * a write returns the old or the new value, both of which are fine there.
 */
import { CACHE_LINE } from '../sync/region.js';
import { threadId } from 'node:worker_threads';
import { Doorbell } from '../sync/doorbell.js';

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

export interface RunControlHandle {
  buffer: SharedArrayBuffer;
  jobs: number;
  iothreads: number;
}

/** Index of a worker's counter line. */
export type WorkerRole = 'vcpu' | 'iothread' | 'nullblk';

export class RunControl {
  readonly handle: RunControlHandle;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  /** A new control block for `jobs` vCPUs and `iothreads` IO threads. */
  static create(jobs: number, iothreads: number): RunControl {
    const lines = 2 + iothreads + jobs + iothreads + 1;
    return new RunControl({ buffer: new SharedArrayBuffer(lines * CACHE_LINE), jobs, iothreads });
  }

  /** A view of an existing block (in a worker). */
  constructor(handle: RunControlHandle) {
    this.handle = handle;
    this.i32 = new Int32Array(handle.buffer);
    const counterLine = 2 + handle.iothreads;
    this.f64 = new Float64Array(handle.buffer, counterLine * CACHE_LINE);
  }

  get jobs(): number {
    return this.handle.jobs;
  }

  phase(): number {
    return Atomics.load(this.i32, PHASE);
  }

  /** Moves to `phase` and wakes every thread that may be parked, so that it notices. */
  setPhase(phase: number): void {
    Atomics.store(this.i32, PHASE, phase);
    Atomics.notify(this.i32, PHASE);
    for (let k = 0; k < this.handle.iothreads; k++) this.iothreadBell(k).ring();
    this.deviceBell().ring();
  }

  /** Ends the run early: every worker returns as soon as it can. Safe from any thread. */
  abort(): void {
    this.setPhase(ABORT);
  }

  /**
   * Worker side of the start barrier: record the worker's thread id, count
   * in, then wait (bounded) for the main thread to start the run.
   */
  arriveAndWait(role: WorkerRole, index: number, timeoutMs: number): void {
    this.f64[this.line(role, index) + 2] = threadId;
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

  arrived(): number {
    return Atomics.load(this.i32, ARRIVED);
  }

  /** A vCPU has reaped everything it submitted and will submit no more. */
  vcpuDone(): void {
    Atomics.add(this.i32, VCPUS_DONE, 1);
    for (let k = 0; k < this.handle.iothreads; k++) this.iothreadBell(k).ring();
    this.deviceBell().ring();
  }

  allVcpusDone(): boolean {
    return Atomics.load(this.i32, VCPUS_DONE) === this.handle.jobs;
  }

  iothreadBell(k: number): Doorbell {
    return new Doorbell(this.i32, (1 + k) * LINE_WORDS);
  }

  deviceBell(): Doorbell {
    return new Doorbell(this.i32, (1 + this.handle.iothreads) * LINE_WORDS);
  }

  /** Float64 index of counter `word` of a worker. */
  private line(role: WorkerRole, index: number): number {
    const n = role === 'vcpu' ? index : role === 'iothread' ? this.handle.jobs + index : this.handle.jobs + this.handle.iothreads;
    return n * LINE_F64;
  }

  /** Publishes a worker's counters (its own line only). */
  setCounters(role: WorkerRole, index: number, first: number, second = 0): void {
    const at = this.line(role, index);
    this.f64[at] = first;
    this.f64[at + 1] = second;
  }

  /** The worker of this run whose Node threadId is `id`, e.g. "vcpu 1", or undefined. */
  workerByThreadId(id: number): string | undefined {
    const { jobs, iothreads } = this.handle;
    const roles: [WorkerRole, number][] = [
      ...Array.from({ length: jobs }, (_, v): [WorkerRole, number] => ['vcpu', v]),
      ...Array.from({ length: iothreads }, (_, k): [WorkerRole, number] => ['iothread', k]),
      ['nullblk', 0],
    ];
    const found = roles.find(([role, index]) => this.f64[this.line(role, index) + 2] === id && id !== 0);
    return found === undefined ? undefined : `${found[0]} ${found[1]}`;
  }

  /** Reads counter 0 (submitted/moved/completed) and 1 (vCPU completed) of a worker. */
  counters(role: WorkerRole, index: number): [number, number] {
    const at = this.line(role, index);
    return [this.f64[at]!, this.f64[at + 1]!];
  }
}
