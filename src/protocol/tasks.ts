/**
 * What the main thread hands each worker (a piscina task) and what it gets
 * back. Everything here is structured-cloneable: shared memory travels as
 * handles, results as plain numbers plus latency histograms (a LatencyHistogram
 * arrives as its data: the bins, a Float64Array, and its totals).
 */
import type { ThreadTrace } from './trace-record.js';
import type { LatencyHistogramData } from './latency-histogram.js';
import type { RingHandle } from '../ring/ring-core.js';
import type { RunControlHandle } from './run-control.js';
import type { Failpoint } from './failpoint.js';
import type { RoleSettings, WorkerSettings } from './settings-table.js';
import type { StageName } from './stages.js';
import type { WaitFigures } from '../sync/wait-account.js';

/**
 * The stages of a vCPU's measured requests (stages.ts): each stage's exact sum, in integer ns
 * (so that the stage sums add up to the latency sum), and its distribution: fio's bins with their
 * count and sum (a stage's min, max and sum of squares are not kept).
 */
export interface StageRecord {
  requests: number;
  totalNs: Record<StageName, number>;
  histograms: Record<StageName, LatencyHistogramData>;
}

/**
 * What every worker of a run gets: the settings every role reads (settings-table.ts: --poll-max-ns,
 * --breakdown), and the run's own.
 */
export interface CommonTask extends WorkerSettings {
  control: RunControlHandle;
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
  /** With --breakdown on, stamps go into the descriptors on the run's time line, which starts here (stage-clock.ts). */
  stageOriginHrNs: bigint;
  /** With --trace (or --trace-svg), what to record and for how long; else null. */
  trace: TraceSettings | null;
}

/** What a worker records for --trace (trace-record.ts): its window and buffer. */
export interface TraceSettings {
  /** The window's length, ns, from RunControl.traceFrom(). */
  windowNs: number;
  /** Records its buffer holds (allocated before the run). */
  capacity: number;
  /** A vCPU samples every Nth request it reaps as a REQUEST record. */
  sampleEvery: number;
}

/**
 * A vCPU's task. Its settings (settings-table.ts): --iodepth, --bs, --seed, fio's batching
 * (--iodepth-batch, -complete-min, -complete-max), --guest-ns, and --lock-sides: with submit+reap
 * and a lock on its submission ring, it takes that lock once per reaping pass, as Linux's
 * virtblk_done takes the virtqueue lock once per interrupt.
 */
export interface VcpuTask extends CommonTask, RoleSettings<'vcpu'> {
  index: number;
  /** Device size in blocks of bs. */
  blocks: number;
  /** The submission ring it pushes to: a GuardedRing, or lock-free (create-ring.ts). */
  submission: RingHandle;
  /** That ring's index in the run (topology.ts), for the trace. */
  ring: number;
  /** Its used ring: the completions posted to it (by its IO thread, or its device thread with direct). */
  usedRing: RingHandle<'ring'>;
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
  /** Reaping passes that took the submission ring's lock (--lock-sides submit+reap). */
  reapLocks: number;
  /** The stages of the requests reaped in the measured window (stages.ts), with --breakdown on. */
  stages: StageRecord | null;
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
  /** Its thread over the measured window; null when the run never measured or /proc is hidden. */
  window: ThreadWindow | null;
  /** Its --trace recording, or null. */
  trace: ThreadTrace | null;
}

/** An IO thread's task. Its settings (settings-table.ts): --iothread-batch, --iothread-ns. */
export interface IothreadTask extends CommonTask, RoleSettings<'iothread'> {
  index: number;
  rings: RingHandle[];
  /** Those rings' indices in the run (topology.ts), for the trace. */
  ringIndexes: number[];
  hwq: RingHandle<'ring'>;
  /**
   * --completion-path iothread: the completion queue its device thread hands completions back
   * through, and the vCPUs (run indices) of its rings with their used (completion) rings.
   * null/empty with --completion-path direct.
   */
  completionQueue: RingHandle<'ring'> | null;
  vcpus: number[];
  usedRings: RingHandle<'ring'>[];
  /** Device thread that serves its hardware queue: whose doorbell it rings. */
  device: number;
}

export interface IothreadResult {
  index: number;
  moved: number;
  /** popBatch calls on the submission rings: the IO thread's acquisitions of their locks (submit+pop). */
  pops: number;
  /** Completions it posted to vCPUs' used rings (--completion-path iothread). */
  completions: number;
  /** Its thread over the measured window; null when the run never measured or /proc is hidden. */
  window: ThreadWindow | null;
  /** Its --trace recording, or null. */
  trace: ThreadTrace | null;
}

/**
 * A device thread's task. Its settings (settings-table.ts): --completion-ns, --completion-path,
 * --bs, --iodepth.
 */
export interface NullblkTask extends CommonTask, RoleSettings<'nullblk'> {
  /** Which device thread this is. */
  index: number;
  /** The hardware queues it serves, and their indices. */
  hwqs: RingHandle<'ring'>[];
  hwqIndexes: number[];
  /** The vCPUs whose requests come through those queues. */
  vcpus: number[];
  /**
   * Where its completions go: the used (completion) ring of each of `vcpus` (--completion-path
   * direct), or the completion queue of each of its hardware queues, in `hwqs` order (iothread),
   * with the IO thread whose doorbell to ring for each.
   */
  usedRings: RingHandle<'ring'>[];
  completionQueues: RingHandle<'ring'>[];
  completionIothreads: number[];
  /** --memory-backed: those vCPUs' buffers, or null. */
  data: (SharedArrayBuffer | null)[];
}

export interface NullblkResult {
  index: number;
  /** The hardware queues it served. */
  hwqs: number[];
  completed: number;
  /** Completions it posted to vCPUs' used rings itself (--completion-path direct). */
  completions: number;
  /** Its thread over the measured window; null when the run never measured or /proc is hidden. */
  window: ThreadWindow | null;
  /** Its --trace recording, or null. */
  trace: ThreadTrace | null;
}

/**
 * What one worker's thread did over the measured window as it saw it (workers/support/
 * thread-window.ts): its CPU time from its own /proc schedstat, its wait account, the requests
 * it handled (reaped, moved to the device, completed) and the notifications it sent that woke a
 * parked thread (kicks, interrupts, completion notices), all between the same two moments.
 */
/** Wake-ups of one thread's doorbell, by the role that rang it (kicks come from vCPUs, and so on). */
export interface BellWakeups {
  vcpu: number;
  iothread: number;
  nullblk: number;
}

export interface ThreadWindow {
  /** Its Linux thread id. */
  tid: number;
  windowNs: number;
  requests: number;
  cpuNs: number;
  runqueueNs: number;
  slices: number;
  waits: WaitFigures;
  /** Wake-ups its doorbell delivered over the window, by the ringer's role (run-control.ts). */
  woken: BellWakeups;
  /** The CPUs it was allowed to run on, read at the end (`0-1`), or `?`. */
  cpus: string;
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
