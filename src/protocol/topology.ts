/**
 * Queue topology: the one thing in which the two modes differ.
 *
 *   sq  every vCPU -> one shared submission ring (one lock) -> IO thread 0
 *   mq  vCPU i -> ring i (its own lock) -> IO thread i mod N
 *       (round-robin, like QEMU 9's iothread-vq-mapping)
 *
 * IO thread k feeds hardware queue k of the null-block device; the device
 * posts each completion to the submitting vCPU's own completion ring. Rings
 * are sized to hold every request that can be in flight through them, so a
 * push never finds a ring full.
 */
import type { LockKindName } from '../sync/lock-base.js';
import type { LockKind, Mode } from './options.js';
import type { RoleCounts } from './roster.js';

export interface Topology {
  mode: Mode;
  jobs: number;
  iothreads: number;
  /** The run's workers by role (vCPUs, IO threads, device threads): see roster.ts. */
  workers: RoleCounts;
  /** Submission ring of each vCPU. */
  vcpuRing: number[];
  /** Submission rings drained by each IO thread. */
  iothreadRings: number[][];
  /** IO thread that drains each ring. */
  ringIothread: number[];
  /** Capacity of each submission ring. */
  ringCapacity: number;
  /** Capacity of each hardware queue (IO thread k -> device). */
  hwqCapacity: number[];
  /** Capacity of each vCPU's completion ring. */
  completionCapacity: number;
}

/** Smallest power of two >= n. */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** IO threads mq uses by default: one per vCPU, capped at the cores available. */
export function defaultIothreads(jobs: number, cores: number): number {
  return Math.max(1, Math.min(jobs, cores));
}

export function buildTopology(mode: Mode, jobs: number, iodepth: number, iothreads: number): Topology {
  const rings = mode === 'sq' ? 1 : jobs;
  const threads = mode === 'sq' ? 1 : Math.min(iothreads, rings);
  const vcpuRing = Array.from({ length: jobs }, (_, i) => (mode === 'sq' ? 0 : i));
  const ringIothread = Array.from({ length: rings }, (_, r) => r % threads);
  const iothreadRings = Array.from({ length: threads }, (_, k) => ringIothread.flatMap((t, r) => (t === k ? [r] : [])));
  const vcpusPerRing = jobs / rings;
  const hwqCapacity = iothreadRings.map((rs) => nextPow2(rs.length * vcpusPerRing * iodepth));
  return {
    mode,
    jobs,
    iothreads: threads,
    workers: { vcpu: jobs, iothread: threads, nullblk: 1 },
    vcpuRing,
    iothreadRings,
    ringIothread,
    ringCapacity: nextPow2(vcpusPerRing * iodepth),
    hwqCapacity,
    completionCapacity: nextPow2(iodepth),
  };
}

/** Name of a submission ring's lock in reports. */
export function ringName(topology: Topology, ring: number): string {
  return topology.mode === 'sq' ? 'shared ring' : `ring ${ring}`;
}

/**
 * Whether a run of `mode` can use `lock`: a ring without a lock is
 * single-producer, and sq's shared ring has a producer per vCPU, so sq never
 * runs with `--lock none`. The one place this rule is decided.
 */
export function lockFitsMode(mode: Mode, lock: LockKind): boolean {
  return !(mode === 'sq' && lock === 'none');
}

/** The guard a lock kind gives the submission rings (null: lock-free). */
export function ringGuard(lock: LockKind): LockKindName | null {
  return lock === 'none' ? null : lock;
}
