/**
 * Channel: a bounded multi-producer multi-consumer channel of fixed-size Int32 items, that can be
 * closed; after crossbeam's bounded channels (crossbeam-channel's `bounded(cap)`, flavors/array.rs:
 * send and recv wait on their own side's waiter list, a successful operation wakes one waiter of
 * the other side, and disconnection wakes all and lets receivers drain what is left).
 *
 * Algorithm: the items live in a Ring (ring.ts) of `capacity` slots of `slotWords` words, and
 * every push, pop and close() runs under the channel's guard lock (an AdaptiveLock by default,
 * or any lock kind). The ring is created unguarded and the channel takes the guard itself,
 * because the CLOSED check must sit in the same critical section as the push: a guarded Ring
 * takes its guard inside push(), so a send that found the channel open could push after a
 * close() and after the receivers had ended, and its item would be lost. With the check inside,
 * every send is entirely before close() (its item is drained) or entirely after it (it throws
 * ChannelClosedError), and a receive that finds the ring empty and the channel closed under the
 * lock knows that nothing will ever come. (Pushes and pops thus serialize on the lock; the
 * unguarded ring's views may hand their roles from one to another: see ring.ts.)
 *
 * Waiting: each side is an eventcount (doorbell.ts) with sleeper counts: a waiter counts itself
 * in its side's SLEEPERS, reads its side's SEQ, tries its operation under the lock, and parks on
 * SEQ only when that failed (full for a sender, empty and open for a receiver). A successful send
 * wakes one receiver, a successful receive one sender, and close() every waiter of both sides;
 * each only when SLEEPERS + GHOSTS of that side is above 0 (never notify a thread that is not
 * asleep), by bumping SEQ and calling Atomics.notify. No wake-up is lost: a notifier that reads
 * SLEEPERS as 0 made its change before the waiter counted itself, so the waiter's attempt sees
 * it; one that reads it above 0 bumps SEQ after the waiter read SEQ, so a waiter that parks later
 * returns at once. A notify of one wakes the earliest parked waiter, which tries its operation
 * before it looks at its deadline, so a wake-up is never spent on a waiter that then times out
 * with an item (or a slot) left for another. The earliest waiter may be an async one on a busy
 * event loop: the item then waits for that loop, it is not lost.
 *
 * Async forms (sendAsync, recvAsync, the async iterator) park with Atomics.waitAsync, and take an
 * AbortSignal; an aborted wait leaves a ghost (async-abort.ts explains the cancellation): notifies of one
 * wake 1 + GHOSTS, and an abandoned park that was notified passes its wake-up on. They take the
 * guard lock with lock() like the blocking forms (as a consumer's pop does after waitUntilAsync): its
 * critical sections copy one item.
 *
 * Memory (byte offsets from the channel's byteOffset, a multiple of 8):
 *     0  MAGIC (written once, last, by the creator), CLOSED (0, then 1 for good: written by close()
 *        under the guard), GUARD (index of the guard's kind in LOCK_KINDS; written once)
 *    64  receivers: RECV_SEQ (bumped by a send or close() that wakes receivers), RECV_SLEEPERS,
 *        RECV_GHOSTS (each receiver adds and subtracts its own 1)
 *   128  senders: SEND_SEQ, SEND_SLEEPERS, SEND_GHOSTS (the same, for senders waiting for room)
 *   192  the guard lock (lockBytes(guard) bytes, rounded up to 64)
 *   ...  the Ring, unguarded (Ring.byteLength({ capacity, slotWords }) bytes)
 */
import {
  alignUp,
  CACHE_LINE,
  checkHandle,
  checkTimeout,
  claimRegion,
  existingRegion,
  openExisting,
  type ExistingRegion,
  type Region,
} from '../sync/region.js';
import { createLock, lockBytes, lockFromHandle, lockHandleKind } from '../sync/create-lock.js';
import { LOCK_KINDS, type Lock, type LockKindName } from '../sync/lock-base.js';
import type { LockStats } from '../sync/lock-stats.js';
import { deadlineNs, msUntil, nowNs } from '../sync/clock.js';
import { parkBlocking, type ParkLoop } from '../sync/park.js';
import { notifyCounted } from '../sync/wait-account.js';
import {
  checkedLiveSignal,
  parkAbortable,
  type AbortableWaitOptions,
  type WaitLoop,
  type AbortSignalLike,
} from '../sync/async-abort.js';
import { Ring } from './ring.js';

const MAGIC = 0;
const CLOSED = 1;
const GUARD = 2;
/** First word of each side's eventcount. */
const RECV = 16;
const SEND = 32;
/** Offsets within a side. */
const SEQ = 0;
const SLEEPERS = 1;
const GHOSTS = 2;
const HEADER_BYTES = 3 * CACHE_LINE;
const MAGIC_CHANNEL = 0x4348414e; // "CHAN"
const DEFAULT_GUARD: LockKindName = 'adaptive';

/** Shape of a channel. */
export interface ChannelShape {
  /** Items it holds at most: a power of two (the Ring's capacity). */
  capacity: number;
  /** Int32 words per item. */
  slotWords: number;
  /** The lock every send, receive and close takes (default 'adaptive'). */
  guard?: LockKindName;
}

/** Options of a new Channel. */
export interface ChannelOptions extends ChannelShape, Partial<Region> {}

/** A structured-cloneable description of a channel; `Channel.from(handle)` in another worker. */
export interface ChannelHandle {
  /** Always `channel`. */
  kind: 'channel';
  /** The shared memory the channel lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/** What recv() and recvAsync() came to: an item copied out, the timeout, or the end (closed and drained). */
export type RecvResult = 'item' | 'timed-out' | 'closed';

/** What tryRecv() came to: an item copied out, nothing there now, or the end (closed and drained). */
export type TryRecvResult = 'item' | 'empty' | 'closed';

/** Thrown by a send on a closed channel (and by a send waiting for room when the channel closes). */
export class ChannelClosedError extends Error {
  override name = 'ChannelClosedError';
}

/**
 * A bounded multi-producer multi-consumer channel of fixed-size Int32 items in shared memory,
 * after crossbeam-channel's bounded channels: a Ring under a guard lock, a CLOSED word, and
 * sleeper-counted waits on each side (see the top of channel.ts).
 */
export class Channel {
  /** Bytes a channel of this shape needs in a SharedArrayBuffer (byteOffset must be a multiple of 8). */
  static byteLength(shape: ChannelShape): number {
    const guard = checkGuard(shape.guard);
    return HEADER_BYTES + guardBytes(guard) + Ring.byteLength({ capacity: shape.capacity, slotWords: shape.slotWords });
  }

  /** Pass this to another thread and call `Channel.from(handle)` there to use the same channel. */
  readonly handle: ChannelHandle;
  /** Items it holds at most. */
  readonly capacity: number;
  /** Int32 words per item. */
  readonly slotWords: number;
  /** The kind of its guard lock. */
  readonly guardKind: LockKindName;
  private readonly i32: Int32Array;
  private readonly ring: Ring;
  private readonly guard: Lock;
  private readonly wakeReceiver = (): void => this.wakeOne(RECV);
  private readonly wakeSender = (): void => this.wakeOne(SEND);

  /**
   * Creates a channel in `options` (buffer, byteOffset) or in a buffer of its own. (An
   * {@link ExistingRegion} opens a view instead: that is what {@link Channel.from} passes.)
   * @throws RangeError when the capacity is not a power of two from 1 to 2^30, slotWords not an
   *   integer from 1 to 1024 (the Ring's limits), or the region is misplaced; TypeError for an
   *   unknown guard kind.
   */
  constructor(options: ChannelOptions | ExistingRegion) {
    const existing = existingRegion(options);
    let buffer: SharedArrayBuffer;
    let byteOffset: number;
    if (existing === undefined) {
      const shape = options as ChannelOptions;
      const bytes = Channel.byteLength(shape);
      ({ buffer, byteOffset } = claimRegion('Channel', shape, bytes, 8));
      this.guardKind = checkGuard(shape.guard);
      this.i32 = new Int32Array(buffer, byteOffset, HEADER_BYTES / 4);
      this.i32.fill(0);
      this.i32[GUARD] = LOCK_KINDS.indexOf(this.guardKind);
      this.guard = createLock(this.guardKind, { buffer, byteOffset: byteOffset + HEADER_BYTES });
      const ringOffset = byteOffset + HEADER_BYTES + guardBytes(this.guardKind);
      this.ring = new Ring({ capacity: shape.capacity, slotWords: shape.slotWords, buffer, byteOffset: ringOffset });
      Atomics.store(this.i32, MAGIC, MAGIC_CHANNEL);
    } else {
      ({ buffer, byteOffset } = claimRegion('Channel', existing, HEADER_BYTES, 8));
      this.i32 = new Int32Array(buffer, byteOffset, HEADER_BYTES / 4);
      if (Atomics.load(this.i32, MAGIC) !== MAGIC_CHANNEL) {
        const what = `the region at byteOffset ${byteOffset}`;
        throw new TypeError(`Channel.from: ${what} does not hold an initialised Channel`);
      }
      this.guardKind = LOCK_KINDS[this.i32[GUARD]!]!;
      const guardOffset = byteOffset + HEADER_BYTES;
      this.guard = lockFromHandle({ kind: lockHandleKind(this.guardKind), buffer, byteOffset: guardOffset });
      const ringOffset = guardOffset + guardBytes(this.guardKind);
      this.ring = Ring.from({ kind: 'ring', buffer, byteOffset: ringOffset });
    }
    this.handle = { kind: 'channel', buffer, byteOffset };
    this.capacity = this.ring.capacity;
    this.slotWords = this.ring.slotWords;
  }

  /** A view of the channel described by `handle`, e.g. in another worker. */
  static from(handle: ChannelHandle): Channel {
    const { buffer, byteOffset } = checkHandle<ChannelHandle>('Channel', handle, 'channel');
    return new Channel(openExisting({ buffer, byteOffset }));
  }

  /**
   * Sends `item` (exactly `slotWords` numbers, stored as Int32) if there is room now. Never waits
   * but for the guard lock.
   * @returns false when the channel is full.
   * @throws ChannelClosedError when the channel is closed; RangeError for an item of the wrong length.
   */
  trySend(item: ArrayLike<number>): boolean {
    this.checkItem('Channel.trySend', item);
    return this.pushOnce(item);
  }

  /**
   * Sends `item`, waiting for room as long as it takes or at most `timeoutMs`. Blocks the calling
   * thread (Atomics.wait): for workers; see sendAsync for the main thread.
   * @returns true when sent, false on timeout (the item was not sent).
   * @throws ChannelClosedError when the channel is closed, or closes while this waits for room;
   *   RangeError for an item of the wrong length or a timeout below zero.
   */
  send(item: ArrayLike<number>, timeoutMs?: number): boolean {
    const timeout = checkTimeout('Channel.send', timeoutMs);
    this.checkItem('Channel.send', item);
    if (this.pushOnce(item)) return true;
    return parkBlocking(this.i32, this.sendLoop(item, deadlineNs(nowNs(), timeout), undefined));
  }

  /**
   * send() without blocking the thread (Atomics.waitAsync). Keeps the process alive while pending
   * unless `options.keepAlive` is false.
   * @returns a promise of true when sent, false after `options.timeoutMs`; it rejects with
   *   ChannelClosedError (as send() throws), with `options.signal.reason` when the signal aborts
   *   first (the item not sent, no waiter left counted), with RangeError on bad arguments, and
   *   with TypeError where the engine has no Atomics.waitAsync.
   */
  async sendAsync(item: ArrayLike<number>, options: AbortableWaitOptions = {}): Promise<boolean> {
    const timeout = checkTimeout('Channel.sendAsync', options.timeoutMs);
    checkedLiveSignal('Channel.sendAsync', options.signal);
    this.checkItem('Channel.sendAsync', item);
    if (this.pushOnce(item)) return true;
    const loop = this.sendLoop(item, deadlineNs(nowNs(), timeout), options.signal);
    const ghosts = { index: SEND + GHOSTS, passOn: this.wakeSender };
    return parkAbortable('Channel.sendAsync', this.i32, loop, ghosts, options);
  }

  /**
   * Receives an item into `into` (its first `slotWords` words) if there is one now. Never waits
   * but for the guard lock.
   * @returns 'item', 'empty' (nothing now), or 'closed' (closed and drained: nothing ever will).
   * @throws RangeError when `into` is not an Int32Array of at least `slotWords` words.
   */
  tryRecv(into: Int32Array): TryRecvResult {
    this.checkInto('Channel.tryRecv', into);
    return this.popOnce(into);
  }

  /**
   * Receives an item into `into`, waiting as long as it takes or at most `timeoutMs`. Blocks the
   * calling thread (Atomics.wait): for workers; see recvAsync for the main thread.
   * @returns 'item' (copied into `into`), 'timed-out', or 'closed': the channel is closed and
   *   every item sent before close() has been received (by this or another receiver).
   * @throws RangeError when `into` is too short or timeoutMs is below zero.
   */
  recv(into: Int32Array, timeoutMs?: number): RecvResult {
    const timeout = checkTimeout('Channel.recv', timeoutMs);
    this.checkInto('Channel.recv', into);
    const now = this.popOnce(into);
    if (now !== 'empty') return now;
    return parkBlocking(this.i32, this.recvLoop(into, deadlineNs(nowNs(), timeout), undefined));
  }

  /**
   * recv() without blocking the thread (Atomics.waitAsync). Keeps the process alive while pending
   * unless `options.keepAlive` is false.
   * @returns a promise of what recv() returns; it rejects with `options.signal.reason` when the
   *   signal aborts first (nothing received, no waiter left counted), with RangeError on bad
   *   arguments, and with TypeError where the engine has no Atomics.waitAsync.
   */
  async recvAsync(into: Int32Array, options: AbortableWaitOptions = {}): Promise<RecvResult> {
    const timeout = checkTimeout('Channel.recvAsync', options.timeoutMs);
    checkedLiveSignal('Channel.recvAsync', options.signal);
    this.checkInto('Channel.recvAsync', into);
    const now = this.popOnce(into);
    if (now !== 'empty') return now;
    const loop = this.recvLoop(into, deadlineNs(nowNs(), timeout), options.signal);
    const ghosts = { index: RECV + GHOSTS, passOn: this.wakeReceiver };
    return parkAbortable('Channel.recvAsync', this.i32, loop, ghosts, options);
  }

  /**
   * `for await (const item of channel)`: receives with recvAsync() and yields a copy of each item
   * (a new Int32Array of `slotWords` words), until the channel is closed and drained. Leaving the
   * loop early receives nothing more.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Int32Array, void, undefined> {
    for (;;) {
      const item = new Int32Array(this.slotWords);
      if ((await this.recvAsync(item)) === 'closed') return;
      yield item;
    }
  }

  /**
   * Closes the channel: every later send throws ChannelClosedError (and so do sends waiting for
   * room), receivers receive what is left and then see 'closed'. Wakes every waiter. Idempotent.
   * @returns true when this call closed it, false when it was closed already.
   */
  close(): boolean {
    const guard = this.guard;
    guard.lock();
    let was: number;
    try {
      was = Atomics.exchange(this.i32, CLOSED, 1);
    } finally {
      guard.unlock();
    }
    if (was !== 0) return false;
    this.wakeAll(RECV);
    this.wakeAll(SEND);
    return true;
  }

  /** Whether close() was called. Never blocks. */
  isClosed(): boolean {
    return Atomics.load(this.i32, CLOSED) !== 0;
  }

  /** Items in the channel now (a snapshot). Never blocks. */
  size(): number {
    return this.ring.size();
  }

  /** Receivers and senders parked or about to park now (a snapshot). Never blocks. */
  sleepers(): { receivers: number; senders: number } {
    return {
      receivers: Atomics.load(this.i32, RECV + SLEEPERS),
      senders: Atomics.load(this.i32, SEND + SLEEPERS),
    };
  }

  /** The guard lock's statistics (lock-stats.ts): every send, receive and close takes it once per try. */
  lockStats(): LockStats {
    return this.guard.stats();
  }

  /** One try at a send, under the guard: false when full; wakes a receiver when it sent. */
  private pushOnce(item: ArrayLike<number>): boolean {
    const guard = this.guard;
    guard.lock();
    let pushed: boolean;
    try {
      if (Atomics.load(this.i32, CLOSED) !== 0) throw new ChannelClosedError('send on a closed channel');
      pushed = this.ring.push(item);
    } finally {
      guard.unlock();
    }
    if (pushed) this.wakeOne(RECV);
    return pushed;
  }

  /** One try at a receive, under the guard; wakes a sender when it received. */
  private popOnce(into: Int32Array): TryRecvResult {
    const guard = this.guard;
    guard.lock();
    let popped: boolean;
    let closed = false;
    try {
      popped = this.ring.pop(into);
      if (!popped) closed = Atomics.load(this.i32, CLOSED) !== 0;
    } finally {
      guard.unlock();
    }
    if (popped) {
      this.wakeOne(SEND);
      return 'item';
    }
    return closed ? 'closed' : 'empty';
  }

  /** The waiting loop of send() and sendAsync(): true when sent, false on timeout. */
  private *sendLoop(item: ArrayLike<number>, deadline: number, signal: AbortSignalLike | undefined): ParkLoop {
    const i32 = this.i32;
    Atomics.add(i32, SEND + SLEEPERS, 1);
    try {
      for (;;) {
        const seq = Atomics.load(i32, SEND + SEQ);
        if (this.pushOnce(item)) return true;
        const waitMs = msUntil(deadline);
        if (waitMs <= 0) return false;
        yield { index: SEND + SEQ, value: seq, timeoutMs: waitMs };
        if (signal?.aborted === true) throw signal.reason;
      }
    } finally {
      Atomics.sub(i32, SEND + SLEEPERS, 1);
    }
  }

  /** The waiting loop of recv() and recvAsync(). */
  private *recvLoop(into: Int32Array, deadline: number, signal: AbortSignalLike | undefined): WaitLoop<RecvResult> {
    const i32 = this.i32;
    Atomics.add(i32, RECV + SLEEPERS, 1);
    try {
      for (;;) {
        const seq = Atomics.load(i32, RECV + SEQ);
        const now = this.popOnce(into);
        if (now !== 'empty') return now;
        const waitMs = msUntil(deadline);
        if (waitMs <= 0) return 'timed-out';
        yield { index: RECV + SEQ, value: seq, timeoutMs: waitMs };
        if (signal?.aborted === true) throw signal.reason;
      }
    } finally {
      Atomics.sub(i32, RECV + SLEEPERS, 1);
    }
  }

  /** Wakes one waiter of `side` (and every ghost ahead of it), if any is counted. */
  private wakeOne(side: number): void {
    const i32 = this.i32;
    // SLEEPERS before GHOSTS: an abort raises GHOSTS before it lowers SLEEPERS (async-abort.ts).
    const sleepers = Atomics.load(i32, side + SLEEPERS);
    const ghosts = Atomics.load(i32, side + GHOSTS);
    if (sleepers + ghosts === 0) return;
    Atomics.add(i32, side + SEQ, 1);
    notifyCounted(i32, side + SEQ, 1 + ghosts);
  }

  /** Wakes every waiter of `side`, if any is counted. */
  private wakeAll(side: number): void {
    const i32 = this.i32;
    if (Atomics.load(i32, side + SLEEPERS) + Atomics.load(i32, side + GHOSTS) === 0) return;
    Atomics.add(i32, side + SEQ, 1);
    notifyCounted(i32, side + SEQ);
  }

  private checkItem(what: string, item: ArrayLike<number>): void {
    if (item === null || typeof item !== 'object' || item.length !== this.slotWords) {
      const got = item === null || typeof item !== 'object' ? String(item) : `${item.length} numbers`;
      throw new RangeError(`${what}: an item is ${this.slotWords} numbers, got ${got}`);
    }
  }

  private checkInto(what: string, into: Int32Array): void {
    if (!(into instanceof Int32Array) || into.length < this.slotWords) {
      const got = into instanceof Int32Array ? `an Int32Array of ${into.length}` : String(into);
      throw new RangeError(`${what}: into must be an Int32Array of at least ${this.slotWords} words, got ${got}`);
    }
  }
}

function checkGuard(guard: LockKindName | undefined): LockKindName {
  if (guard === undefined) return DEFAULT_GUARD;
  if (!LOCK_KINDS.includes(guard)) {
    throw new TypeError(`Channel: guard must be one of ${LOCK_KINDS.join(', ')}, got ${String(guard)}`);
  }
  return guard;
}

function guardBytes(kind: LockKindName): number {
  return alignUp(lockBytes(kind), CACHE_LINE);
}
