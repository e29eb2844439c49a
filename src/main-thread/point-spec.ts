/**
 * The settings of one run of the emulator: one point of a sweep (mode, lock
 * kind, job count, IO threads) with everything else the run needs.
 */
import type { LockKind, Mode } from '../protocol/options.js';
import type { PointSettings } from '../protocol/settings-table.js';
import type { Failpoint } from '../protocol/failpoint.js';
import type { TraceSettings } from '../protocol/tasks.js';
import { buildTopology, type Topology } from '../protocol/topology.js';
import { rosterSize } from '../protocol/roster.js';

/** A point: what a sweep varies, and the options' settings (settings-table.ts) as they are. */
export type PointSpec = PointSettings & {
  mode: Mode;
  lock: LockKind;
  jobs: number;
  /** IO threads in mq mode, resolved: --iothreads, else defaultIothreads (topology.ts). */
  iothreads: number;
  /** Cores the run may use (recorded in the result). */
  cpus: number;
  /** Where ring indices start (tests start them near 2^32 to cross the wrap). */
  initialIndex?: number;
  /** How long a worker with work may go without progress before the run fails (--watchdog); default 10 s. */
  watchdogMs?: number;
  /** Faults to inject (VBLK_FAILPOINTS); each worker gets its own, if any. */
  failpoints?: readonly Failpoint[];
  /** --trace: record this run's trace window (the sweep sets it on the first round of a point). */
  trace?: TraceSettings;
};

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
