/**
 * The result file written by `npm run bench -- --json FILE` and read by `npm run compare`.
 * `schema` changes whenever a field changes meaning.
 */
import type { LockKind, Mode } from '../protocol/options.js';
import type { LockStats } from '../sync/lock-stats.js';

export const RESULT_SCHEMA = 1;

/**
 * lock_stat-style figures of one submission ring's lock over the measured
 * window: the lock's own statistics (lock-stats.ts), less `timeouts` (the
 * emulator never gives up a wait), with the ring's name.
 */
export interface LockFigures extends Omit<LockStats, 'timeouts'> {
  /** e.g. `shared ring` or `ring 3`. */
  name: string;
}

export interface LatencyFigures {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface RunResult {
  mode: Mode;
  jobs: number;
  iodepth: number;
  iothreads: number;
  lock: LockKind;
  /** Cores the run was allowed to use. */
  cpus: number;
  bs: number;
  /** Measured window in ms. */
  runtimeMs: number;
  iops: number;
  bwBytesPerSec: number;
  /** Per job IOPS, index = vCPU. */
  jobIops: number[];
  /** Jain's fairness index over jobIops: 1 = perfectly fair, 1/jobs = one job got everything. */
  fairness: number;
  /** Completion latency (fio clat), submit to reap, ns. */
  latNs: LatencyFigures;
  locks: LockFigures[];
  /** Requests submitted and completed over the whole run, ramp included; equal, or the run failed. */
  submitted: number;
  completed: number;
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
  /** With --repeat N: how many runs this median stands for. */
  repeats: number;
}

export interface MachineInfo {
  cpus: number;
  availableParallelism: number;
  cpuModel: string;
  node: string;
  platform: string;
}

export interface ResultFile {
  schema: typeof RESULT_SCHEMA;
  machine: MachineInfo;
  options: Record<string, unknown>;
  runs: RunResult[];
  /** Present and true when a signal stopped the sweep early. */
  interrupted?: boolean;
  /** Present when a run failed: the sweep stopped there and `runs` holds the points before it. */
  error?: string;
}
