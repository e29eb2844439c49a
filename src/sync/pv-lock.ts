/**
 * PvLock: Linux's paravirtual queued spinlock, what a KVM guest runs by default: FIFO, each
 * queued waiter spinning SPIN_THRESHOLD times on its own node, then halting until kicked.
 *
 * What it stands for: kernel/locking/qspinlock_paravirt.h. A queued vCPU spins SPIN_THRESHOLD
 * (1 << 15, arch/x86/include/asm/spinlock.h: "How long a lock should spin before we consider
 * blocking") iterations on its node
 * (pv_wait_node), stopping early when the vCPU of the node before it is not running
 * (pv_wait_early, looked at every PV_PREV_CHECK_MASK + 1 = 256 iterations); then it stores
 * vcpu_halted in its node's state and halts (pv_wait, a hypercall) unless the lock came its way
 * meanwhile. The vCPU that hands it the queue's head kicks it only when its state still says
 * halted (pv_kick_node's cmpxchg of vcpu_halted). The head likewise spins SPIN_THRESHOLD times on
 * the lock word, then halts until the unlocker kicks it (pv_wait_head_or_lock,
 * __pv_queued_spin_unlock_slowpath).
 *
 * Here a halt is Atomics.wait on the node's STATE word and a kick is Atomics.notify after the
 * compare-and-swap of STATE from HALTED to RUNNING; the queue itself (lock word, nodes, claiming
 * a node, timed and async waits) is queue-lock.ts's. Linux's one attempt to steal the lock on
 * entry to the slow path (pv_queued_spin_steal_lock) is the waiter's one attempt to take a free
 * lock that nobody queues for before it queues, and Linux's hash table of halted heads (pv_hash)
 * is QUEUE_HEAD, a word in the lock itself.
 */
import { openExisting, type ExistingRegion, type Region } from './region.js';
import { LockBase, type LockHandle } from './lock-base.js';
import { QUEUE_LOCK_BYTES, QueueLock } from './queue-lock.js';
import { checkSpinOption, configureSpin, currentSpinBudget, spinUntil } from './spin-budget.js';

const MAGIC_PV = 0x5056514c; // "PVQL"

/** Linux's SPIN_THRESHOLD: how many times a queued vCPU spins before it halts. */
export const SPIN_THRESHOLD = 1 << 15;

/**
 * Options of a new PvLock: where it lives, and Linux's SPIN_THRESHOLD, its own name for how long a
 * queued waiter spins (not `spin`, which is a spin budget for the other kinds).
 */
export interface PvLockOptions extends Partial<Region> {
  /** Iterations a queued waiter spins before it parks (default SPIN_THRESHOLD = 1 << 15); 0 parks at once. */
  spinThreshold?: number;
}

/** Linux's paravirtual queued spinlock: FIFO; waiters spin SPIN_THRESHOLD times, then park until kicked. */
export class PvLock extends QueueLock {
  /** Bytes a PvLock needs in a SharedArrayBuffer. */
  static readonly BYTES = QUEUE_LOCK_BYTES;
  /** Linux's SPIN_THRESHOLD, the default spin. */
  static readonly SPIN_THRESHOLD = SPIN_THRESHOLD;
  readonly kind = 'pv' as const;

  /**
   * Creates a lock in `options` (buffer, byteOffset), or in a buffer of its own. byteOffset must
   * be a multiple of 8. (An {@link ExistingRegion} opens a view instead: that is what
   * {@link PvLock.from} passes.)
   */
  constructor(options?: PvLockOptions | ExistingRegion) {
    super('PvLock', 'pv-lock', MAGIC_PV, options);
    if (this.created) {
      const threshold = (options as PvLockOptions | undefined)?.spinThreshold;
      checkSpinOption('PvLock', 'spinThreshold', threshold);
      configureSpin('PvLock', this.i32, threshold === undefined ? undefined : { spin: threshold }, SPIN_THRESHOLD);
    }
  }

  /** A view of the PvLock described by `handle`, e.g. in another worker. */
  static from(handle: LockHandle): PvLock {
    const h = LockBase.checkedHandle('PvLock', handle, 'pv-lock');
    return new PvLock(openExisting(h));
  }

  protected spinPhase(ready: () => boolean, prev: number): number {
    const waitEarly = prev < 0 ? undefined : (): boolean => !this.nodeRunning(prev);
    return spinUntil(ready, currentSpinBudget(this.i32), waitEarly);
  }
}
