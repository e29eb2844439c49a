/**
 * Channel: a bounded multi-producer multi-consumer channel of fixed-size Int32 items, that can be
 * closed; after crossbeam's bounded channels (crossbeam-channel's `bounded(cap)`, flavors/array.rs:
 * send and recv wait on their own side's waiter list, a successful operation wakes one waiter of
 * the other side, and disconnection wakes all and lets receivers drain what is left).
 *
 * Algorithm: Dmitry Vyukov's bounded MPMC queue (1024cores.net, "Bounded MPMC queue"), in the
 * form crossbeam uses for both crossbeam-queue's `ArrayQueue` (crossbeam-queue/src/array_queue.rs)
 * and crossbeam-channel's array flavor (crossbeam-channel/src/flavors/array.rs), which also keeps
 * the disconnected ("closed") bit in the tail. There is no lock on the data path:
 *   - HEAD and TAIL are Int32 words on cache lines of their own, each `{ lap, mark, index }`
 *     packed as crossbeam packs them: `index` (0 .. capacity-1) in the low bits, the MARK bit
 *     (only ever set in TAIL, by close()) next, the lap above. The capacity is a power of two, so
 *     MARK = capacity and ONE_LAP = 2 * capacity (crossbeam takes the next power of two above the
 *     capacity, which for a power of two is twice it; here the capacity itself is one).
 *   - Every slot holds a STAMP word and then the item's words. Slot i starts at stamp
 *     `{ lap 0, index i }`. A sender that reads tail T and finds the stamp of T's slot equal to T
 *     may claim the slot by CAS(TAIL, T, T's successor); it then writes the item and publishes it
 *     by storing stamp T + 1. A receiver that reads head H and finds stamp H + 1 claims by
 *     CAS(HEAD, H, H's successor), copies the item out and frees the slot for the next lap by
 *     storing stamp H + ONE_LAP. A stamp of ONE_LAP less than a sender's expectation means full
 *     (when HEAD also lags TAIL by a lap); a stamp equal to H means empty (when TAIL, less MARK,
 *     equals H); any other stamp means a claim of the other side is in flight on that slot, and
 *     the operation retries (crossbeam "snoozes"). Senders thus CAS TAIL and receivers CAS HEAD:
 *     with one producer and one consumer neither CAS ever fails, and the two threads share only
 *     the slots (and a look at the other side's index when they find full or empty).
 *   - Every comparison is an equality of 32-bit words and every sum wraps (`| 0`), as crossbeam's
 *     `wrapping_add`, so HEAD and TAIL run past 2^32 without harm (test: the `initialIndex` option).
 *     A stale index could only be mistaken for the current one after 2^32 / ONE_LAP laps (at
 *     least 8: the capacity is at most 2^28 here, below the Ring's 2^30).
 *   - close() sets MARK in TAIL with one Atomics.or, as crossbeam's `disconnect()`: a sender's CAS
 *     on TAIL then fails, so a send either claimed its slot before close() (and its item is
 *     received: a receiver that finds its slot not yet written retries until it is) or throws
 *     ChannelClosedError; no send succeeds after close() returns. A receiver that finds the queue
 *     empty and MARK set knows that nothing will ever come ('closed'). A thread that dies between
 *     its claim and its stamp store (terminate() mid-send) leaves that slot in flight for good, as
 *     a lock holder that dies leaves the old design's guard held: the receivers then spin.
 *
 * Waiting (unchanged in kind): each side is an eventcount (doorbell.ts) with sleeper counts: a
 * waiter counts itself in its side's SLEEPERS, reads its side's SEQ, tries its operation, and
 * parks on SEQ only when that failed (full for a sender, empty and open for a receiver). A
 * successful send wakes one receiver, a successful receive one sender, and close() every waiter of
 * both sides; each only when that side's SLEEPERS is above 0: the notify side is one load when
 * nobody sleeps (then SEQ is bumped and 1 + GHOSTS are notified). No wake-up is lost: every step
 * is a sequentially consistent Atomics operation, so a notifier that reads SLEEPERS as 0 published
 * its stamp (or MARK) before the waiter counted itself, and the waiter's try sees it; one that reads
 * it above 0 bumps SEQ after the waiter read SEQ, so a waiter that parks later returns at once.
 * (GHOSTS alone, with SLEEPERS 0, need no notify: an aborted park is only woken with a real
 * waiter behind it.) A notify of one wakes the earliest parked waiter, which tries its operation
 * before it looks at its deadline, so a wake-up is never spent on a waiter that then times out
 * with an item (or a slot) left for another. Before it counts itself a sleeper, a blocking
 * send() or recv() polls its operation for an adaptive window (poll-window.ts, QEMU's policy, per
 * view and side), which spares the wake-up when the other side is running.
 *
 * Async forms (sendAsync, recvAsync, the async iterator) park with Atomics.waitAsync, and take an
 * AbortSignal; an aborted wait leaves a ghost (async-abort.ts explains the cancellation): notifies
 * of one wake 1 + GHOSTS, and an abandoned park that was notified passes its wake-up on.
 *
 * Statistics: lockStats() keeps its LockStats shape, now for the queue's index claims instead of
 * a guard lock: acquisitions = successful claims (items sent plus items received), contentions =
 * tries that had to retry (a CAS lost to the same side, or a slot with a claim in flight),
 * spins = those retries, parks = parks of the waiting forms, timeouts = sends and receives that
 * timed out; waitNsTotal and waitNsMax are 0. The `guard` option is still accepted, checked and
 * reported (guardKind), but no lock is taken any more.
 *
 * Memory (byte offsets from the channel's byteOffset, a multiple of 8):
 *     0  MAGIC (written once, last, by the creator), CLOSED (reserved: the closed bit is MARK in
 *        TAIL), GUARD (index of the `guard` option's kind in LOCK_KINDS), CAPACITY, SLOT_WORDS,
 *        SNOOZE (always 0: a word to sleep on briefly while another thread's claim is in flight)
 *    64  receivers: RECV_SEQ (bumped by a send or close() that wakes receivers), RECV_SLEEPERS,
 *        RECV_GHOSTS (each receiver adds and subtracts its own 1)
 *   128  senders: SEND_SEQ, SEND_SLEEPERS, SEND_GHOSTS (the same, for senders waiting for room)
 *   192  TAIL, then the senders' statistics (pairs lo, hi: claims, contentions, spins, parks, timeouts)
 *   256  HEAD, then the receivers' statistics (the same)
 *   320  capacity slots of (1 + slotWords) words: STAMP, then the item
 */
import {
  checkHandle,
  checkTimeout,
  claimRegion,
  existingRegion,
  openExisting,
  type ExistingRegion,
  type Region,
} from '../sync/region.js';
import { LOCK_KINDS, type LockKindName } from '../sync/lock-base.js';
import type { LockStats } from '../sync/lock-stats.js';
import { deadlineNs, msUntil, nowNs } from '../sync/clock.js';
import { parkBlocking, type ParkLoop } from '../sync/park.js';
import { DEFAULT_POLL_MAX_NS, PollWindow } from '../sync/poll-window.js';
import { notifyCounted } from '../sync/wait-account.js';
import {
  checkedLiveSignal,
  parkAbortable,
  type AbortableWaitOptions,
  type WaitLoop,
  type AbortSignalLike,
} from '../sync/async-abort.js';

const MAGIC = 0;
const GUARD = 2;
const CAPACITY = 3;
const SLOT_WORDS = 4;
const SNOOZE = 5;
/** First word of each side's eventcount. */
const RECV = 16;
const SEND = 32;
/** Offsets within a side's eventcount. */
const SEQ = 0;
const SLEEPERS = 1;
const GHOSTS = 2;
/** Each side's index word, followed by that side's statistics (pairs lo, hi). */
const TAIL = 48;
const HEAD = 64;
const CLAIMS = 1;
const CONTENTIONS = 3;
const SPINS = 5;
const PARKS = 7;
const TIMEOUTS = 9;
/** First slot: STAMP, then slotWords words of item. */
const SLOTS = 80;
const HEADER_BYTES = SLOTS * 4;
const MAGIC_CHANNEL = 0x4348414e; // "CHAN"
const DEFAULT_GUARD: LockKindName = 'adaptive';
/** The largest capacity: ONE_LAP = 2 * capacity leaves at least 8 laps in 32 bits. */
const MAX_CAPACITY = 2 ** 28;
const MAX_SLOT_WORDS = 1024;
/** Retries of a slot with another thread's claim in flight before each brief sleep, and its length. */
const SNOOZE_SPINS = 64;
const SNOOZE_MS = 0.02;
const TWO_32 = 2 ** 32;

/** Shape of a channel. */
export interface ChannelShape {
  /** Items it holds at most: a power of two from 1 to 2^28. */
  capacity: number;
  /** Int32 words per item (1 to 1024). */
  slotWords: number;
  /**
   * A lock kind, checked and reported as `guardKind` (default 'adaptive'). The channel no longer
   * takes a lock (it is a lock-free queue, see channel.ts); kept so that existing options still work.
   */
  guard?: LockKindName;
}

/** Options of a new Channel. */
export interface ChannelOptions extends ChannelShape, Partial<Region> {
  /**
   * For tests of index wrap-around: the first value of the head and tail words, an unsigned
   * 32-bit integer whose bit `capacity` (the closed mark) is clear. Default 0.
   */
  initialIndex?: number;
}

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
 * after crossbeam-channel's bounded channels: Vyukov's bounded MPMC queue with the closed mark in
 * the tail, and sleeper-counted waits on each side (see the top of channel.ts).
 */
export class Channel {
  /** Bytes a channel of this shape needs in a SharedArrayBuffer (byteOffset must be a multiple of 8). */
  static byteLength(shape: ChannelShape): number {
    checkShape(shape.capacity, shape.slotWords);
    checkGuard(shape.guard);
    return HEADER_BYTES + shape.capacity * (1 + shape.slotWords) * 4;
  }

  /** Pass this to another thread and call `Channel.from(handle)` there to use the same channel. */
  readonly handle: ChannelHandle;
  /** Items it holds at most. */
  readonly capacity: number;
  /** Int32 words per item. */
  readonly slotWords: number;
  /** The kind given as the `guard` option (no lock is taken: see ChannelShape.guard). */
  readonly guardKind: LockKindName;
  private readonly i32: Int32Array;
  /** The closed mark in TAIL (= capacity); capacity - 1 masks the index. */
  private readonly mark: number;
  private readonly oneLap: number;
  private readonly lapMask: number;
  /** Words per slot. */
  private readonly stride: number;
  /** This view's adaptive poll windows before a blocking send or recv parks (per thread: plain JS state). */
  private readonly sendWindow = new PollWindow(DEFAULT_POLL_MAX_NS);
  private readonly recvWindow = new PollWindow(DEFAULT_POLL_MAX_NS);
  private readonly wakeReceiver = (): void => this.wakeOne(RECV);
  private readonly wakeSender = (): void => this.wakeOne(SEND);

  /**
   * Creates a channel in `options` (buffer, byteOffset) or in a buffer of its own. (An
   * {@link ExistingRegion} opens a view instead: that is what {@link Channel.from} passes.)
   * @throws RangeError when the capacity is not a power of two from 1 to 2^28, slotWords not an
   *   integer from 1 to 1024, initialIndex is not valid, or the region is misplaced; TypeError for
   *   an unknown guard kind.
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
      this.capacity = shape.capacity;
      this.slotWords = shape.slotWords;
    } else {
      ({ buffer, byteOffset } = claimRegion('Channel', existing, HEADER_BYTES, 8));
      const header = new Int32Array(buffer, byteOffset, HEADER_BYTES / 4);
      if (Atomics.load(header, MAGIC) !== MAGIC_CHANNEL) {
        const what = `the region at byteOffset ${byteOffset}`;
        throw new TypeError(`Channel.from: ${what} does not hold an initialised Channel`);
      }
      this.guardKind = LOCK_KINDS[header[GUARD]!]!;
      this.capacity = header[CAPACITY]!;
      this.slotWords = header[SLOT_WORDS]!;
    }
    this.stride = 1 + this.slotWords;
    this.mark = this.capacity;
    this.oneLap = 2 * this.capacity;
    this.lapMask = ~(this.oneLap - 1);
    this.i32 = new Int32Array(buffer, byteOffset, SLOTS + this.capacity * this.stride);
    if (existing === undefined) this.initialise(options as ChannelOptions);
    this.handle = { kind: 'channel', buffer, byteOffset };
  }

  /** Writes a new channel's words; MAGIC last. */
  private initialise(options: ChannelOptions): void {
    const i32 = this.i32;
    const start = options.initialIndex ?? 0;
    if (!Number.isInteger(start) || start < 0 || start >= TWO_32 || (start & this.mark) !== 0) {
      const why = `an integer from 0 to 2^32 - 1 with bit ${this.mark} clear`;
      throw new RangeError(`Channel: initialIndex must be ${why}, got ${String(start)}`);
    }
    i32.fill(0);
    i32[GUARD] = LOCK_KINDS.indexOf(this.guardKind);
    i32[CAPACITY] = this.capacity;
    i32[SLOT_WORDS] = this.slotWords;
    const first = start | 0;
    const index = first & (this.mark - 1);
    const lap = first & this.lapMask;
    // Slot i is free for the lap in which the index next reaches it: this lap from `index` on, the next one before.
    for (let i = 0; i < this.capacity; i++) {
      i32[SLOTS + i * this.stride] = (i >= index ? lap : (lap + this.oneLap) | 0) | i;
    }
    i32[TAIL] = first;
    i32[HEAD] = first;
    Atomics.store(i32, MAGIC, MAGIC_CHANNEL);
  }

  /** A view of the channel described by `handle`, e.g. in another worker. */
  static from(handle: ChannelHandle): Channel {
    const { buffer, byteOffset } = checkHandle<ChannelHandle>('Channel', handle, 'channel');
    return new Channel(openExisting({ buffer, byteOffset }));
  }

  /**
   * Sends `item` (exactly `slotWords` numbers, stored as Int32) if there is room now. Never waits
   * (but for a receiver or sender of the same slot that is halfway through, a few words' copy).
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
    const start = nowNs();
    if (timeout > 0 && this.sendWindow.poll(() => this.pushOnce(item))) return true;
    const sent = parkBlocking(this.i32, this.sendLoop(item, deadlineNs(start, timeout), undefined));
    if (sent) this.sendWindow.parked(nowNs() - start);
    return sent;
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
   * (but for a sender or receiver of the same slot that is halfway through, a few words' copy).
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
    let now = this.popOnce(into);
    if (now !== 'empty') return now;
    const start = nowNs();
    if (timeout > 0 && this.recvWindow.poll(() => (now = this.popOnce(into)) !== 'empty')) return now as RecvResult;
    const result = parkBlocking(this.i32, this.recvLoop(into, deadlineNs(start, timeout), undefined));
    if (result === 'item') this.recvWindow.parked(nowNs() - start);
    return result;
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
    const was = Atomics.or(this.i32, TAIL, this.mark);
    if ((was & this.mark) !== 0) return false;
    this.wakeAll(RECV);
    this.wakeAll(SEND);
    return true;
  }

  /** Whether close() was called. Never blocks. */
  isClosed(): boolean {
    return (Atomics.load(this.i32, TAIL) & this.mark) !== 0;
  }

  /** Items in the channel now (a snapshot; crossbeam's `len`). Never blocks. */
  size(): number {
    const i32 = this.i32;
    const indexMask = this.mark - 1;
    for (;;) {
      const tail = Atomics.load(i32, TAIL);
      const head = Atomics.load(i32, HEAD);
      if (Atomics.load(i32, TAIL) !== tail) continue;
      const hix = head & indexMask;
      const tix = tail & indexMask;
      if (hix < tix) return tix - hix;
      if (hix > tix) return this.capacity - hix + tix;
      return (tail & ~this.mark) === head ? 0 : this.capacity;
    }
  }

  /** Receivers and senders parked or about to park now (a snapshot). Never blocks. */
  sleepers(): { receivers: number; senders: number } {
    return {
      receivers: Atomics.load(this.i32, RECV + SLEEPERS),
      senders: Atomics.load(this.i32, SEND + SLEEPERS),
    };
  }

  /**
   * The queue's claim statistics in a lock's shape (lock-stats.ts), both sides together:
   * acquisitions = items sent plus items received, contentions = tries that had to retry, spins =
   * their retries, parks = parks of the waiting forms, timeouts = sends and receives that timed
   * out; waitNsTotal and waitNsMax are 0 (the channel takes no lock any more).
   */
  lockStats(): LockStats {
    const sum = (at: number): number => readPair(this.i32, TAIL + at) + readPair(this.i32, HEAD + at);
    return {
      acquisitions: sum(CLAIMS),
      contentions: sum(CONTENTIONS),
      spins: sum(SPINS),
      parks: sum(PARKS),
      waitNsTotal: 0,
      waitNsMax: 0,
      timeouts: sum(TIMEOUTS),
    };
  }

  /** One try at a send (crossbeam's start_send and write): false when full; wakes a receiver when it sent. */
  private pushOnce(item: ArrayLike<number>): boolean {
    const i32 = this.i32;
    const mark = this.mark;
    let tail = Atomics.load(i32, TAIL);
    for (let retries = 0; ; retries++) {
      if ((tail & mark) !== 0) {
        this.countRetries(TAIL, retries);
        throw new ChannelClosedError('send on a closed channel');
      }
      const index = tail & (mark - 1);
      const slot = SLOTS + index * this.stride;
      const stamp = Atomics.load(i32, slot);
      if (stamp === tail) {
        const next = index + 1 < this.capacity ? tail + 1 : ((tail & this.lapMask) + this.oneLap) | 0;
        const seen = Atomics.compareExchange(i32, TAIL, tail, next);
        if (seen === tail) {
          const words = this.slotWords;
          for (let w = 0; w < words; w++) i32[slot + 1 + w] = item[w]!;
          Atomics.store(i32, slot, (tail + 1) | 0); // publishes the item
          this.wakeOne(RECV);
          addPair(i32, TAIL + CLAIMS, 1);
          this.countRetries(TAIL, retries);
          return true;
        }
        tail = seen;
      } else if (((stamp + this.oneLap) | 0) === ((tail + 1) | 0)) {
        // The slot holds last lap's item: full, if the head lags a lap behind too.
        if (((Atomics.load(i32, HEAD) + this.oneLap) | 0) === tail) {
          this.countRetries(TAIL, retries);
          return false;
        }
        tail = Atomics.load(i32, TAIL);
      } else {
        this.snooze(retries); // a receiver is taking the slot's last item, or our tail is stale
        tail = Atomics.load(i32, TAIL);
      }
    }
  }

  /** One try at a receive (crossbeam's start_recv and read); wakes a sender when it received. */
  private popOnce(into: Int32Array): TryRecvResult {
    const i32 = this.i32;
    let head = Atomics.load(i32, HEAD);
    for (let retries = 0; ; retries++) {
      const index = head & (this.mark - 1);
      const slot = SLOTS + index * this.stride;
      const stamp = Atomics.load(i32, slot);
      if (stamp === ((head + 1) | 0)) {
        const next = index + 1 < this.capacity ? head + 1 : ((head & this.lapMask) + this.oneLap) | 0;
        const seen = Atomics.compareExchange(i32, HEAD, head, next);
        if (seen === head) {
          const words = this.slotWords;
          for (let w = 0; w < words; w++) into[w] = i32[slot + 1 + w]!;
          Atomics.store(i32, slot, (head + this.oneLap) | 0); // frees the slot for the next lap
          this.wakeOne(SEND);
          addPair(i32, HEAD + CLAIMS, 1);
          this.countRetries(HEAD, retries);
          return 'item';
        }
        head = seen;
      } else if (stamp === head) {
        // Not written yet: empty if the tail (less the mark) is here too, else a send is in flight.
        const tail = Atomics.load(i32, TAIL);
        if ((tail & ~this.mark) === head) {
          this.countRetries(HEAD, retries);
          return (tail & this.mark) !== 0 ? 'closed' : 'empty';
        }
        this.snooze(retries);
        head = Atomics.load(i32, HEAD);
      } else {
        this.snooze(retries); // a sender is filling the slot, or our head is stale
        head = Atomics.load(i32, HEAD);
      }
    }
  }

  /** Spins; every SNOOZE_SPINS retries, sleeps briefly so that a preempted thread mid-claim can run. */
  private snooze(retries: number): void {
    if (retries % SNOOZE_SPINS === SNOOZE_SPINS - 1) Atomics.wait(this.i32, SNOOZE, 0, SNOOZE_MS);
  }

  private countRetries(side: number, retries: number): void {
    if (retries === 0) return;
    addPair(this.i32, side + CONTENTIONS, 1);
    addPair(this.i32, side + SPINS, retries);
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
        if (waitMs <= 0) {
          addPair(i32, TAIL + TIMEOUTS, 1);
          return false;
        }
        addPair(i32, TAIL + PARKS, 1);
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
        if (waitMs <= 0) {
          addPair(i32, HEAD + TIMEOUTS, 1);
          return 'timed-out';
        }
        addPair(i32, HEAD + PARKS, 1);
        yield { index: RECV + SEQ, value: seq, timeoutMs: waitMs };
        if (signal?.aborted === true) throw signal.reason;
      }
    } finally {
      Atomics.sub(i32, RECV + SLEEPERS, 1);
    }
  }

  /** Wakes one waiter of `side` (and every ghost ahead of it), if one is counted: one load when none is. */
  private wakeOne(side: number): void {
    const i32 = this.i32;
    // SLEEPERS before GHOSTS: an abort raises GHOSTS before it lowers SLEEPERS (async-abort.ts).
    if (Atomics.load(i32, side + SLEEPERS) === 0) return;
    const ghosts = Atomics.load(i32, side + GHOSTS);
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

/** Adds `n` (small) to the counter pair at `at` (lo, hi), carrying into hi when lo wraps. */
function addPair(i32: Int32Array, at: number, n: number): void {
  const old = Atomics.add(i32, at, n) >>> 0;
  if (old + n >= TWO_32) Atomics.add(i32, at + 1, 1);
}

/** The counter pair at `at`, read as hi * 2^32 + lo from a consistent hi. */
function readPair(i32: Int32Array, at: number): number {
  for (;;) {
    const hi = Atomics.load(i32, at + 1);
    const lo = Atomics.load(i32, at) >>> 0;
    if (Atomics.load(i32, at + 1) === hi) return hi * TWO_32 + lo;
  }
}

function checkShape(capacity: number, slotWords: number): void {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`Channel: capacity must be a power of two from 1 to 2^28, got ${String(capacity)}`);
  }
  if (!Number.isInteger(slotWords) || slotWords < 1 || slotWords > MAX_SLOT_WORDS) {
    throw new RangeError(`Channel: slotWords must be an integer from 1 to ${MAX_SLOT_WORDS}, got ${String(slotWords)}`);
  }
}

function checkGuard(guard: LockKindName | undefined): LockKindName {
  if (guard === undefined) return DEFAULT_GUARD;
  if (!LOCK_KINDS.includes(guard)) {
    throw new TypeError(`Channel: guard must be one of ${LOCK_KINDS.join(', ')}, got ${String(guard)}`);
  }
  return guard;
}
