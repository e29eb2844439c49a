/**
 * --explain: the designs that take one queue under one lock, step by step, to a queue per vCPU
 * with several IO threads, so that each step's share of mq/sq can be measured apart. For each
 * lock kind L given:
 *   sq L             one shared ring under lock L, one IO thread (the paper's QEMU 2.1)
 *   sq none          the same ring without its lock: the lock-free multi-producer ring
 *                    (ring/multi-producer-ring.ts, DPDK rte_ring's MP enqueue); one for every L
 *   mq L, 1 thread   a ring per vCPU, each under its own lock L, drained by one IO thread:
 *                    QEMU since 5.2 gives a virtio-blk-pci device one queue per vCPU by default
 *                    (num-queues: virtio_blk_pci_realize in hw/virtio/virtio-blk-pci.c calls
 *                    virtio_pci_optimal_num_queues), and a device given an iothread= property
 *                    serves all of them from that one IOThread
 *   mq L             the same with the IO threads mq has (--iothreads, default one per vCPU
 *                    up to the cores)
 * The steps from one to the next (src/report/explain.ts) multiply to mq/sq. Every design runs at
 * the one job count given, interleaved with the others in each round of --repeat (sweep.ts).
 */
import type { LockKind, Mode } from '../protocol/options.js';
import type { PointSpec } from './point-spec.js';

/** Makes one point: mode, lock, jobs, and the IO threads when not mq's default. */
type PointMaker = (mode: Mode, lock: LockKind, jobs: number, iothreads?: number) => PointSpec;

/** The designs --explain runs for `locks` at `jobs`, in report order; the lock-free one once. */
export function explainDesigns(locks: readonly LockKind[], jobs: number, point: PointMaker): PointSpec[] {
  const designs: PointSpec[] = [point('sq', 'none', jobs)];
  for (const lock of locks) {
    const many = point('mq', lock, jobs);
    designs.push(point('sq', lock, jobs), point('mq', lock, jobs, 1));
    // With one IO thread by default (one job, or one core) the last step has nothing to add.
    if (many.iothreads !== 1) designs.push(many);
  }
  return designs;
}
