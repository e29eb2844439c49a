/**
 * McsLock: an MCS queue lock in the shape of Linux's native queued spinlock: FIFO, each waiter
 * spinning on a word of its own node, then parking.
 *
 * What it stands for: the guest kernel's spinlock on bare metal, or in a KVM guest whose
 * vCPUs are pinned (kernel/locking/qspinlock.c, queued_spin_lock_slowpath; the MCS lock of
 * J. M. Mellor-Crummey and M. L. Scott, "Algorithms for Scalable Synchronization on Shared-Memory
 * Multiprocessors", ACM TOCS 9(1), 1991). queue-lock.ts has the algorithm: the lock word (LOCKED,
 * SLEEPING, TAIL), the nodes (OWNER, WAIT, NEXT, STATE), how a waiter claims a node and what it
 * does when all are taken, how timed and async waits fit in (untimed async waiters queue in FIFO
 * order: the lock waits for its head, even one whose event loop is busy), and what recover()
 * undoes for a dead thread (its queue place is skipped).
 *
 * Where it departs from qspinlock: a native qspinlock waiter spins until it gets the lock. Here
 * no waiter but a SpinLock's may busy-wait without bound, so each spin phase (on the node's WAIT
 * word, then, as the head, on the lock word) is bounded by the adaptive budget of the kinds that
 * park (spin-budget.ts: doubled when a spin ends the wait, halved when it does not), after which
 * the waiter parks on its node as PvLock's waiters do. qspinlock's pending bit (one waiter that
 * spins on the lock word before any node is used) is left out: the second waiter queues at once.
 */
import { openExisting, type ExistingRegion, type Region } from './region.js';
import { LockBase, type LockHandle } from './lock-base.js';
import { QUEUE_LOCK_BYTES, QueueLock } from './queue-lock.js';
import {
  adaptSpinBudget,
  configureSpin,
  currentSpinBudget,
  spinUntil,
  type SpinOptions,
} from './spin-budget.js';

const MAGIC_MCS = 0x4d435351; // "MCSQ"

/** Options of a new McsLock: where it lives, and its spin budget before parking. */
export interface McsLockOptions extends Partial<Region>, SpinOptions {}

/** A FIFO MCS queue lock (Linux's qspinlock) whose waiters spin on their own node, then park. */
export class McsLock extends QueueLock {
  /** Bytes an McsLock needs in a SharedArrayBuffer. */
  static readonly BYTES = QUEUE_LOCK_BYTES;
  readonly kind = 'mcs' as const;

  /**
   * Creates a lock in `options` (buffer, byteOffset), or in a buffer of its own. byteOffset must
   * be a multiple of 8. (An {@link ExistingRegion} opens a view instead: that is what
   * {@link McsLock.from} passes.)
   */
  constructor(options?: McsLockOptions | ExistingRegion) {
    super('McsLock', 'mcs-lock', MAGIC_MCS, options);
    if (this.created) configureSpin('McsLock', this.i32, options as McsLockOptions | undefined);
  }

  /** A view of the McsLock described by `handle`, e.g. in another worker. */
  static from(handle: LockHandle): McsLock {
    const h = LockBase.checkedHandle('McsLock', handle, 'mcs-lock');
    return new McsLock(openExisting(h));
  }

  protected spinPhase(ready: () => boolean): number {
    const spun = spinUntil(ready, currentSpinBudget(this.i32));
    adaptSpinBudget(this.i32, spun > 0);
    return spun;
  }
}
