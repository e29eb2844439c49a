/**
 * The result file written by `npm run bench -- --json FILE` and read by `npm run compare`.
 * `schema` changes whenever a field changes meaning.
 */
import type { RatioInterval } from './confidence.js';
import type { Batching, CompletionPath, LockKind, LockSides, Mode, RoleWork } from '../protocol/options.js';
import type { WorkerRole } from '../protocol/roster.js';
import type { BellWakeups } from '../protocol/tasks.js';
import type { LockStats } from '../sync/lock-stats.js';
import type { LatencyFigures } from './latency.js';
import type { StageName } from '../protocol/stages.js';
import type { WaitFigures } from '../sync/wait-account.js';

export type { LatencyFigures } from './latency.js';

/**
 * 2: fio's per-request submission by default, a device thread per hardware queue, `settings`,
 * per-thread CPU figures (`threads`), per-job submissions and pushes.
 * 3: latencies in fio's histogram bins: percentiles are bin values as fio computes them, stddev
 * is fio's (over n - 1), each LatencyFigures has `bins`; `latDistribution` is gone (fio-json.ts
 * makes it from clatNs' bins, as fio makes it from clat).
 */
export const RESULT_SCHEMA = 3;

/**
 * What a run's figures depend on besides its point (mode, lock, cpus, jobs, iodepth) and the
 * machine: runs are comparable only when these are equal, so compare checks them.
 */
export interface RunSettings {
  bs: number;
  batching: Batching;
  /** --device-threads as given; null = one per hardware queue. */
  deviceThreads: number | null;
  work: RoleWork;
  completionNs: number;
  pollMaxNs: number;
  memoryBacked: boolean;
  /** --completion-path: who posts completions to the vCPUs. */
  completionPath: CompletionPath;
  /** --lock-sides: which sides take a submission ring's lock. */
  lockSides: LockSides;
  /** --spin-threshold: the pv lock's spin count before it parks. */
  spinThreshold: number;
  /** --breakdown: whether stage stamps and per-thread accounting were on. */
  breakdown: boolean;
  /** --pin as given: none, split, or the CPU sets. */
  pin: string;
}

/** One stage of the requests reaped in the measured window (src/protocol/stages.ts), ns. */
export interface StageFigures {
  name: StageName;
  /** The exact mean: the stage's sum over the requests, divided by their count. */
  meanNs: number;
  p50Ns: number;
  p99Ns: number;
}

/**
 * What one worker thread did over the measured window, as the thread itself saw the window
 * (workers/support/thread-window.ts): its CPU time from Linux /proc schedstat, its wait account,
 * its requests and signals, all between the same two moments.
 */
export interface ThreadFigures {
  role: WorkerRole;
  index: number;
  /** Its Linux thread id. */
  tid: number;
  /** Its window, ns: within microseconds of the run's for a running thread (see thread-window.ts). */
  windowNs: number;
  /** Requests it handled in the window: reaped (vCPU), moved (IO thread), completed (device). */
  requests: number;
  /** Time on a CPU, ns. */
  cpuNs: number;
  /** Time runnable but kept waiting for a CPU, ns: preemption. */
  runqueueNs: number;
  /** Timeslices run. */
  slices: number;
  /** The CPUs it was allowed to run on (`0-1`), read back from /proc at the end of the window. */
  cpus: string;
  /**
   * Its slow paths over the window (src/sync/wait-account.ts): spinning on locks, polling,
   * notifying, parks and wake-ups; null with --breakdown off.
   */
  waits: WaitFigures | null;
  /**
   * Wake-ups its doorbell delivered over the window, by the role that rang it: kicks (from
   * vCPUs, on an IO thread's bell), interrupts (from an IO thread, or a device thread with
   * --completion-path direct, on a vCPU's bell), completion notices (from a device thread, on an
   * IO thread's bell) and device doorbells (from IO threads). Each bell counts its own
   * (run-control.ts); files made before bells counted have `signals` instead.
   */
  woken?: BellWakeups;
  /**
   * Files made before bells counted their wake-ups (no `woken`): the notifications this thread
   * sent that woke a parked thread downstream, as the sender counted them.
   */
  signals?: number;
  /** Completions it posted to vCPUs' used rings over the whole run (ramp and drain included). */
  completions: number;
}

/**
 * What handing work between two threads costs on the machine (src/main-thread/calibrate.ts):
 * one wake-up through Atomics.wait/notify, half a round trip, us, and a spin handoff. null
 * where it could not be measured (no pinning, one CPU).
 */
export interface WakeupCosts {
  sameCoreUs: number | null;
  crossCoreUs: number | null;
  unpinnedUs: number | null;
  spinHandoffUs: number | null;
}

/**
 * lock_stat-style figures of one submission ring's lock over the measured
 * window: the lock's own statistics (lock-stats.ts), less `timeouts` (the
 * emulator never gives up a wait), with the ring's name.
 */
export interface LockFigures extends Omit<LockStats, 'timeouts'> {
  /** e.g. `shared ring` or `ring 3`. */
  name: string;
}


export interface RunResult {
  mode: Mode;
  jobs: number;
  iodepth: number;
  iothreads: number;
  lock: LockKind;
  /** Cores the run was allowed to use. */
  cpus: number;
  /** Device threads the run had. */
  deviceThreads: number;
  settings: RunSettings;
  /** Measured window in ms. */
  runtimeMs: number;
  iops: number;
  bwBytesPerSec: number;
  /** Per job IOPS, index = vCPU. */
  jobIops: number[];
  /** Jain's fairness index over jobIops: 1 = perfectly fair, 1/jobs = one job got everything. */
  fairness: number;
  /**
   * Latencies of the requests reaped in the window, ns, as fio splits them: slat from the start
   * of a request's submission (before the guest's work and the ring's lock) until it is in the
   * ring; clat from then until the vCPU reaps it; lat, both (fio's lat = slat + clat). The lock
   * wait of a submission lands in slat.
   */
  slatNs: LatencyFigures;
  clatNs: LatencyFigures;
  latNs: LatencyFigures;
  /** The exact sums behind them, in integer ns: slatNs + clatNs = latNs, request by request. */
  latencyTotals: LatencyTotals;
  /**
   * lat split into the stages a request goes through (stages.ts), over the same requests: the
   * stage means add up to latencyTotals.latNs / latencyTotals.requests. null with --breakdown off.
   */
  stages: StageFigures[] | null;
  locks: LockFigures[];
  /** Requests submitted and completed over the whole run, ramp included; equal, or the run failed. */
  submitted: number;
  completed: number;
  /** Per job (vCPU), over the whole run: requests submitted, and pushes (acquisitions of its ring's lock). */
  jobSubmitted: number[];
  jobPushes: number[];
  /** Each worker thread's figures over the measured window; null where /proc cannot tell. */
  threads: ThreadFigures[] | null;
  /** Process CPU time over the measured window (process.resourceUsage), µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
  /**
   * Consistency figures over the whole run (ramp and drain included):
   * pushBatch calls by vCPUs plus popBatch calls by IO threads on the
   * submission rings, and the acquisitions their guards counted. With a
   * guard the two are equal, since every such call takes the lock once.
   */
  ringCalls: number;
  lockAcquisitionsWholeRun: number;
  /**
   * The ring calls by side, over the whole run: pushes by vCPUs (submit), pops by IO threads
   * under the lock (pop, with --lock-sides submit+pop), reaping passes under the lock (reap,
   * with submit+reap). With a lock each is one acquisition; they add up to ringCalls.
   */
  lockCallsBySide: { submit: number; pop: number; reap: number };
  /** With --repeat N: how many runs this median stands for. */
  repeats: number;
  /**
   * IOPS over the measured window in slices of `msec` ms, as fio's iops log (write_iops_log
   * with log_avg_msec, 100 ms here): each slice's requests reaped by the vCPUs over its own
   * length as the main thread's timer saw it; the last slice may be shorter. Absent in files
   * made before it.
   */
  iopsLog?: { msec: number; iops: number[] };
  /** With --repeat N > 1: every run of the point, in the order they ran (the median is one of them). */
  samples?: RunResult[];
}

/** Sums over the requests a run's latency figures describe. */
interface LatencyTotals {
  requests: number;
  slatNs: number;
  clatNs: number;
  latNs: number;
}

export interface MachineInfo {
  cpus: number;
  availableParallelism: number;
  cpuModel: string;
  node: string;
  platform: string;
  /** The wake-up calibration taken before the sweep; absent where none was taken. */
  wakeup?: WakeupCosts | null;
  /** The kernel release (os.release()) and the memory, bytes. */
  kernel?: string;
  memoryBytes?: number;
  /** The code that made the result: the package version, and `git describe --dirty` in a clone. */
  version?: string;
  gitDescribe?: string | null;
}

/** One step of --explain (src/report/explain.ts), as the result file's `explain` keeps it. */
export interface ExplainStep extends RatioInterval {
  lock: string;
  cpus: number;
  jobs: number;
  iodepth: number;
  /**
   * What the step changes: `a queue per vCPU`, `more IO threads`, `mq/sq` (both), or, beside the
   * chain, `one queue without its lock` (`counterfactual`).
   */
  step: string;
  /** The designs it goes from and to, as `sq spin`, `sq none`, `mq spin iothreads=1`. */
  from: string;
  to: string;
  /** The ratio's range over every pairing of the two designs' runs, worst to best. */
  min: number;
  max: number;
  /** True for `sq none`: what removing the lock alone does to one queue; not a factor of mq/sq. */
  counterfactual?: true;
}

/** One mq/sq ratio, as the JSON's `ratios` holds it. */
export interface ModeRatio extends RatioInterval {
  lock: string;
  cpus: number;
  jobs: number;
  iodepth: number;
  /** Median IOPS of each mode's runs. */
  sqIops: number;
  mqIops: number;
  /** The ratio's range from its worst pairing of runs (slowest mq, fastest sq) to its best. */
  min: number;
  max: number;
}

/**
 * Where a point's spread comes from (issue 27): between its runs, as the coefficient of
 * variation (standard deviation over mean) of their IOPS, and within them, as the mean over its
 * runs of the coefficient of variation of each run's iops log slices (fio's log_avg_msec; the
 * last slice, cut short by the end of the window, left out). A point whose runs each hold steady
 * but settle at different levels spreads between runs; one whose IOPS swing from slice to slice
 * spreads within them. NaN where there is nothing to measure (one run; runs without a log).
 */
export interface PointSpread {
  mode: string;
  lock: string;
  cpus: number;
  jobs: number;
  iodepth: number;
  runs: number;
  betweenRunsCv: number;
  withinRunCv: number;
}

/** The "why" under --explain's steps, generated from the run's own accounting (src/report/explain.ts). */
export interface ExplainWhy {
  lock: string;
  cpus: number;
  jobs: number;
  iodepth: number;
  /** At most four sentences, each printed only when its figures support it. */
  lines: string[];
  /** Every number the lines print, unformatted, by name (each derived from the runs' own fields). */
  figures: Record<string, number>;
}

export interface ResultFile {
  /** Absent from files made before result files carried a kind (src/report/result-file.ts). */
  kind?: 'bench';
  schema: typeof RESULT_SCHEMA;
  machine: MachineInfo;
  options: Record<string, unknown>;
  runs: RunResult[];
  /**
   * The runs in the order they ran (`sq spin jobs=2 repeat 1`): interleaved, sq and mq of a
   * point side by side and every point once before any point twice, so that a machine whose
   * load drifts weighs on both sides of every ratio.
   */
  order?: string[];
  /**
   * With --explain: each lock kind's steps from sq to mq (the lock, the queue per vCPU, more IO
   * threads, and their product mq/sq), with their ratio ranges (src/report/explain.ts).
   */
  explain?: ExplainStep[];
  /** With --explain: why, in at most four lines per lock kind, from the runs' accounting. */
  explainWhy?: ExplainWhy[];
  /**
   * Every mq/sq ratio, one per lock, cpus, jobs and iodepth that ran in both modes, with its
   * confidence interval and verdict (src/report/ratios.ts); absent in files made before it.
   */
  ratios?: ModeRatio[];
  /** Each point's spread between its runs and within them (src/report/spread.ts pointSpreads). */
  spread?: PointSpread[];
  /** With --repeat auto: the rounds it ran, and the ratios whose interval stayed wider than ±10%. */
  rounds?: { ran: number; auto: boolean; wide: string[] };
  /** Present and true when a signal stopped the sweep early. */
  interrupted?: boolean;
  /** Present when a run failed: the sweep stopped there and `runs` holds the points before it. */
  error?: string;
}
