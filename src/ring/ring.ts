/**
 * Ring: a bounded FIFO of fixed-size slots in a SharedArrayBuffer.
 *
 * Each slot is `slotWords` Int32 words (a request descriptor in the emulator).
 * Without a guard the ring is single-producer/single-consumer and lock-free
 * (Lamport's ring, as in padenot/ringbuf.js). With `guard` set to a lock kind
 * every push and pop takes that lock, so any number of producers and
 * consumers may share it: the paper's shared circular queue. Two modes sit in
 * between, each for one consumer and many producers:
 *   - `producers: 'multi'` (unguarded): producers reserve slots with a
 *     compare-and-swap and publish them in reservation order, lock-free, as
 *     DPDK's rte_ring does (multi-producer.ts explains it);
 *   - `guardPops: false` (guarded): pushes take the guard, pops do not (below).
 *
 * Memory (byte offsets from the ring's byteOffset):
 *     0  HEAD   index of the next slot to pop; written by the consumer only
 *    64  TAIL   index of the next slot to push; written by the producer only
 *   128  MAGIC, CAPACITY, SLOT_WORDS, GUARD kind, PRODUCERS (0 single, 1 multi),
 *        POP_GUARD (1 when pops take the guard) (written once, at creation)
 *   192  data doorbell: consumers park here, pushes ring it
 *   256  space doorbell: producers park here, pops ring it
 *   320  'multi' rings only: PROD_HEAD, the publication spin budget, doorbells
 *        and statistics (six lines, see multi-producer.ts)
 *   320  guarded rings only: the guard lock (lockBytes(kind) bytes)
 *   ...  slots: capacity * slotWords Int32 words
 * HEAD and TAIL sit on separate 64-byte lines so that the producer and the
 * consumer do not invalidate each other's line on every operation. A ring is
 * never both 'multi' and guarded (the constructor refuses it: a guard already
 * serializes the producers, and the two would only add their costs).
 *
 * Indices run freely as 32-bit integers and wrap past 2^32: the number of
 * slots in use is (TAIL - HEAD) mod 2^32, and a slot's place is
 * index & (capacity - 1), which is why the capacity is a power of two (and
 * at most 2^30, so that a count never reaches 2^31).
 *
 * Ordering: a producer writes the slot words with plain stores and then
 * publishes them with Atomics.store(TAIL); a consumer reads TAIL with
 * Atomics.load before it reads the slot words, and frees them with
 * Atomics.store(HEAD). Atomics are sequentially consistent, so the plain
 * accesses are ordered by them (no data race in the JS memory model).
 *
 * The one-item path of an unguarded ring (push, pop) is Lamport's queue with cached indices,
 * as in MCRingBuffer (Lee, Bu and Chandranmenon, IPDPS 2010) and FastForward (Giacomoni,
 * Moseley and Vachharajani, PPoPP 2008): each view keeps a private copy of the other side's
 * index (headSeen for a producer, tailSeen for a consumer) and reads the shared one only
 * when its copy says full (or empty). A copy is never ahead of the real index, because the
 * other side only ever moves it forward, so it can only understate the room (or the data):
 * the cached test errs on the safe side, and re-reading settles it. A view also remembers the
 * index it last wrote; when the shared one differs (another view pushed, or popped) it drops
 * its copy, so producers and consumers may still hand their role from one view to another.
 * The batch paths and every guarded ring read both indices each time, as before. The
 * consumer of a 'multi' ring, or of a guarded one with guardPops false, keeps this pop path:
 * its producers, however many, still only ever move TAIL forward.
 *
 * A push still loads the data doorbell's sleeper count (and a pop the space doorbell's),
 * even on the fast path. Skipping that load is safe only when the consumer cannot be parked,
 * and a producer cannot know that without a fresh load of HEAD (a consumer parks after it
 * saw the ring empty, which a stale headSeen does not show), the very load the cache is
 * there to save; a consumer in waitForData(timeout, count > 1) also parks with data in the
 * ring. The sleeper count sits on a line that changes only when somebody parks, so its load
 * almost always hits the cache.
 *
 * A guard that only producers take (`guardPops: false`): pushes serialize on the guard, and
 * under it each producer does exactly what the single producer of an unguarded ring does (read
 * HEAD and TAIL with Atomics.load, write the slots, Atomics.store(TAIL)); the lock's own
 * acquire and release order one holder's store of TAIL before the next holder's load, so the
 * producers together act as one. The consumer, alone, does what the single consumer of an
 * unguarded ring does, without the lock. The two sides never write the same word (HEAD is the
 * consumer's, TAIL and the slots between TAIL and HEAD + capacity the producers'), and the
 * ordering argument of the SPSC ring above holds unchanged between the producer of the moment
 * and the consumer: this is how QEMU's virtqueue_pop runs without the guest's lock, the ring's
 * indices and memory barriers ordering producer and consumer. It needs one consumer at a time:
 * two consumers without a lock could pop the same slot.
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
import {
  createLock,
  lockBytes,
  lockFromHandle,
  lockHandleKind,
  type LockOptions,
} from '../sync/create-lock.js';
import { LOCK_KINDS, type Lock, type LockKindName } from '../sync/lock-base.js';
import type { LockStats } from '../sync/lock-stats.js';
import { Doorbell } from '../sync/doorbell.js';
import { DEFAULT_POLL_MAX_NS, PollWindow } from '../sync/poll-window.js';
import { waitUntil, waitUntilAsync } from '../sync/wait-until.js';
import { MULTI_PRODUCER_BYTES, MultiProducer } from './multi-producer.js';
import type { AsyncWaitOptions } from '../sync/park.js';

const HEAD = 0;
const TAIL = 16;
const MAGIC = 32;
const CAPACITY = 33;
const SLOT_WORDS = 34;
const GUARD = 35;
const PRODUCERS = 36;
const POP_GUARD = 37;
const DATA_BELL = 48;
const SPACE_BELL = 64;
const HEADER_BYTES = 5 * CACHE_LINE;
const MAGIC_RING = 0x52494e47; // "RING"
/** The GUARD word's values: 0 = no guard, then the lock kinds in LOCK_KINDS order. */
const GUARDS: readonly (LockKindName | null)[] = [null, ...LOCK_KINDS];
/** Who may push into a ring: one thread at a time, or any number at once; the PRODUCERS word's values, in order. */
export const RING_PRODUCERS = ['single', 'multi'] as const;
/** A value of {@link RingShape.producers}. */
export type RingProducers = (typeof RING_PRODUCERS)[number];
const MAX_CAPACITY = 2 ** 30;
/** What headPopped and tailPushed start as: no Int32 index equals it, so a first push or pop reads afresh. */
const NOT_AN_INDEX = 0.5;

/** Shape of a ring. */
export interface RingShape {
  /** Number of slots: a power of two. */
  capacity: number;
  /** Int32 words per slot. */
  slotWords: number;
  /**
   * Lock taken by every push and (unless guardPops is false) every pop; omitted or null = an
   * unguarded ring, lock-free: single-producer/single-consumer, or see `producers`.
   */
  guard?: LockKindName | null;
  /**
   * On an unguarded ring: 'single' (the default) for one producer at a time, 'multi' for any number
   * of producers pushing at once, lock-free (one consumer still). A guarded ring takes 'single' only.
   */
  producers?: RingProducers;
  /**
   * On a guarded ring: false makes pop and popBatch skip the guard, which only pushes then take: any
   * number of producers, ONE consumer. Default true. An unguarded ring takes true only.
   */
  guardPops?: boolean;
}

/** Options of a new Ring. */
export interface RingOptions extends RingShape, Partial<Region> {
  /** Value HEAD and TAIL start from (tests use 2^32 - small to cross the wrap). Default 0. */
  initialIndex?: number;
  /** The guard lock's spin options (createLock's LockOptions: e.g. `{ spin }`, PvLock's SPIN_THRESHOLD). */
  guardOptions?: Pick<LockOptions, 'spin' | 'spinMax' | 'spinThreshold'>;
  /** Ceiling of this view's adaptive polling window in waitForData/waitForSpace, ns; 0 parks at once. */
  pollMaxNs?: number;
}

/** Options of a view opened with Ring.from(). */
export interface RingViewOptions {
  /** Ceiling of this view's adaptive polling window in waitForData/waitForSpace, ns; 0 parks at once. */
  pollMaxNs?: number;
}

/** A structured-cloneable description of a ring; `Ring.from(handle)` in another worker. */
export interface RingHandle {
  /** Always `ring`. */
  kind: 'ring';
  /** The shared memory the ring lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/**
 * A bounded FIFO of fixed-size slots in shared memory: lock-free for one producer and one
 * consumer, or guarded by a lock for any number (see the top of ring.ts for its layout). For
 * many producers and one consumer: lock-free with `producers: 'multi'`, or with a guard that
 * only pushes take (`guardPops: false`).
 */
export class Ring {
  /** Bytes a ring of this shape needs in a SharedArrayBuffer (byteOffset must be a multiple of 8; 64 is best). */
  static byteLength(shape: RingShape): number {
    checkShape(shape);
    const slotBytes = shape.capacity * shape.slotWords * 4;
    return headerBytes(shape.producers ?? 'single') + guardBytes(shape.guard ?? null) + slotBytes;
  }

  /** Pass this to another thread and call `Ring.from(handle)` there to use the same ring. */
  readonly handle: RingHandle;
  /** Number of slots (a power of two). */
  readonly capacity: number;
  /** Int32 words per slot. */
  readonly slotWords: number;
  /** The lock every push (and, unless guardPops is false, every pop) takes, or null for an unguarded ring. */
  readonly guard: Lock | null;
  /** 'multi' when any number of threads may push at once without a guard; else 'single'. */
  readonly producers: RingProducers;
  /** Whether pops take the guard: true on a guarded ring unless created with guardPops false; false unguarded. */
  readonly guardPops: boolean;
  private readonly mask: number;
  private readonly i32: Int32Array;
  private readonly slots: Int32Array;
  private readonly dataBell: Doorbell;
  private readonly spaceBell: Doorbell;
  /** This view's polling windows: one per kind of wait, since each adapts to its own waits. */
  private readonly dataPoll: PollWindow;
  private readonly spacePoll: PollWindow;
  /** Whether push() leaves the one-item fast path: guarded, or 'multi'. */
  private readonly sharedPush: boolean;
  /** The guard when pops take it, else null. */
  private readonly popGuard: Lock | null;
  /** The reservation and publication of a 'multi' ring's producers, else null. */
  private readonly multi: MultiProducer | null;
  /** The index producers fill up to: TAIL, or a 'multi' ring's PROD_HEAD (reserved slots count as used). */
  private readonly producerIndex: number;
  /** Producer side of the one-item path: HEAD as last read (never ahead of the real one), TAIL as last written. */
  private headSeen = 0;
  private tailPushed = NOT_AN_INDEX;
  /** Consumer side: TAIL as last read (never ahead of the real one), HEAD as last written. */
  private tailSeen = 0;
  private headPopped = NOT_AN_INDEX;
  /** How many descriptors the waitForData in progress waits for. */
  private dataWanted = 1;
  /**
   * Pushes through this view that woke a consumer parked in waitForData (each one Atomics.notify):
   * in the emulator, the interrupts a completion ring's producer sent. A plain count of this view.
   */
  consumerWakeups = 0;
  private readonly hasData = (): boolean => this.size() >= this.dataWanted;
  private readonly hasSpace = (): boolean => !this.isFull();

  /**
   * Creates a ring in `options` (buffer, byteOffset) or in a buffer of its
   * own. (An {@link ExistingRegion} opens a view instead: that is what
   * {@link Ring.from} passes.)
   */
  constructor(options: RingOptions | (ExistingRegion & RingViewOptions)) {
    const existing = existingRegion(options);
    let buffer: SharedArrayBuffer;
    let byteOffset: number;
    let guardKind: LockKindName | null;
    let producers: RingProducers;
    let guardPops: boolean;
    if (existing === undefined) {
      const shape = options as RingOptions;
      ({ buffer, byteOffset } = claimRegion('Ring', shape, Ring.byteLength(shape), 8));
      guardKind = shape.guard ?? null;
      producers = shape.producers ?? 'single';
      guardPops = guardKind !== null && shape.guardPops !== false;
      this.capacity = shape.capacity;
      this.slotWords = shape.slotWords;
    } else {
      ({ buffer, byteOffset } = claimRegion('Ring', existing, HEADER_BYTES, 8));
      const header = new Int32Array(buffer, byteOffset, HEADER_BYTES / 4);
      if (Atomics.load(header, MAGIC) !== MAGIC_RING) {
        throw new TypeError(`Ring.from: the region at byteOffset ${byteOffset} does not hold an initialised Ring`);
      }
      this.capacity = header[CAPACITY]!;
      this.slotWords = header[SLOT_WORDS]!;
      guardKind = GUARDS[header[GUARD]!] ?? null;
      producers = RING_PRODUCERS[header[PRODUCERS]!] ?? 'single';
      guardPops = header[POP_GUARD] === 1;
    }
    this.handle = { kind: 'ring', buffer, byteOffset };
    this.producers = producers;
    this.guardPops = guardPops;
    this.mask = this.capacity - 1;
    const headerLength = headerBytes(producers);
    this.i32 = new Int32Array(buffer, byteOffset, headerLength / 4);
    const guardOffset = byteOffset + headerLength;
    const slotsOffset = guardOffset + guardBytes(guardKind);
    this.slots = new Int32Array(buffer, slotsOffset, this.capacity * this.slotWords);
    this.dataBell = new Doorbell(this.i32, DATA_BELL);
    this.spaceBell = new Doorbell(this.i32, SPACE_BELL);
    this.dataPoll = new PollWindow(checkPollMaxNs(options.pollMaxNs));
    this.spacePoll = new PollWindow(this.dataPoll.maxNs);
    const guardRegion = { buffer, byteOffset: guardOffset };
    let start: number | undefined;
    if (existing === undefined) {
      this.i32.fill(0);
      start = checkInitialIndex((options as RingOptions).initialIndex);
      this.i32[HEAD] = start;
      this.i32[TAIL] = start;
      this.i32[CAPACITY] = this.capacity;
      this.i32[SLOT_WORDS] = this.slotWords;
      this.i32[GUARD] = GUARDS.indexOf(guardKind);
      this.i32[PRODUCERS] = RING_PRODUCERS.indexOf(producers);
      this.i32[POP_GUARD] = guardPops ? 1 : 0;
      const guardOptions = (options as RingOptions).guardOptions ?? {};
      this.guard = guardKind === null ? null : createLock(guardKind, { ...guardOptions, ...guardRegion });
    } else {
      this.guard = guardKind === null ? null : lockFromHandle({ kind: lockHandleKind(guardKind), ...guardRegion });
    }
    const block = HEADER_BYTES; // where a 'multi' ring's producer block starts
    this.multi =
      producers === 'multi' ? new MultiProducer(this.i32, block / 4, byteOffset + block, HEAD, TAIL, start) : null;
    // Written last, once every word above is: a view opened before this would refuse the region.
    if (existing === undefined) Atomics.store(this.i32, MAGIC, MAGIC_RING);
    this.sharedPush = this.guard !== null || this.multi !== null;
    this.popGuard = guardPops ? this.guard : null;
    this.producerIndex = this.multi === null ? TAIL : this.multi.prodHead;
  }

  /** A view of the ring described by `handle`, e.g. in another worker. */
  static from(handle: RingHandle, options: RingViewOptions = {}): Ring {
    const { buffer, byteOffset } = checkHandle<RingHandle>('Ring', handle, 'ring');
    return new Ring({ ...openExisting({ buffer, byteOffset }), ...options });
  }

  /**
   * Descriptors in the ring now, ready to pop (a snapshot when other threads are active). Never
   * blocks. On a 'multi' ring, slots reserved but not yet published are not counted (see isFull).
   */
  size(): number {
    return (Atomics.load(this.i32, TAIL) - Atomics.load(this.i32, HEAD)) >>> 0;
  }

  /** Whether no slot is in use now (a snapshot). Never blocks. */
  isEmpty(): boolean {
    return Atomics.load(this.i32, TAIL) === Atomics.load(this.i32, HEAD);
  }

  /**
   * Whether every slot is in use now (a snapshot), so that a push would fail. Never blocks. On a
   * 'multi' ring, slots reserved by a producer that has not published them yet count as in use
   * (size() does not count them yet).
   */
  isFull(): boolean {
    return (Atomics.load(this.i32, this.producerIndex) - Atomics.load(this.i32, HEAD)) >>> 0 >= this.capacity;
  }

  /**
   * Copies one descriptor (`slotWords` numbers from `slot`) in. Never blocks.
   * On an unguarded 'single' ring this is the fast path (cached indices, see the top of this file);
   * on a guarded or 'multi' one it is pushBatch of one descriptor (and may wait as that does).
   * @returns false when the ring is full.
   * @throws RangeError when `slot` holds fewer than `slotWords` numbers.
   */
  push(slot: ArrayLike<number>): boolean {
    if (this.sharedPush || slot.length < this.slotWords) return this.pushBatch(slot, 1) === 1;
    const i32 = this.i32;
    const tail = Atomics.load(i32, TAIL);
    const capacity = this.capacity;
    if (tail !== this.tailPushed || (tail - this.headSeen) >>> 0 >= capacity) {
      // The copy says full, or another view pushed since: read the consumer's index afresh.
      this.headSeen = Atomics.load(i32, HEAD);
      if ((tail - this.headSeen) >>> 0 >= capacity) return false;
    }
    const slots = this.slots;
    const sw = this.slotWords;
    const base = (tail & this.mask) * sw;
    for (let j = 0; j < sw; j++) slots[base + j] = slot[j]!;
    const next = (tail + 1) | 0;
    Atomics.store(i32, TAIL, next);
    this.tailPushed = next;
    if (this.dataBell.ring()) this.consumerWakeups++;
    return true;
  }

  /**
   * Copies one descriptor out into `out`. Never blocks. The fast path (as push()'s) when pops
   * take no guard: on an unguarded ring, or a guarded one with guardPops false.
   * @returns false when the ring is empty.
   * @throws RangeError when `out` has room for fewer than `slotWords` numbers.
   */
  pop(out: Int32Array): boolean {
    if (this.popGuard !== null || out.length < this.slotWords) return this.popBatch(out, 1) === 1;
    const i32 = this.i32;
    const head = Atomics.load(i32, HEAD);
    if (head !== this.headPopped || this.tailSeen === head) {
      // The copy says empty, or another view popped since: read the producer's index afresh.
      this.tailSeen = Atomics.load(i32, TAIL);
      if (this.tailSeen === head) return false;
    }
    const slots = this.slots;
    const sw = this.slotWords;
    const base = (head & this.mask) * sw;
    for (let j = 0; j < sw; j++) out[j] = slots[base + j]!;
    const next = (head + 1) | 0;
    Atomics.store(i32, HEAD, next);
    this.headPopped = next;
    this.spaceBell.ring();
    return true;
  }

  /**
   * Copies up to `count` descriptors, laid end to end in `src` from
   * descriptor `from` on, in under one lock acquisition. Returns how many went
   * in (fewer when the ring fills). Never waits, except for the guard of a guarded ring and, on a
   * 'multi' ring, for producers that reserved slots before this call to publish them (it spins,
   * then parks: see multi-producer.ts).
   * @throws RangeError when `src` holds fewer than `from + count` descriptors.
   */
  pushBatch(src: ArrayLike<number>, count: number = Math.floor(src.length / this.slotWords), from = 0): number {
    this.checkCount('pushBatch', 'src', src.length, count, from);
    const guard = this.guard;
    let n: number;
    if (guard === null) {
      const multi = this.multi;
      n = multi === null ? this.copyIn(src, count, from * this.slotWords) : this.copyInShared(multi, src, count, from);
    } else {
      guard.lock();
      try {
        n = this.copyIn(src, count, from * this.slotWords);
      } finally {
        guard.unlock();
      }
    }
    if (n > 0 && this.dataBell.ring()) this.consumerWakeups++;
    return n;
  }

  /**
   * Copies up to `max` descriptors out into `dst`, end to end from descriptor
   * `at` on, under one lock acquisition. Returns how many came out (0 when the
   * ring is empty). Never waits, except for the guard of a ring whose pops take it.
   * @throws RangeError when `dst` has room for fewer than `at + max` descriptors.
   */
  popBatch(dst: Int32Array, max: number = Math.floor(dst.length / this.slotWords), at = 0): number {
    this.checkCount('popBatch', 'dst', dst.length, max, at);
    const guard = this.popGuard;
    let n: number;
    if (guard === null) {
      n = this.copyOut(dst, max, at * this.slotWords);
    } else {
      guard.lock();
      try {
        n = this.copyOut(dst, max, at * this.slotWords);
      } finally {
        guard.unlock();
      }
    }
    if (n > 0) this.spaceBell.ring();
    return n;
  }

  /**
   * Waits until the ring holds at least `count` descriptors (default 1): polls
   * for an adaptive window, then parks until a push rings. Blocks the calling
   * thread (Atomics.wait): for workers; see waitForDataAsync for the main thread.
   * @returns false on timeout.
   * @throws RangeError when `count` is not an integer from 1 to the capacity, or timeoutMs is below zero.
   */
  waitForData(timeoutMs?: number, count = 1): boolean {
    const timeout = checkTimeout('Ring.waitForData', timeoutMs);
    if (count !== 1) {
      this.dataWanted = this.checkWanted('Ring.waitForData', count);
    }
    try {
      return waitUntil(this.hasData, this.dataBell, this.dataPoll, timeout);
    } finally {
      this.dataWanted = 1;
    }
  }

  /**
   * waitForData without blocking the thread: polls for a few microseconds at most, then waits
   * with Atomics.waitAsync, so the event loop keeps running. A push wakes async and blocking
   * waiters alike. It keeps the process alive while pending unless `options.keepAlive` is false
   * (waitUntilAsync).
   * @returns a promise of false on timeout, true when the data is there; it rejects with
   *   RangeError on bad arguments, and with TypeError where the engine has no Atomics.waitAsync.
   */
  async waitForDataAsync(timeoutMs?: number, count = 1, options?: AsyncWaitOptions): Promise<boolean> {
    const timeout = checkTimeout('Ring.waitForDataAsync', timeoutMs);
    const wanted = this.checkWanted('Ring.waitForDataAsync', count);
    const ready = wanted === 1 ? this.hasData : () => this.size() >= wanted;
    return waitUntilAsync(ready, this.dataBell, timeout, options);
  }

  /**
   * Waits until the ring has room for at least one descriptor. Blocks the calling thread
   * (Atomics.wait): for workers.
   * @returns false on timeout.
   * @throws RangeError when timeoutMs is below zero.
   */
  waitForSpace(timeoutMs?: number): boolean {
    return waitUntil(this.hasSpace, this.spaceBell, this.spacePoll, checkTimeout('Ring.waitForSpace', timeoutMs));
  }

  /**
   * waitForSpace without blocking the thread (see waitForDataAsync).
   * @returns a promise of false on timeout, true when there is room.
   */
  async waitForSpaceAsync(timeoutMs?: number, options?: AsyncWaitOptions): Promise<boolean> {
    return waitUntilAsync(this.hasSpace, this.spaceBell, checkTimeout('Ring.waitForSpaceAsync', timeoutMs), options);
  }

  /** Wakes threads parked in waitForData (e.g. to make them notice a stop flag). */
  wakeConsumers(): void {
    this.dataBell.ring();
  }

  /** Wakes threads parked in waitForSpace. */
  wakeProducers(): void {
    this.spaceBell.ring();
  }

  /** The guard's statistics, or null for an unguarded ring. */
  lockStats(): LockStats | null {
    return this.guard === null ? null : this.guard.stats();
  }

  /**
   * Statistics of a 'multi' ring's publication waits, with a lock's meaning: acquisitions =
   * reservations (pushes that reserved at least one slot), contentions = those that had to wait
   * for an earlier producer to publish, with their spins, parks and waiting time (ns); timeouts 0.
   * Null on a 'single' ring. Never blocks; exact once the producers are quiet, and while they run
   * each figure is a true count of its own but the figures of one push may not all be in yet.
   */
  publishStats(): LockStats | null {
    return this.multi === null ? null : this.multi.stats();
  }

  /**
   * Zeroes the publication statistics and returns the figures it cleared; null on a 'single' ring.
   * Unlike a lock's resetStats() it takes no lock and never blocks, so while producers run it
   * guarantees less: each figure is read and zeroed in one atomic step (no count is lost or counted
   * twice), but not all figures at one instant, so a push in progress may count its reservation
   * before the reset and its wait after it (the new period may then show more contentions than
   * acquisitions). Called while no producer pushes, it is exact.
   */
  resetPublishStats(): LockStats | null {
    return this.multi === null ? null : this.multi.resetStats();
  }

  /**
   * Marks the ring abandoned, e.g. because a thread that used it died: its guard is poisoned
   * (Lock.poison), and on a 'multi' ring every producer waiting for an earlier one to publish
   * stops waiting; both throw LockPoisonedError from then on. A push or pop that needs no wait
   * still goes through.
   */
  poison(): void {
    this.guard?.poison();
    this.multi?.poison();
  }

  /** The `count` of a wait for data: an integer from 1 to the capacity. */
  private checkWanted(what: string, count: number): number {
    if (!Number.isInteger(count) || count < 1 || count > this.capacity) {
      throw new RangeError(`${what}: count must be an integer from 1 to ${this.capacity}, got ${count}`);
    }
    return count;
  }

  /** A batch must fit its array: a short one would lose descriptors or push zeros. */
  private checkCount(what: string, name: string, words: number, count: number, start: number): void {
    const fits = count >= 0 && start >= 0 && (start + count) * this.slotWords <= words;
    if (!fits || !Number.isInteger(count) || !Number.isInteger(start)) {
      const holds = `${Math.floor(words / this.slotWords)} descriptors of ${this.slotWords} words`;
      const asked = start === 0 ? String(count) : `${String(count)} from descriptor ${String(start)}`;
      throw new RangeError(`Ring.${what}: ${name} holds ${holds}, asked for ${asked}`);
    }
  }

  private copyIn(src: ArrayLike<number>, count: number, firstWord: number): number {
    const i32 = this.i32;
    const tail = Atomics.load(i32, TAIL);
    const free = this.capacity - ((tail - Atomics.load(i32, HEAD)) >>> 0);
    const n = count < free ? count : free;
    this.writeSlots(src, tail, n, firstWord);
    if (n > 0) Atomics.store(i32, TAIL, (tail + n) | 0);
    return n;
  }

  /** pushBatch on a 'multi' ring: reserve, write, publish in reservation order (multi-producer.ts). */
  private copyInShared(multi: MultiProducer, src: ArrayLike<number>, count: number, from: number): number {
    const n = multi.reserve(count, this.capacity);
    if (n === 0) return 0;
    const start = multi.start;
    this.writeSlots(src, start, n, from * this.slotWords);
    multi.publish(start, n);
    return n;
  }

  /** Plain stores of `n` descriptors from `src` (word `firstWord` on) into the slots from index `first` on. */
  private writeSlots(src: ArrayLike<number>, first: number, n: number, firstWord: number): void {
    const slots = this.slots;
    const sw = this.slotWords;
    const mask = this.mask;
    let w = firstWord;
    for (let k = 0; k < n; k++) {
      const base = ((first + k) & mask) * sw;
      for (let j = 0; j < sw; j++) slots[base + j] = src[w++]!;
    }
  }

  private copyOut(dst: Int32Array, max: number, firstWord: number): number {
    const i32 = this.i32;
    const head = Atomics.load(i32, HEAD);
    const used = (Atomics.load(i32, TAIL) - head) >>> 0;
    const n = max < used ? max : used;
    const slots = this.slots;
    const sw = this.slotWords;
    const mask = this.mask;
    let w = firstWord;
    for (let k = 0; k < n; k++) {
      const base = ((head + k) & mask) * sw;
      for (let j = 0; j < sw; j++) dst[w++] = slots[base + j]!;
    }
    if (n > 0) Atomics.store(i32, HEAD, (head + n) | 0);
    return n;
  }
}

/** Whether any of `rings` holds a descriptor: how a consumer of several rings decides it may park. */
export function anyHasData(rings: readonly Ring[]): boolean {
  for (let r = 0; r < rings.length; r++) if (!rings[r]!.isEmpty()) return true;
  return false;
}

/** Bytes before the guard: the header, and a 'multi' ring's producer block. */
function headerBytes(producers: RingProducers): number {
  return producers === 'multi' ? HEADER_BYTES + MULTI_PRODUCER_BYTES : HEADER_BYTES;
}

function guardBytes(kind: LockKindName | null): number {
  return kind === null ? 0 : alignUp(lockBytes(kind), CACHE_LINE);
}

function checkShape(shape: RingShape): void {
  const { capacity, slotWords, guard, producers, guardPops } = shape;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`Ring: capacity must be a power of two from 1 to 2^30, got ${String(capacity)}`);
  }
  if (!Number.isInteger(slotWords) || slotWords < 1 || slotWords > 1024) {
    throw new RangeError(`Ring: slotWords must be an integer from 1 to 1024, got ${String(slotWords)}`);
  }
  if (guard !== undefined && guard !== null && !GUARDS.includes(guard)) {
    throw new TypeError(`Ring: guard must be one of ${LOCK_KINDS.join(', ')} or null, got ${String(guard)}`);
  }
  if (producers !== undefined && !RING_PRODUCERS.includes(producers)) {
    throw new TypeError(`Ring: producers must be 'single' or 'multi', got ${describe(producers)}`);
  }
  if (guardPops !== undefined && typeof guardPops !== 'boolean') {
    throw new TypeError(`Ring: guardPops must be true or false, got ${describe(guardPops)}`);
  }
  const guarded = guard !== undefined && guard !== null;
  if (guarded && producers === 'multi') {
    throw new TypeError(
      `Ring: producers 'multi' is for an unguarded ring; the ${guard} guard already lets many producers push ` +
        '(for a guard that only producers take, use guardPops: false)',
    );
  }
  if (!guarded && guardPops === false) {
    throw new TypeError(
      "Ring: guardPops: false needs a guard (an unguarded ring's pops take no lock already; " +
        "for many producers without a lock, use producers: 'multi')",
    );
  }
}

/** A value as an error message shows it: strings quoted. */
function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function checkPollMaxNs(value: number | undefined): number {
  if (value === undefined) return DEFAULT_POLL_MAX_NS;
  if (!Number.isInteger(value) || value < 0 || value > 1e9) {
    throw new RangeError(`Ring: pollMaxNs must be an integer from 0 to 1e9, got ${String(value)}`);
  }
  return value;
}

function checkInitialIndex(value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new RangeError(`Ring: initialIndex must be an integer from 0 to 2^32 - 1, got ${String(value)}`);
  }
  return value | 0;
}
