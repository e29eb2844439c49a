/**
 * Queue topology: the one thing in which the two modes differ.
 *
 *   sq  every vCPU -> one shared submission ring (one lock) -> IO thread 0
 *   mq  vCPU i -> ring i (its own lock) -> IO thread i mod N
 *       (round-robin, like QEMU 9's iothread-vq-mapping)
 *
 * IO thread k feeds hardware queue k of the null-block device, and hardware
 * queue k is served by device thread k mod D (one thread per queue by
 * default, as null_blk has a context per submit queue). Completions go back
 * the way the requests came (--completion-path iothread, the default): the
 * device thread pushes each into completion queue k, IO thread k's, and IO
 * thread k posts it to the submitting vCPU's own completion (used) ring; with
 * --completion-path direct the device thread posts it to the vCPU itself.
 * Every vCPU's requests take one path (ring, IO thread, hardware queue, device
 * thread), so each completion ring and completion queue has one producer.
 * Rings are sized to hold every request that can be in flight through them,
 * so a push never finds a ring full.
 */
import type { LockKindName } from '../sync/lock-base.js';
import type { CompletionPath, LockKind, LockSides, Mode } from './options.js';
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
  /** Capacity of each hardware queue (IO thread k -> hardware queue k). */
  hwqCapacity: number[];
  /** Device thread that serves each hardware queue. */
  hwqDevice: number[];
  /** Hardware queues each device thread serves. */
  deviceHwqs: number[][];
  /** vCPUs whose requests each device thread serves (it writes their buffers with --memory-backed). */
  deviceVcpus: number[][];
  /** vCPUs whose submission rings each IO thread drains. */
  iothreadVcpus: number[][];
  /** Who posts completions to the vCPUs: each IO thread for its vCPUs, or each device thread for its own. */
  completionPath: CompletionPath;
  /** Capacity of each vCPU's used ring. */
  usedRingCapacity: number;
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

/** `items` 0..count-1 grouped by `owner(item)`, for `owners` owners. */
function groupByOwner(count: number, owners: number, owner: (item: number) => number): number[][] {
  const groups = Array.from({ length: owners }, (): number[] => []);
  for (let item = 0; item < count; item++) groups[owner(item)]!.push(item);
  return groups;
}

/**
 * The topology of a run.
 * @param iothreads IO threads wanted in mq (at most one per ring); sq has one
 * @param deviceThreads device threads wanted (at most one per hardware queue); undefined = one per queue
 */
export function buildTopology(
  mode: Mode,
  jobs: number,
  iodepth: number,
  iothreads: number,
  deviceThreads?: number,
  completionPath: CompletionPath = 'iothread',
): Topology {
  const rings = mode === 'sq' ? 1 : jobs;
  const threads = mode === 'sq' ? 1 : Math.min(iothreads, rings);
  const devices = Math.min(deviceThreads ?? threads, threads);
  const vcpuRing = Array.from({ length: jobs }, (_, i) => (mode === 'sq' ? 0 : i));
  const ringIothread = Array.from({ length: rings }, (_, r) => r % threads);
  const iothreadRings = groupByOwner(rings, threads, (r) => ringIothread[r]!);
  const vcpusPerRing = jobs / rings;
  const hwqCapacity = iothreadRings.map((rs) => nextPow2(rs.length * vcpusPerRing * iodepth));
  const hwqDevice = Array.from({ length: threads }, (_, k) => k % devices);
  // Hardware queue k is IO thread k's, so a vCPU's device thread follows from its ring.
  const vcpuDevice = (v: number): number => hwqDevice[ringIothread[vcpuRing[v]!]!]!;
  return {
    mode,
    jobs,
    iothreads: threads,
    workers: { vcpu: jobs, iothread: threads, nullblk: devices },
    vcpuRing,
    iothreadRings,
    ringIothread,
    ringCapacity: nextPow2(vcpusPerRing * iodepth),
    hwqCapacity,
    hwqDevice,
    deviceHwqs: groupByOwner(threads, devices, (k) => hwqDevice[k]!),
    deviceVcpus: groupByOwner(jobs, devices, vcpuDevice),
    iothreadVcpus: groupByOwner(jobs, threads, (v) => ringIothread[vcpuRing[v]!]!),
    completionPath,
    usedRingCapacity: nextPow2(iodepth),
  };
}

/** Name of a submission ring's lock in reports. */
export function ringName(topology: Topology, ring: number): string {
  return topology.mode === 'sq' ? 'shared ring' : `ring ${ring}`;
}

/** The guard a lock kind gives the submission rings (null: lock-free). */
export function ringGuard(lock: LockKind): LockKindName | null {
  return lock === 'none' ? null : lock;
}

/**
 * The shape of a run's submission rings beyond their size, the one place it is decided:
 *   - with a lock kind, the ring's guard; with --lock-sides submit+reap its one consumer, the IO
 *     thread, pops without it (guardPops false);
 *   - with --lock none, a lock-free ring: single-producer in mq (a ring per vCPU), and in sq,
 *     whose one ring has a producer per vCPU, the MultiProducerRing of ring/multi-producer-ring.ts
 *     (DPDK rte_ring's MP enqueue: reserve with a compare-and-swap, publish in order).
 */
export function submissionRingShape(
  mode: Mode,
  lock: LockKind,
  lockSides: LockSides,
  spinThreshold: number,
): {
  guard: LockKindName | null;
  guardPops?: boolean;
  producers?: 'multi';
  guardOptions?: { spinThreshold: number };
} {
  const guard = ringGuard(lock);
  // The pv lock's spin count before it parks (Linux's SPIN_THRESHOLD); no other kind takes one here.
  const options = guard === 'pv' ? { guardOptions: { spinThreshold } } : {};
  if (guard !== null) {
    return lockSides === 'submit+reap' ? { guard, guardPops: false, ...options } : { guard, ...options };
  }
  return mode === 'sq' ? { guard, producers: 'multi' } : { guard };
}
