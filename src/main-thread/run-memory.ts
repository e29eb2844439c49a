/**
 * The shared memory of one run, allocated by the main thread before any
 * worker starts: the control block, the submission rings (guarded by the
 * run's lock kind, or not with --lock none), one hardware queue per IO
 * thread and, with --completion-path iothread, its completion queue back
 * from the device, one completion (used) ring per vCPU, and with
 * --memory-backed each vCPU's data buffers. Workers get handles to these in
 * their tasks.
 */
import { Ring } from '../ring/ring.js';
import { GuardedRing } from '../ring/guarded-ring.js';
import { createRing, type AnyRing } from '../ring/create-ring.js';
import type { Lock } from '../sync/lock-base.js';
import { DESC_WORDS } from '../protocol/descriptor.js';
import { RunControl } from '../protocol/run-control.js';
import { submissionRingShape, type Topology } from '../protocol/topology.js';
import type { PointSpec } from './point-spec.js';

export interface RunMemory {
  control: RunControl;
  /** Submission rings, indexed as the topology's rings: one kind or another (topology.ts submissionRingShape). */
  rings: AnyRing[];
  /** Each submission ring's lock, or null for a lock-free ring (--lock none). */
  guards: (Lock | null)[];
  /** Hardware queue of each IO thread. */
  hwqs: Ring[];
  /** Completion queue of each hardware queue, back from the device to its IO thread; empty with direct. */
  completionQueues: Ring[];
  /** Used ring of each vCPU: its completions. */
  usedRings: Ring[];
  /** --memory-backed: each vCPU's buffers (iodepth * bs bytes), else null. */
  data: (SharedArrayBuffer | null)[];
}

export function allocateRunMemory(spec: PointSpec, topology: Topology): RunMemory {
  const initialIndex = spec.initialIndex ?? 0;
  // Every other ring has one producer and one consumer: a Ring.
  const make = (capacity: number): Ring => new Ring({ capacity, slotWords: DESC_WORDS, initialIndex });
  const submission = submissionRingShape(spec.mode, spec.lock, spec.lockSides, spec.spinThreshold);
  const rings = topology.ringIothread.map(() =>
    createRing({ capacity: topology.ringCapacity, slotWords: DESC_WORDS, initialIndex, ...submission }),
  );
  return {
    control: RunControl.create(topology.workers),
    rings,
    guards: rings.map((ring) => (ring instanceof GuardedRing ? ring.guard : null)),
    hwqs: topology.hwqCapacity.map((c) => make(c)),
    completionQueues: topology.completionPath === 'iothread' ? topology.hwqCapacity.map((c) => make(c)) : [],
    usedRings: Array.from({ length: topology.jobs }, () => make(topology.usedRingCapacity)),
    data: Array.from({ length: topology.jobs }, () =>
      spec.memoryBacked ? new SharedArrayBuffer(spec.iodepth * spec.bs) : null,
    ),
  };
}
