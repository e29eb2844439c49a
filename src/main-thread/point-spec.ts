/**
 * The settings of one run of the emulator: one point of a sweep (mode, lock
 * kind, job count, iodepth) with everything else the run needs.
 */
import type { Batching, CompletionPath, LockKind, LockSides, Mode, PinPolicy, RoleWork } from '../protocol/options.js';
import type { Failpoint } from '../protocol/failpoint.js';
import { buildTopology, type Topology } from '../protocol/topology.js';
import { rosterSize } from '../protocol/roster.js';

export interface PointSpec {
  mode: Mode;
  lock: LockKind;
  jobs: number;
  iodepth: number;
  /** fio's and QEMU's batching (options.ts); DEFAULT_BATCHING is fio's. */
  batching: Batching;
  iothreads: number;
  /** Device threads wanted; undefined = one per hardware queue. */
  deviceThreads: number | undefined;
  /** Per-request CPU work in the vCPU and the IO thread. */
  work: RoleWork;
  /** Where the worker threads run (--pin). */
  pin: PinPolicy;
  bs: number;
  sizeBytes: number;
  seed: number;
  completionNs: number;
  memoryBacked: boolean;
  pollMaxNs: number;
  /** Who posts completions to the vCPUs (--completion-path). */
  completionPath: CompletionPath;
  /** Which sides take a submission ring's lock (--lock-sides). */
  lockSides: LockSides;
  /** The pv lock's SPIN_THRESHOLD (--spin-threshold). */
  spinThreshold: number;
  /** Stage stamps and per-thread accounting (--breakdown). */
  breakdown: boolean;
  rampMs: number;
  runtimeMs: number;
  /** Cores the run may use (recorded in the result). */
  cpus: number;
  /** Where ring indices start (tests start them near 2^32 to cross the wrap). */
  initialIndex?: number;
  /** How long a worker with work may go without progress before the run fails (--watchdog); default 10 s. */
  watchdogMs?: number;
  /** Faults to inject (VBLK_FAILPOINTS); each worker gets its own, if any. */
  failpoints?: readonly Failpoint[];
}

/** What the topology of a run depends on. */
type TopologySpec = Pick<PointSpec, 'mode' | 'jobs' | 'iothreads' | 'iodepth' | 'deviceThreads' | 'completionPath'>;

/** The topology of a run of `spec`. */
export function topologyOf(spec: TopologySpec): Topology {
  return buildTopology(spec.mode, spec.jobs, spec.iodepth, spec.iothreads, spec.deviceThreads, spec.completionPath);
}

/** Threads a run of `spec` needs in the pool: one per worker of its roster. */
export function threadsFor(spec: TopologySpec): number {
  return rosterSize(topologyOf(spec).workers);
}
