/**
 * SpinLock: test-and-test-and-set with exponential backoff; never parks.
 *
 * The shape of QEMU's `QemuSpin` (include/qemu/thread.h), which is what the
 * paper's shared virtqueue lock stands for: a waiter reads the lock word until
 * it looks free ("test"), then tries a compare-and-swap ("test-and-set"); when
 * another thread won that race it backs off for a doubling number of reads
 * (Anderson, "The Performance of Spin Lock Alternatives for Shared-Memory
 * Multiprocessors", IEEE TPDS 1990) before trying again.
 *
 * It is deliberately pure: it never sleeps. With more threads than cores a
 * waiter spins through whole time slices while the holder sits preempted,
 * which is exactly the lock-holder preemption the bench exposes. Prefer
 * AdaptiveLock in code of your own.
 *
 * In a guest, it is what a KVM guest without paravirtual spinlocks runs: Linux's virt_spin_lock
 * (arch/x86/include/asm/qspinlock.h) replaces the fair queued spinlock on a hypervisor without
 * PARAVIRT_SPINLOCKS support by a test-and-set loop, "because fair locks have horrible lock
 * 'holder' preemption issues" (there without backoff).
 *
 * lockAsync() is the one exception to "never sleeps", since it may run on the main thread,
 * which must not spin: after a poll of a few microseconds it sleeps with Atomics.waitAsync
 * in slices that double from ASYNC_BACKOFF_MIN_MS to ASYNC_BACKOFF_MAX_MS, looking at the
 * lock word between them. Nobody notifies it (a release costs one store, as always), so an
 * async waiter may see the lock come free up to one slice late.
 *
 * Mixed waiters: nobody is handed the lock; whoever looks first after a release takes it, so an
 * async waiter whose event loop is busy holds up nobody. Dead threads: a waiter holds nothing (no
 * count, no place); recover() releases a lock whose holder word names the dead thread.
 *
 * Lock word (STATE, see lock-base.ts): 0 = free, 1 = held.
 */
import { openExisting, type ExistingRegion, type Region } from './region.js';
import { deadlineNs, nowNs } from './clock.js';
import { countSpinNs, traceSpin } from './wait-account.js';
import type { ParkLoop } from './park.js';
import { BASE_BYTES, CasLock, HOLDER, LockBase, STATE, type LockHandle } from './lock-base.js';
import { HOLDER_ID, NO_HOLDER } from './thread-id.js';

const MAGIC_SPIN = 0x5350494e; // "SPIN"
/** Longest backoff, in reads of the lock word. */
const MAX_BACKOFF = 1024;
/** Reads of the lock word between two looks at the clock and the poison word. */
const CLOCK_EVERY = 256;
/** First and longest sleep of an async waiter between two looks at the lock word, ms. */
const ASYNC_BACKOFF_MIN_MS = 0.05;
const ASYNC_BACKOFF_MAX_MS = 1;

/** A test-and-test-and-set spin lock with exponential backoff that never sleeps (except in lockAsync). */
export class SpinLock extends CasLock {
  /** Bytes a SpinLock needs in a SharedArrayBuffer. */
  static readonly BYTES = BASE_BYTES;
  readonly kind = 'spin' as const;

  /**
   * Creates a lock in `region`, or in a buffer of its own when omitted.
   * byteOffset must be a multiple of 8. (An {@link ExistingRegion} opens a
   * view instead: that is what {@link SpinLock.from} passes.)
   */
  constructor(region?: Partial<Region> | ExistingRegion) {
    super('SpinLock', 'spin-lock', MAGIC_SPIN, SpinLock.BYTES, region);
  }

  /** A view of the SpinLock described by `handle`, e.g. in another worker. */
  static from(handle: LockHandle): SpinLock {
    const h = LockBase.checkedHandle('SpinLock', handle, 'spin-lock');
    return new SpinLock(openExisting(h));
  }

  protected lockSlow(timeoutMs: number): boolean {
    const i32 = this.i32;
    const start = nowNs();
    const deadline = deadlineNs(start, timeoutMs);
    let spins = 0;
    let backoff = 1;
    let sinceClock = 0;
    // The clock is read every CLOCK_EVERY reads, for the timeout and for the thread's spin time.
    let lastLook = start;
    for (;;) {
      if (Atomics.load(i32, STATE) === 0) {
        if (Atomics.compareExchange(i32, STATE, 0, 1) === 0) {
          i32[HOLDER] = HOLDER_ID;
          break;
        }
        for (let i = 0; i < backoff; i++) Atomics.load(i32, STATE);
        spins += backoff;
        sinceClock += backoff;
        if (backoff < MAX_BACKOFF) backoff *= 2;
      } else {
        spins++;
        sinceClock++;
      }
      if (sinceClock >= CLOCK_EVERY) {
        sinceClock = 0;
        const now = nowNs();
        countSpinNs(lastLook, now);
        lastLook = now;
        this.checkPoison();
        if (now >= deadline) {
          this.countTimeout();
          return false;
        }
      }
    }
    const end = nowNs();
    countSpinNs(lastLook, end);
    traceSpin(start, end);
    this.countContended(spins, 0, end - start);
    return true;
  }

  /** lockAsync()'s waiting loop: timed sleeps with a doubling slice; see the top of this file. */
  protected *asyncLoop(start: number, polls: number, timeoutMs: number): ParkLoop {
    const deadline = deadlineNs(start, timeoutMs);
    let sleeps = 0;
    let sliceMs = ASYNC_BACKOFF_MIN_MS;
    while (!this.take()) {
      const waitMs = this.beforeTimedPark(deadline);
      if (waitMs <= 0) return false;
      sleeps++;
      // Returns at once when the word no longer reads 1 (held): it came free meanwhile.
      yield { index: STATE, value: 1, timeoutMs: waitMs < sliceMs ? waitMs : sliceMs };
      sliceMs = Math.min(ASYNC_BACKOFF_MAX_MS, sliceMs * 2);
    }
    this.countContended(polls, sleeps, nowNs() - start);
    return true;
  }

  protected wakeAllWaiters(): void {
    // Spinners look at the poison word every CLOCK_EVERY reads; nobody parks.
  }

  /** A spin lock's waiters hold nothing (no count, no place): a dead one leaves nothing to undo. */
  protected recoverWaits(): number {
    return 0;
  }

  protected nudge(): void {
    // Nobody is notified: spinners look at the lock word, async waiters sleep in short slices.
  }

  protected release(): void {
    this.i32[HOLDER] = NO_HOLDER;
    Atomics.store(this.i32, STATE, 0);
  }
}
