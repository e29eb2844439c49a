/**
 * What the main thread hands each worker (a piscina task) and what it gets
 * back. Everything here is structured-cloneable: shared memory travels as
 * handles, results as plain numbers plus latency histograms (a LatencyHistogram
 * arrives as its data: the bins, a Float64Array, and its totals).
 */
import type { LatencyHistogramData } from './latency-histogram.js';
import type { RingHandle } from '../ring/ring.js';
import type { RunControlHandle } from './run-control.js';
import type { Failpoint } from './failpoint.js';
import type { Batching } from './options.js';

/** Settings every worker of a run shares. */
export interface CommonTask {
  control: RunControlHandle;
  /** Ceiling of the adaptive polling window (--poll-max-ns). */
  pollMaxNs: number;
  /** Longest single park, ms: every wait is bounded so a stop is always noticed. */
  parkMs: number;
  /** Longest wait at the start barrier, ms. */
  barrierMs: number;
  /**
   * The CPUs this worker runs on for the run (sorted): its pinned set under --pin, else every CPU
   * the process may use. null where the main thread cannot tell (not Linux): left as it is.
   */
  cpus: number[] | null;
  /** This worker's failpoint (VBLK_FAILPOINTS), if it has one. */
  failpoint?: Failpoint;
}

export interface VcpuTask extends CommonTask {
  index: number;
  iodepth: number;
  /** fio's submission and completion batching (the IO thread's field is not used here). */
  batching: Batching;
  /** CPU time each request costs before it enters the ring (--guest-ns), ns. */
  guestNs: number;
  bs: number;
  /** Device size in blocks of bs. */
  blocks: number;
  seed: number;
  submission: RingHandle;
  completion: RingHandle;
  /** IO thread whose doorbell this vCPU kicks. */
  iothread: number;
  /** With --memory-backed: this vCPU's buffers, iodepth * bs bytes, one per tag. */
  data: SharedArrayBuffer | null;
}

export interface VcpuResult {
  index: number;
  submitted: number;
  completed: number;
  /** pushBatch calls on the submission ring: the vCPU's acquisitions of the ring's lock. */
  pushes: number;
  /**
   * Latencies of the requests reaped in the measured window, ns: slat (submission start to in
   * the ring), clat (in the ring to reaped), lat (both), as fio splits them.
   */
  slat: LatencyHistogramData;
  clat: LatencyHistogramData;
  lat: LatencyHistogramData;
  /** Their exact sums, integer ns, and how many requests: slatNs + clatNs = latNs. */
  latencyTotals: { requests: number; slatNs: number; clatNs: number; latNs: number };
  /** Completions that matched no request in flight ("vcpu/seq" ids, first few). */
  unexpected: string[];
  unexpectedCount: number;
  /** Requests still in flight when the vCPU gave up ("vcpu/seq"). */
  lost: string[];
  /** --memory-backed: buffers checked, and those whose pattern was wrong. */
  verified: number;
  corrupt: number;
}

export interface IothreadTask extends CommonTask {
  index: number;
  rings: RingHandle[];
  hwq: RingHandle;
  /** Device thread that serves its hardware queue: whose doorbell it rings. */
  device: number;
  /** Requests popped per lock acquisition (--iothread-batch). */
  popBatch: number;
  /** CPU time each request costs after its pop (--iothread-ns), ns. */
  iothreadNs: number;
}

export interface IothreadResult {
  index: number;
  moved: number;
  /** popBatch calls on the submission rings: the IO thread's acquisitions of their locks. */
  pops: number;
}

export interface NullblkTask extends CommonTask {
  /** Which device thread this is. */
  index: number;
  /** The hardware queues it serves, and their indices. */
  hwqs: RingHandle[];
  hwqIndexes: number[];
  /** The vCPUs whose requests come through those queues, and their completion rings. */
  vcpus: number[];
  completions: RingHandle[];
  completionNs: number;
  /** --memory-backed: those vCPUs' buffers, or null. */
  data: (SharedArrayBuffer | null)[];
  bs: number;
  iodepth: number;
}

export interface NullblkResult {
  index: number;
  /** The hardware queues it served. */
  hwqs: number[];
  completed: number;
}

/**
 * What a worker returns instead of its result when it ended because the run
 * was aborted (a lock poisoned under it, or a failpoint that waited for the
 * abort): the failure that caused the abort is reported elsewhere.
 */
export interface Aborted {
  aborted: true;
}

/** Whether a worker's result is {@link Aborted}. */
export function isAborted(result: unknown): result is Aborted {
  return typeof result === 'object' && result !== null && (result as Partial<Aborted>).aborted === true;
}
