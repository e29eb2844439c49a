/**
 * What a worker records for `--trace` (issue 29): a compact list of fixed-size records in a
 * Float64Array it allocates before the run, returned with its result and turned into a Trace
 * Event Format file by the main thread (src/report/trace-json.ts) after the run.
 *
 * Each record is TRACE_WORDS float64 words:
 *   [0] kind     a TraceKind below
 *   [1] startNs  on the run's stamp time line (src/protocol/stage-clock.ts: ns since the run's
 *                origin, the same line for every thread), fractional allowed
 *   [2] endNs    same line; equal to startNs for an instant or a counter
 *   [3..7]       the kind's own words, as each kind says
 * A thread's slices (every kind up to LAST_SLICE) nest: a record that starts inside another
 * ends inside it too, because each is recorded by the code that brackets it (a pass of work
 * brackets its lock waits, a lock wait its spins and parks).
 *
 * Time outside the trace window is never recorded: a worker turns its recorder on when the run
 * enters the window and off when the window ends (workers/support/trace-recorder.ts), and
 * records that straddle an edge are clipped by the writer.
 */

/** Float64 words per record. */
export const TRACE_WORDS = 8;

/**
 * Record kinds. Slices first (nesting on their thread), then instants, counters and samples.
 * The names each becomes in the trace file are docs/model.md's table (src/report/trace-json.ts).
 */
export const TraceKind = {
  /** vCPU: a pass that submits requests on every free tag (fio's td_io_queue + virtio_queue_rq). */
  SUBMIT: 1,
  /** vCPU: a pass that reaps completions from its used ring (virtblk_done). [3] requests reaped. */
  REAP: 2,
  /** IO thread: a pass draining its submission rings into its hardware queue (virtio_blk_handle_vq). [3] requests. */
  DRAIN: 3,
  /** IO thread: posting the device's completions to the vCPUs' used rings. [3] requests. */
  POST: 4,
  /** Device thread: a pass over its hardware queues (null_blk's queue_rq and completion). [3] requests. */
  SERVICE: 5,
  /** A wait for a ring's lock, from the first failed try to the acquisition (lock:contention_begin/_end). [3] ring. */
  LOCK_WAIT: 6,
  /** Holding a ring's lock, from the acquisition to the release. [3] ring. */
  LOCK_HELD: 7,
  /** Busy-waiting (a lock's spin phase, a spin lock's whole wait, a multi-producer ring's publication wait). */
  SPIN: 8,
  /** An adaptive poll window before parking (run_poll_handlers_begin/_end). [3] 1 when it caught work. */
  POLL: 9,
  /**
   * Parked in Atomics.wait. [3] 1 when another thread's notify ended it; [4] the flow id of that
   * wake-up (the notifier's NOTIFY record has the same), 0 when unknown.
   */
  PARK: 10,
  /**
   * An Atomics.notify that woke a parked thread. [3] the flow id; [4] what it stands for
   * (NotifyKind); [5] the woken worker's roster slot, -1 when unknown.
   */
  NOTIFY: 11,
  /** The last slice kind. */
  LAST_SLICE: 11,
  /** Instant: a busy-wait gap long enough to be a preemption (> 100 us); [1]..[2] the gap. */
  PREEMPTED: 20,
  /** Counter: [3] the vCPU, [4] its requests in flight. */
  IN_FLIGHT: 30,
  /** Counter: [3] the submission ring, [4] the requests in it. */
  RING_DEPTH: 31,
  /**
   * A sampled request's path, recorded by the vCPU that reaped it: [1] when its submission
   * started, [2] when it was reaped, [3] its IO thread (= hardware queue), [4] T_POP, [5] T_DEV,
   * [6] T_DONE, [7] T_POST (stamp words made whole again on the run's time line).
   */
  REQUEST: 40,
} as const;
export type TraceKindValue = (typeof TraceKind)[keyof typeof TraceKind];

/** What a NOTIFY stands for, by who rang whom (docs/model.md, notification). */
export const NotifyKind = {
  /** vCPU to IO thread: virtio_queue_notify. */
  KICK: 1,
  /** IO thread (or device, with direct) to vCPU: virtio_notify. */
  INTERRUPT: 2,
  /** Device to IO thread: the completion notice (block_rq_complete). */
  NOTICE: 3,
  /** IO thread to device: the device doorbell (block_rq_issue). */
  DOORBELL: 4,
  /** A lock's release waking a parked waiter. */
  LOCK: 5,
  /** Anything else (the main thread's phase changes are not traced). */
  OTHER: 6,
} as const;

/** One worker's recording, as it returns it. */
export interface ThreadTrace {
  /** Records in use (each TRACE_WORDS words of `records`). */
  count: number;
  /** The records; only the first count * TRACE_WORDS words are meaningful. */
  records: Float64Array;
  /** Whether the buffer filled before the window ended (records after that were dropped). */
  truncated: boolean;
  /** Every Nth request reaped is sampled as a REQUEST (vCPUs only; 0 elsewhere). */
  sampleEvery: number;
}
