/**
 * What every lock kind shares: its place in shared memory, its holder word,
 * its statistics and its handle.
 *
 * Memory of every lock (Int32 words of line 0, then the statistics line):
 *
 *   line 0, control (64 bytes)
 *     [0] STATE       the lock word; its meaning is the kind's own
 *     [1] SERVING     TicketLock only: ticket now served
 *     [2] HOLDER      thread id of the holder (thread-id.ts), 0 when free
 *     [3] MAGIC       marks the region as initialised for this kind
 *     [4] SLEEPERS    threads parked, or about to park, in Atomics.wait
 *     [5] SPIN_BUDGET current spin budget (the kinds that spin, then park)
 *     [6] SPIN_MAX    ceiling of the spin budget; -1 = fixed budget
 *     [7] TIMEOUTS    lock(timeoutMs) calls that gave up (Atomics.add)
 *     [8] TIMED_SEQ   TicketLock and the queue locks: bumped on release when timed waiters sleep
 *     [9] POISONED    set by poison(): waiters give up with LockPoisonedError
 *     [10] QUEUE_HEAD the queue locks (McsLock, PvLock): node index + 1 of the queue's head
 *     [11] ASYNC_SEQ  the futex locks (MutexLock, AdaptiveLock): async waiters park on it
 *     [12] ASYNC_SLEEPERS  the futex locks: async waiters parked or about to park
 *     [13] DEAD_HOLDER thread id (thread-id.ts) of a dead holder recover() poisoned the lock for
 *     [14] FAIR_AFTER  the futex locks: eventual fairness's threshold, us + 1 (0 = off; futex-lock.ts)
 *     [15] FAIR_HEIR   the futex locks: thread id of the waiter the next release hands the lock to
 *                      (negative: handed, not taken yet; futex-lock.ts)
 *   line 1, statistics (lock-stats.ts)
 *   lines 2.., kind-specific (TicketLock's waiting array, the waiter table: waiter-table.ts)
 *
 * The holder word is written with plain stores by the thread that has just
 * acquired (or is about to release) the lock: the lock word's Atomics
 * operations publish it. Readers that do not hold the lock use Atomics.load
 * and get a value that is at worst a moment old, which is all diagnostics need.
 * Every kind writes it in the same straight run of code (no call, no loop back edge) as the
 * atomic operation that wins the lock, and clears it in the same run as the one that releases
 * it: a thread that Worker.terminate() stops (V8 stops it only at a call or a loop back edge: see
 * waiter-table.ts for the sources) holds the lock exactly when the holder word names it, which is
 * what recover() relies on.
 */
import {
  claimRegion,
  checkHandle,
  checkTimeout,
  existingRegion,
  CACHE_LINE,
  type ExistingRegion,
  type Region,
} from './region.js';
import { LockStatsBlock, STATS_BYTES, type LockStats } from './lock-stats.js';
import { deadlineNs, msUntil, nowNs } from './clock.js';
import { HOLDER_ID, NO_HOLDER, holderToThreadId } from './thread-id.js';
import { hasWaitAsync, pollBriefly, type AsyncWaitOptions, type ParkLoop } from './park.js';
import { checkSignal, parkAbortable } from './async-abort.js';
import { LockHold } from './lock-hold.js';
import { traceLockWait } from './wait-account.js';

export const STATE = 0;
export const SERVING = 1;
export const HOLDER = 2;
export const MAGIC = 3;
export const SLEEPERS = 4;
export const SPIN_BUDGET = 5;
export const SPIN_MAX = 6;
export const TIMEOUTS = 7;
export const TIMED_SEQ = 8;
export const POISONED = 9;
export const QUEUE_HEAD = 10;
export const ASYNC_SEQ = 11;
export const ASYNC_SLEEPERS = 12;
export const DEAD_HOLDER = 13;
export const FAIR_AFTER = 14;
export const FAIR_HEIR = 15;

/**
 * Longest park of a retry waiter that no sleeper count records (enterRetryWait found the waiter
 * table full), ms: a release wakes only counted sleepers, so it looks again this often.
 */
const UNCOUNTED_POLL_MS = 1;

/** Bytes of the control and statistics lines every lock has. */
export const BASE_BYTES = CACHE_LINE + STATS_BYTES;
/** Alignment a lock's byteOffset must have (8, room for 64-bit words); 64 avoids false sharing. */
export const LOCK_ALIGN = 8;

/**
 * The lock kinds, in the order reports list them: the guest's spinlocks first (spin: a KVM guest
 * without paravirtual spinlocks; ticket, mcs, pv: Linux's fair spinlocks, old and new, native and
 * paravirtual), then the host's sleeping locks (mutex: QemuMutex; adaptive: the lock of this
 * library). The one list every other list of kinds (the ring's guards, the bench's --lock,
 * bench:micro's cases) derives from. Files and handles store names; the only position stored
 * anywhere is a ring header's guard index, in shared memory that only threads running this same
 * code read, so the order may change between versions.
 */
export const LOCK_KINDS = ['spin', 'ticket', 'mcs', 'pv', 'mutex', 'adaptive'] as const;

/** Names of the lock kinds, as found in handles. */
export type LockKindName = (typeof LOCK_KINDS)[number];

/** A structured-cloneable description of a lock: post it to a worker and call `X.from(handle)` there. */
export interface LockHandle {
  /** Which lock class the region holds: `<kind>-lock`, e.g. `spin-lock` or `adaptive-lock`. */
  kind: `${LockKindName}-lock`;
  /** The shared memory the lock lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/** The interface every lock kind implements. */
export interface Lock {
  /** Which algorithm this is. */
  readonly kind: LockKindName;
  /** Pass this to another thread and call `from(handle)` there to use the same lock. */
  readonly handle: LockHandle;
  /**
   * Acquires the lock, waiting as long as it takes, or at most `timeoutMs`
   * milliseconds. Returns true when acquired, false on timeout.
   * @throws RangeError when timeoutMs is below zero.
   * @throws LockOwnershipError when the calling thread already holds it (not re-entrant).
   * @throws LockPoisonedError when the lock is poisoned while waiting.
   */
  lock(timeoutMs?: number): boolean;
  /**
   * lock() that does not block the calling thread: resolves to true when acquired, false on
   * timeout. It polls for a few microseconds at most, then waits with Atomics.waitAsync, so
   * the event loop (of the main thread too) keeps running. It counts in the same statistics,
   * and the same unlock() wakes it. Async tasks of one thread queue for the lock one after
   * another (the thread that holds it is not refused, unlike lock()); a task that awaits the
   * lock it already holds therefore waits for itself, until its timeout. While it waits it keeps
   * the process alive, unless `options.keepAlive` is false (Node does not count a pending
   * Atomics.waitAsync as work: see park.ts). With `options.signal`, an abort gives the wait up as
   * a timeout does (its sleeper count, its ticket or its queue place: the next unlock goes to the
   * next real waiter, and a FIFO kind keeps its order for the rest; a ticket or the headship that
   * had reached it already is passed on at once) and rejects with `signal.reason`; an
   * already-aborted signal rejects at once. An abort that comes once the lock is taken is too late.
   * @returns a promise that rejects with RangeError when timeoutMs is below zero, with
   *   LockPoisonedError when the lock is poisoned while waiting, with `signal.reason` on an abort,
   *   and with TypeError where this JavaScript engine has no Atomics.waitAsync, or when
   *   `options.signal` is not an AbortSignal.
   */
  lockAsync(timeoutMs?: number, options?: AsyncWaitOptions): Promise<boolean>;
  /** Acquires the lock only if that needs no waiting. Never blocks. */
  tryLock(): boolean;
  /**
   * Runs `fn` holding the lock, and releases it however `fn` ends. Blocks like lock().
   * @returns what `fn` returns.
   * @throws what `fn` throws (after releasing the lock), and what lock() throws.
   */
  withLock<T>(fn: () => T): T;
  /**
   * Awaits lockAsync() (with `options`: keepAlive, signal), runs and awaits `fn`, then releases
   * the lock however `fn` ends. Does not block the thread; an abort while it waits for the lock
   * rejects with `signal.reason` without running `fn`.
   * @returns a promise of what `fn` returns (or resolves to); it rejects with what `fn`
   *   throws (after releasing the lock), or with what lockAsync() rejects with.
   */
  withLockAsync<T>(fn: () => T | PromiseLike<T>, options?: AsyncWaitOptions): Promise<T>;
  /**
   * Acquires the lock like lock() and returns it as a {@link LockHold} that releases it when
   * disposed: `using held = lock.hold();` (where Symbol.dispose exists). Blocks like lock().
   */
  hold(): LockHold;
  /**
   * lockAsync() (with `options`: keepAlive, signal), as a {@link LockHold}:
   * `using held = await lock.holdAsync();`. Does not block.
   */
  holdAsync(options?: AsyncWaitOptions): Promise<LockHold>;
  /**
   * Releases the lock.
   * @throws LockOwnershipError when the calling thread does not hold it.
   */
  unlock(): void;
  /**
   * Node `threadId` of the holder (0 = main thread), or -1 when free. For the FIFO kinds (ticket,
   * mcs, pv), a lock handed to a waiter that has not taken it yet (its thread is busy, or dead)
   * is that waiter's: holder() names it. A moment's snapshot; never blocks.
   */
  holder(): number;
  /** The statistics block, see lock-stats.ts. Never blocks. */
  stats(): LockStats;
  /**
   * Zeroes the statistics, taking the lock to do so, and returns the figures
   * it cleared (read under the lock, so none is lost between the read and the
   * reset; they include this call's own acquisition). Not for a thread that
   * holds the lock (it throws LockOwnershipError, like lock()).
   */
  resetStats(): LockStats;
  /**
   * Starts a window of the statistics without taking the lock, so it never waits: returns the
   * figures so far, which `statsSince(before, lock.stats())` (lock-stats.ts) subtracts from a
   * later read, and makes the next contended acquisition restart waitNsMax. For a watcher that
   * must not queue for the lock it watches (a timed wait of a FIFO kind gets the lock only when
   * nobody queues). Never blocks.
   */
  startStatsWindow(): LockStats;
  /**
   * resetStats() that waits at most `timeoutMs` for the lock: returns null
   * when it could not take the lock in time. For a caller that must not
   * block for long (the main thread, which also watches for stuck holders).
   */
  tryResetStats(timeoutMs: number): LockStats | null;
  /**
   * Marks the lock as abandoned, e.g. because its holder died: every thread
   * waiting for it, now or later, stops waiting and throws LockPoisonedError.
   * A free lock is still acquired normally (the uncontended path does not look).
   */
  poison(): void;
  /** Whether poison() was called. Never blocks. */
  isPoisoned(): boolean;
  /**
   * The robust-mutex call (pthread's PTHREAD_MUTEX_ROBUST): undoes what thread `threadId`, which
   * has ended, held or waited for. When it held the lock, the lock is released (`ifHeld:
   * 'release'`, the default: the next waiter acquires, as after EOWNERDEAD; the data the lock
   * guards may be half-updated) or poisoned (`ifHeld: 'poison'`: every waiter throws a
   * LockPoisonedError that names the dead thread, as ENOTRECOVERABLE). Its waits are taken out:
   * a ticket or queue place is skipped, sleeper counts are restored. Any thread may call it; call
   * it only for a thread that has ended (robust.ts's recoverOnExit calls it from the worker's
   * 'exit' event). Idempotent: a second call finds nothing to undo.
   * @throws RangeError when `threadId` is not a thread id, or is the calling thread's.
   */
  recover(threadId: number, options?: RecoverOptions): RecoverReport;
}

/** Options of {@link Lock.recover}. */
export interface RecoverOptions {
  /**
   * What to do when the dead thread held the lock: 'release' it (default), or 'poison' it so
   * that every waiter gives up with a LockPoisonedError naming the dead thread.
   */
  ifHeld?: 'release' | 'poison';
}

/** What {@link Lock.recover} found and undid. */
export interface RecoverReport {
  /** Whether the dead thread held the lock (then released or poisoned, as asked). */
  held: boolean;
  /** Waits of the dead thread taken out: tickets or queue places skipped, sleeper counts restored. */
  waits: number;
}

/** Thrown by a waiter of a lock that was poisoned. */
export class LockPoisonedError extends Error {
  override name = 'LockPoisonedError';
}

/** Thrown by unlock() in a thread that does not hold the lock. */
export class LockOwnershipError extends Error {
  override name = 'LockOwnershipError';
}

/** Common state and behaviour of the lock kinds. Subclasses implement the algorithm. */
export abstract class LockBase implements Lock {
  abstract readonly kind: LockKindName;
  readonly handle: LockHandle;
  /** Control words, line 0. */
  protected readonly i32: Int32Array;
  protected readonly statsBlock: LockStatsBlock;
  /** True when this view initialised the region, false when it opened an existing lock (`from()`). */
  protected readonly created: boolean;

  /** Initialises the region, or opens the lock already there when `region` came from openExisting(). */
  protected constructor(
    what: string,
    handleKind: LockHandle['kind'],
    magic: number,
    bytes: number,
    region: Partial<Region> | ExistingRegion | undefined,
  ) {
    const existing = existingRegion(region);
    const init = existing === undefined;
    this.created = init;
    const { buffer, byteOffset } = claimRegion(
      what,
      existing ?? (region as Partial<Region> | undefined),
      bytes,
      LOCK_ALIGN,
    );
    this.handle = { kind: handleKind, buffer, byteOffset };
    this.i32 = new Int32Array(buffer, byteOffset, bytes / 4);
    this.statsBlock = new LockStatsBlock(buffer, byteOffset + CACHE_LINE);
    if (init) {
      this.i32.fill(0);
      Atomics.store(this.i32, MAGIC, magic);
    } else if (Atomics.load(this.i32, MAGIC) !== magic) {
      throw new TypeError(`${what}.from: the region at byteOffset ${byteOffset} does not hold an initialised ${what}`);
    }
  }

  /** Checks a handle for `from()`. */
  protected static checkedHandle(what: string, handle: unknown, kind: LockHandle['kind']): LockHandle {
    return checkHandle<LockHandle>(what, handle, kind);
  }

  abstract lock(timeoutMs?: number): boolean;

  /** One attempt to take the lock without waiting, without the statistics (waiting loops count their own). */
  protected abstract readonly take: () => boolean;

  /** @inheritDoc */
  tryLock(): boolean {
    if (!this.take()) return false;
    this.countUncontended();
    return true;
  }

  /**
   * Clears the holder word and releases the lock word, in one straight run of code (see the top
   * of this file); called by unlock() after the ownership check, and by recover() for a dead holder.
   */
  protected abstract release(): void;
  /** lockAsync() after its arguments were checked: the kind's own way in. */
  protected abstract acquireAsync(timeoutMs: number, options: AsyncWaitOptions | undefined): Promise<boolean>;

  /** @inheritDoc */
  async lockAsync(timeoutMs?: number, options?: AsyncWaitOptions): Promise<boolean> {
    const what = `${this.constructor.name}.lockAsync`;
    const timeout = checkTimeout(what, timeoutMs);
    const signal = checkSignal(what, options?.signal);
    if (!hasWaitAsync()) {
      throw new TypeError(`${what}: this JavaScript engine has no Atomics.waitAsync; use lock() in a worker`);
    }
    if (signal?.aborted === true) throw signal.reason;
    return this.acquireAsync(timeout, options);
  }

  /** @inheritDoc */
  withLock<T>(fn: () => T): T {
    this.lock();
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }

  /** @inheritDoc */
  async withLockAsync<T>(fn: () => T | PromiseLike<T>, options?: AsyncWaitOptions): Promise<T> {
    await this.lockAsync(undefined, options);
    try {
      return await fn();
    } finally {
      this.unlock();
    }
  }

  /** @inheritDoc */
  hold(): LockHold {
    this.lock();
    return new LockHold(this);
  }

  /** @inheritDoc */
  async holdAsync(options?: AsyncWaitOptions): Promise<LockHold> {
    await this.lockAsync(undefined, options);
    return new LockHold(this);
  }

  /**
   * The async way in once the lock was not free at first: polls `take` for a few microseconds
   * (never longer: this may be the main thread), then drives `parkLoop` with Atomics.waitAsync
   * (parkLoopAsync). `take` tries to acquire without the statistics; the loop counts its own
   * acquisition.
   */
  protected async pollThenParkAsync(
    take: () => boolean,
    parkLoop: (startNs: number, polls: number) => ParkLoop,
    options: AsyncWaitOptions | undefined,
  ): Promise<boolean> {
    const start = nowNs();
    let polls = 0;
    if (
      pollBriefly(() => {
        polls++;
        return take();
      })
    ) {
      this.countContended(polls, 0, nowNs() - start);
      return true;
    }
    return this.parkLoopAsync(parkLoop(start, polls), options);
  }

  /**
   * Drives a park loop of lockAsync() with Atomics.waitAsync (async-abort.ts parkAbortable). An
   * abort of `options.signal` throws its reason into the loop at its park, so that the loop's
   * finally blocks give up its sleeper count, ticket or queue place exactly as when it times out or
   * sees the lock poisoned. No GHOSTS word: every word a lock's async waiter parks on is notified
   * all at once, or by nobody, or is its own node's (async-abort.ts GhostWord).
   */
  protected parkLoopAsync(loop: ParkLoop, options: AsyncWaitOptions | undefined): Promise<boolean> {
    return parkAbortable(`${this.constructor.name}.lockAsync`, this.i32, loop, undefined, options, 'throw');
  }

  /** @inheritDoc */
  unlock(): void {
    // A plain read: the holder reads its own store; any other thread gets a
    // value that is not its own id whichever store it sees, so it is refused.
    const holder = this.i32[HOLDER]!;
    if (holder !== HOLDER_ID) {
      const caller = `the calling thread ${holderToThreadId(HOLDER_ID)}`;
      throw new LockOwnershipError(
        holder === NO_HOLDER
          ? `unlock: the ${this.kind} lock is not held`
          : `unlock: the ${this.kind} lock is held by thread ${holderToThreadId(holder)}, not by ${caller}`,
      );
    }
    this.release();
  }

  /** @inheritDoc */
  holder(): number {
    const holder = Atomics.load(this.i32, HOLDER);
    return holder !== 0 ? holderToThreadId(holder) : this.handedTo();
  }

  /** The thread a FIFO kind handed the free lock to and that has not taken it yet; -1 for none. */
  protected handedTo(): number {
    return -1;
  }

  /** @inheritDoc */
  recover(threadId: number, options: RecoverOptions = {}): RecoverReport {
    if (!Number.isInteger(threadId) || threadId < 0) {
      throw new RangeError(`${this.constructor.name}.recover: threadId must be a thread id (an integer >= 0)`);
    }
    if (threadId + 1 === HOLDER_ID) {
      const what = `${this.constructor.name}.recover`;
      throw new RangeError(`${what}: thread ${threadId} is the calling thread, not a dead one`);
    }
    const i32 = this.i32;
    const held = Atomics.load(i32, HOLDER) === threadId + 1;
    if (held) {
      if (options.ifHeld === 'poison') {
        Atomics.store(i32, DEAD_HOLDER, threadId + 1);
        this.poison();
      } else {
        this.release();
      }
    }
    const waits = this.recoverWaits(threadId);
    this.nudge();
    return { held, waits };
  }

  /**
   * recover()'s part that is the kind's own: takes out the waits of dead thread `threadId` (its
   * entries in the kind's waiter table) and returns how many. Runs after a held lock was released.
   */
  protected abstract recoverWaits(threadId: number): number;

  /**
   * recover()'s last step: wakes whoever should be awake now, in case the dead thread stopped
   * between releasing the lock and waking a waiter. Only threads counted as sleeping are notified.
   */
  protected abstract nudge(): void;

  /** @inheritDoc */
  stats(): LockStats {
    return this.statsBlock.read(Atomics.load(this.i32, TIMEOUTS));
  }

  /** @inheritDoc */
  startStatsWindow(): LockStats {
    return this.statsBlock.startWindow(Atomics.load(this.i32, TIMEOUTS));
  }

  /** @inheritDoc */
  resetStats(): LockStats {
    return this.tryResetStats(Infinity)!;
  }

  /** @inheritDoc */
  tryResetStats(timeoutMs: number): LockStats | null {
    if (!this.lock(timeoutMs)) return null;
    const cleared = this.stats();
    this.statsBlock.clear();
    Atomics.store(this.i32, TIMEOUTS, 0);
    this.unlock();
    return cleared;
  }

  /** @inheritDoc */
  poison(): void {
    Atomics.store(this.i32, POISONED, 1);
    this.wakeAllWaiters();
  }

  /** @inheritDoc */
  isPoisoned(): boolean {
    return Atomics.load(this.i32, POISONED) !== 0;
  }

  /** Wakes every parked waiter so that it sees the poison. */
  protected abstract wakeAllWaiters(): void;

  /**
   * The wait of a waiter that keeps no place in a queue (TicketLock's and the queue locks' timed
   * waiters, and their untimed waiters that find no place free): retries take(), and parks on
   * TIMED_SEQ in between, which a release bumps and notifies while such waiters sleep (they are
   * counted between enterRetryWait and leaveRetryWait). A waiter that enterRetryWait could not
   * record is not counted either, so that its death leaves no count behind: it parks at most
   * UNCOUNTED_POLL_MS at a time. For lock() and lockAsync() alike.
   */
  protected *retryLoop(start: number, polls: number, timeoutMs: number): ParkLoop {
    const i32 = this.i32;
    const deadline = deadlineNs(start, timeoutMs);
    let parks = 0;
    const entry = this.enterRetryWait();
    try {
      for (;;) {
        const seq = Atomics.load(i32, TIMED_SEQ);
        if (this.take()) break;
        const waitMs = this.beforeTimedPark(deadline);
        if (waitMs <= 0) return false;
        parks++;
        const parkMs = entry < 0 && waitMs > UNCOUNTED_POLL_MS ? UNCOUNTED_POLL_MS : waitMs;
        yield { index: TIMED_SEQ, value: seq, timeoutMs: parkMs };
      }
    } finally {
      this.leaveRetryWait(entry);
    }
    this.countContended(polls, parks, nowNs() - start);
    return true;
  }

  /**
   * Counts a waiter of retryLoop, so that releases wake it, and records the count in a waiter-table
   * entry in the same straight run of code (see waiter-table.ts), so that recover() can give it
   * back; returns the entry, for leaveRetryWait, or -1 when no entry is free: the waiter is then
   * counted nowhere (retryLoop polls).
   */
  protected abstract enterRetryWait(): number;

  /** Uncounts a waiter of retryLoop (the entry enterRetryWait returned; -1: nothing to undo). */
  protected abstract leaveRetryWait(entry: number): void;

  /**
   * Refuses a lock() by the thread that already holds the lock, which would
   * otherwise wait for itself forever: the locks are not re-entrant.
   */
  protected checkNotHolder(): void {
    if (this.i32[HOLDER] === HOLDER_ID) {
      throw new LockOwnershipError(
        `lock: the calling thread already holds this ${this.kind} lock (locks are not re-entrant)`,
      );
    }
  }

  /**
   * Timed waiters call this before each park: throws once the lock is poisoned; returns the
   * milliseconds left before `deadline` (clock.ts deadlineNs), counting a timeout when none are.
   */
  protected beforeTimedPark(deadline: number): number {
    this.checkPoison();
    const left = msUntil(deadline);
    if (left <= 0) this.countTimeout();
    return left;
  }

  /** Waiters call this between waits: throws once the lock is poisoned. */
  protected checkPoison(): void {
    if (Atomics.load(this.i32, POISONED) !== 0) {
      const dead = Atomics.load(this.i32, DEAD_HOLDER);
      const holder = holderToThreadId(Atomics.load(this.i32, HOLDER));
      throw new LockPoisonedError(
        dead !== 0
          ? `the ${this.kind} lock was poisoned: its holder, thread ${holderToThreadId(dead)}, died holding it`
          : `the ${this.kind} lock was poisoned while held by thread ${holder}; giving up the wait`,
      );
    }
  }

  /** Statistics of an acquisition at the first attempt (the holder word is the caller's to write). */
  protected countUncontended(): void {
    this.statsBlock.countUncontended();
  }

  /** Statistics of an acquisition that waited `waitNs` (the holder word is the caller's to write). */
  protected countContended(spins: number, parks: number, waitNs: number): void {
    this.statsBlock.countContended(spins, parks, waitNs);
    traceLockWait(this.i32, waitNs);
  }

  /** Counts a lock(timeoutMs) that gave up. */
  protected countTimeout(): void {
    Atomics.add(this.i32, TIMEOUTS, 1);
  }
}

/**
 * The fast path shared by the locks whose word is 0 when free (SpinLock,
 * AdaptiveLock): one compare-and-swap 0 -> 1; waiting is the kind's own.
 */
export abstract class CasLock extends LockBase {
  /** @inheritDoc */
  lock(timeoutMs?: number): boolean {
    const timeout = timeoutMs === undefined ? Infinity : checkTimeout(`${this.constructor.name}.lock`, timeoutMs);
    if (Atomics.compareExchange(this.i32, STATE, 0, 1) === 0) {
      this.i32[HOLDER] = HOLDER_ID;
      this.countUncontended();
      return true;
    }
    this.checkNotHolder();
    return this.lockSlow(timeout);
  }

  protected acquireAsync(timeoutMs: number, options: AsyncWaitOptions | undefined): Promise<boolean> {
    if (this.tryLock()) return Promise.resolve(true);
    return this.pollThenParkAsync(this.take, (start, polls) => this.asyncLoop(start, polls, timeoutMs), options);
  }

  /** The lock word reads 0 and a compare-and-swap 0 -> 1 wins; the winner writes the holder word. */
  protected readonly take = (): boolean => {
    if (Atomics.load(this.i32, STATE) !== 0 || Atomics.compareExchange(this.i32, STATE, 0, 1) !== 0) return false;
    this.i32[HOLDER] = HOLDER_ID;
    return true;
  };

  /** Waits for the lock after the first compare-and-swap failed; false on timeout. */
  protected abstract lockSlow(timeoutMs: number): boolean;

  /**
   * lockAsync()'s waiting loop after `polls` failed attempts since `startNs` (see park.ts): it
   * yields the parks it wants and returns whether it acquired, counting the acquisition.
   */
  protected abstract asyncLoop(startNs: number, polls: number, timeoutMs: number): ParkLoop;

  /** These kinds have no retry waiters (retryLoop); nobody calls these. */
  protected enterRetryWait(): number {
    return -1;
  }

  protected leaveRetryWait(): void {}
}
