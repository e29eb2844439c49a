/**
 * RingCore: the memory layout, sizing and copying that every ring of vblk-mq shares. The three
 * rings differ only in who may push (ring.ts: one producer; guarded-ring.ts: any number, under a
 * lock; multi-producer-ring.ts: any number, lock-free), and each is this core plus its own push.
 * A core is one thread's view: it keeps that view's cached copies of the other side's index.
 *
 * Memory (byte offsets from the ring's byteOffset):
 *     0  HEAD   index of the next slot to pop; written by the consumer only
 *    64  TAIL   index of the next slot to push; written by the producer (of the moment) only
 *   128  MAGIC, KIND (which ring: RING_KINDS), CAPACITY, SLOT_WORDS, then two words the kind
 *        uses as it likes (a guarded ring: its lock kind and whether pops take the lock);
 *        written once, at creation, MAGIC last
 *   192  the kind's block: nothing (Ring), the lock (GuardedRing), or the reservation block of
 *        a MultiProducerRing; `blockBytes` long
 *   ...  slots: capacity * slotWords Int32 words
 * HEAD and TAIL sit on separate 64-byte lines so that the producer and the consumer do not
 * invalidate each other's line on every operation. No ring holds a doorbell: who waits for a
 * ring, and how, is its user's business (a consumer usually waits for several rings at once:
 * see Doorbell and waitUntil in src/sync).
 *
 * Indices run freely as 32-bit integers and wrap past 2^32: the number of slots in use is
 * (TAIL - HEAD) mod 2^32, and a slot's place is index & (capacity - 1), which is why the
 * capacity is a power of two (and at most 2^30, so that a count never reaches 2^31).
 *
 * Ordering: a producer writes the slot words with plain stores and then publishes them with
 * Atomics.store(TAIL); a consumer reads TAIL with Atomics.load before it reads the slot words,
 * and frees them with Atomics.store(HEAD). Atomics are sequentially consistent, so the plain
 * accesses are ordered by them (no data race in the JS memory model).
 *
 * The one-item paths (pushOne, popOne) are Lamport's queue with cached indices, as in
 * MCRingBuffer (Lee, Bu and Chandranmenon, IPDPS 2010) and FastForward (Giacomoni, Moseley and
 * Vachharajani, PPoPP 2008): each view keeps a private copy of the other side's index (headSeen
 * for a producer, tailSeen for a consumer) and reads the shared one only when its copy says full
 * (or empty). A copy is never ahead of the real index, because the other side only ever moves it
 * forward, so it can only understate the room (or the data): the cached test errs on the safe
 * side, and re-reading settles it. A view also remembers the index it last wrote; when the
 * shared one differs (another view pushed, or popped) it drops its copy, so producers and
 * consumers may hand their role from one view to another (a lock's holder of the moment is such
 * a role). The batch paths read both indices each time.
 */
import { CACHE_LINE, checkHandle, claimRegion, type Region } from '../sync/region.js';

const HEAD = 0;
const TAIL = 16;
const MAGIC = 32;
const KIND = 33;
const CAPACITY = 34;
const SLOT_WORDS = 35;
/** The two words a kind may use for its own settings (read back by every view). */
export const KIND_WORD_0 = 36;
export const KIND_WORD_1 = 37;
/** Bytes before the kind's block. */
export const HEADER_BYTES = 3 * CACHE_LINE;
/** Word indices of HEAD and TAIL in a core's header view (a MultiProducerRing reads them too). */
export const HEAD_WORD = HEAD;
export const TAIL_WORD = TAIL;
const MAGIC_RING = 0x52494e47; // "RING"
const MAX_CAPACITY = 2 ** 30;
/** What headPopped and tailPushed start as: no Int32 index equals it, so a first push or pop reads afresh. */
const NOT_AN_INDEX = 0.5;

/** The rings, by who may push: the KIND word's values are their positions plus one, and their handles' kinds. */
export const RING_KINDS = ['ring', 'guarded-ring', 'multi-producer-ring'] as const;
/** A value of {@link RING_KINDS}. */
export type RingKind = (typeof RING_KINDS)[number];

/** Size of a ring's slots. */
export interface RingSize {
  /** Number of slots: a power of two. */
  capacity: number;
  /** Int32 words per slot. */
  slotWords: number;
}

/** What every ring's creation options hold: its size, where it lives, and where its indices start. */
export interface RingCoreOptions extends RingSize, Partial<Region> {
  /** Value HEAD and TAIL start from (tests use 2^32 - small to cross the wrap). Default 0. */
  initialIndex?: number;
}

/** A structured-cloneable description of a ring; `X.from(handle)` opens it in another worker. */
export interface RingHandle<K extends RingKind = RingKind> {
  /** Which ring it is. */
  kind: K;
  /** The shared memory the ring lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes. */
  byteOffset: number;
}

/** Bytes a ring of `size` needs, with a kind's block of `blockBytes` (a multiple of 64). */
export function ringByteLength(what: string, size: RingSize, blockBytes: number): number {
  checkSize(what, size);
  return HEADER_BYTES + blockBytes + size.capacity * size.slotWords * 4;
}

export class RingCore {
  readonly handle: RingHandle;
  readonly capacity: number;
  readonly slotWords: number;
  /** The header, the kind's block and nothing else, as Int32 words. */
  readonly i32: Int32Array;
  /** Byte offset of the kind's block in the buffer. */
  readonly blockOffset: number;
  /** The initial index of a ring just created, else undefined (a view of an existing one). */
  readonly createdAt: number | undefined;
  private readonly mask: number;
  private readonly slots: Int32Array;
  /** Producer side of the one-item path: HEAD as last read (never ahead of the real one), TAIL as last written. */
  private headSeen = 0;
  private tailPushed = NOT_AN_INDEX;
  /** Consumer side: TAIL as last read (never ahead of the real one), HEAD as last written. */
  private tailSeen = 0;
  private headPopped = NOT_AN_INDEX;

  /**
   * Creates a ring of `kind` in `options` (buffer, byteOffset) or in a buffer of its own, its
   * kind words set to `kindWords`; the header is complete when this returns.
   */
  static create(kind: RingKind, options: RingCoreOptions, blockBytes: number, kindWords: [number, number]): RingCore {
    const what = className(kind);
    const bytes = ringByteLength(what, options, blockBytes);
    const { buffer, byteOffset } = claimRegion(what, options, bytes, 8);
    const start = checkInitialIndex(what, options.initialIndex);
    const header = new Int32Array(buffer, byteOffset, (HEADER_BYTES + blockBytes) / 4);
    header.fill(0);
    header[HEAD] = start;
    header[TAIL] = start;
    header[KIND] = RING_KINDS.indexOf(kind) + 1;
    header[CAPACITY] = options.capacity;
    header[SLOT_WORDS] = options.slotWords;
    header[KIND_WORD_0] = kindWords[0];
    header[KIND_WORD_1] = kindWords[1];
    return new RingCore({ kind, buffer, byteOffset }, options, blockBytes, start);
  }

  /**
   * Opens a view of the ring of `kind` that `handle` describes. The MAGIC word is checked
   * after the kind's block is set up by its creator, which writes it last (see publish()).
   * @throws TypeError when the handle is not one of a `kind` ring, or the region holds none.
   */
  static open(kind: RingKind, handle: unknown, blockBytes: (kindWords: [number, number]) => number): RingCore {
    const what = className(kind);
    const { buffer, byteOffset } = checkHandle<RingHandle>(what, handle, kind);
    const region = claimRegion(`${what}.from`, { buffer, byteOffset }, HEADER_BYTES, 8);
    const header = new Int32Array(region.buffer, region.byteOffset, HEADER_BYTES / 4);
    if (Atomics.load(header, MAGIC) !== MAGIC_RING || header[KIND] !== RING_KINDS.indexOf(kind) + 1) {
      throw new TypeError(`${what}.from: the region at byteOffset ${byteOffset} does not hold an initialised ${what}`);
    }
    const size = { capacity: header[CAPACITY]!, slotWords: header[SLOT_WORDS]! };
    const block = blockBytes([header[KIND_WORD_0]!, header[KIND_WORD_1]!]);
    return new RingCore({ kind, buffer, byteOffset }, size, block, undefined);
  }

  private constructor(handle: RingHandle, size: RingSize, blockBytes: number, createdAt: number | undefined) {
    this.handle = handle;
    this.capacity = size.capacity;
    this.slotWords = size.slotWords;
    this.mask = size.capacity - 1;
    this.createdAt = createdAt;
    const { buffer, byteOffset } = handle;
    this.i32 = new Int32Array(buffer, byteOffset, (HEADER_BYTES + blockBytes) / 4);
    this.blockOffset = byteOffset + HEADER_BYTES;
    this.slots = new Int32Array(buffer, this.blockOffset + blockBytes, size.capacity * size.slotWords);
  }

  /** Marks a new ring ready for views: called by its creator once its kind's block is set up too. */
  publish(): void {
    Atomics.store(this.i32, MAGIC, MAGIC_RING);
  }

  /** A kind word, as the creator wrote it. */
  kindWord(word: typeof KIND_WORD_0 | typeof KIND_WORD_1): number {
    return this.i32[word]!;
  }

  /** Slots holding data now, ready to pop (a snapshot when other threads are active). */
  size(): number {
    return (Atomics.load(this.i32, TAIL) - Atomics.load(this.i32, HEAD)) >>> 0;
  }

  /** Whether no slot holds data now (a snapshot). */
  isEmpty(): boolean {
    return Atomics.load(this.i32, TAIL) === Atomics.load(this.i32, HEAD);
  }

  /**
   * Whether every slot is in use now (a snapshot): the producers' index `word` (TAIL, or a
   * reservation index ahead of it) is a capacity ahead of HEAD.
   */
  isFull(word: number = TAIL): boolean {
    return (Atomics.load(this.i32, word) - Atomics.load(this.i32, HEAD)) >>> 0 >= this.capacity;
  }

  /** Pushes one slot by the cached-index path (see the top of this file); false when full. */
  pushOne(slot: ArrayLike<number>): boolean {
    if (slot.length < this.slotWords) this.checkCount('push', 'slot', slot.length, 1, 0);
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
    return true;
  }

  /** Pops one slot into `out` by the cached-index path; false when empty. */
  popOne(out: Int32Array): boolean {
    if (out.length < this.slotWords) this.checkCount('pop', 'out', out.length, 1, 0);
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
    return true;
  }

  /**
   * Pushes up to `count` slots laid end to end in `src` from slot `from` on, as the one producer
   * of the moment; returns how many went in (fewer when the ring fills).
   */
  pushBatch(src: ArrayLike<number>, count: number, from: number): number {
    this.checkCount('pushBatch', 'src', src.length, count, from);
    const i32 = this.i32;
    const tail = Atomics.load(i32, TAIL);
    const free = this.capacity - ((tail - Atomics.load(i32, HEAD)) >>> 0);
    const n = count < free ? count : free;
    this.writeSlots(src, tail, n, from * this.slotWords);
    if (n > 0) Atomics.store(i32, TAIL, (tail + n) | 0);
    return n;
  }

  /** Pops up to `max` slots into `dst`, end to end from slot `at` on, as the one consumer of the moment. */
  popBatch(dst: Int32Array, max: number, at: number): number {
    this.checkCount('popBatch', 'dst', dst.length, max, at);
    const i32 = this.i32;
    const head = Atomics.load(i32, HEAD);
    const used = (Atomics.load(i32, TAIL) - head) >>> 0;
    const n = max < used ? max : used;
    const slots = this.slots;
    const sw = this.slotWords;
    const mask = this.mask;
    let w = at * sw;
    for (let k = 0; k < n; k++) {
      const base = ((head + k) & mask) * sw;
      for (let j = 0; j < sw; j++) dst[w++] = slots[base + j]!;
    }
    if (n > 0) Atomics.store(i32, HEAD, (head + n) | 0);
    return n;
  }

  /** Plain stores of `n` slots from `src` (word `firstWord` on) into the slots from index `first` on. */
  writeSlots(src: ArrayLike<number>, first: number, n: number, firstWord: number): void {
    const slots = this.slots;
    const sw = this.slotWords;
    const mask = this.mask;
    let w = firstWord;
    for (let k = 0; k < n; k++) {
      const base = ((first + k) & mask) * sw;
      for (let j = 0; j < sw; j++) slots[base + j] = src[w++]!;
    }
  }

  /**
   * A batch must fit its array: a short one would lose slots or push zeros.
   * @throws RangeError naming the ring's method and the array
   */
  checkCount(what: string, name: string, words: number, count: number, start: number): void {
    const fits = count >= 0 && start >= 0 && (start + count) * this.slotWords <= words;
    if (!fits || !Number.isInteger(count) || !Number.isInteger(start)) {
      const holds = `${Math.floor(words / this.slotWords)} descriptors of ${this.slotWords} words`;
      const asked = start === 0 ? String(count) : `${String(count)} from descriptor ${String(start)}`;
      throw new RangeError(`${className(this.handle.kind)}.${what}: ${name} holds ${holds}, asked for ${asked}`);
    }
  }
}

/**
 * What every ring class shows of its core: its handle, size and the peeks, which take no lock
 * on any kind. A MultiProducerRing counts reserved slots as in use (it passes its reservation
 * index to isFull).
 */
export abstract class RingView<K extends RingKind> {
  /** Pass this to another thread and call `X.from(handle)` there to use the same ring. */
  readonly handle: RingHandle<K>;
  /** Number of slots (a power of two). */
  readonly capacity: number;
  /** Int32 words per slot. */
  readonly slotWords: number;
  protected readonly core: RingCore;

  protected constructor(core: RingCore) {
    this.core = core;
    this.handle = core.handle as RingHandle<K>;
    this.capacity = core.capacity;
    this.slotWords = core.slotWords;
  }

  /** Slots holding data now, ready to pop (a snapshot when other threads are active). Never blocks. */
  size(): number {
    return this.core.size();
  }

  /** Whether no slot holds data now (a snapshot). Never blocks. */
  isEmpty(): boolean {
    return this.core.isEmpty();
  }

  /** Whether every slot is in use now (a snapshot), so that a push would fail. Never blocks. */
  isFull(): boolean {
    return this.core.isFull();
  }
}

/** The class that implements a ring kind, as messages name it. */
function className(kind: RingKind): string {
  return kind === 'ring' ? 'Ring' : kind === 'guarded-ring' ? 'GuardedRing' : 'MultiProducerRing';
}

function checkSize(what: string, { capacity, slotWords }: RingSize): void {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`${what}: capacity must be a power of two from 1 to 2^30, got ${String(capacity)}`);
  }
  if (!Number.isInteger(slotWords) || slotWords < 1 || slotWords > 1024) {
    throw new RangeError(`${what}: slotWords must be an integer from 1 to 1024, got ${String(slotWords)}`);
  }
}

function checkInitialIndex(what: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new RangeError(`${what}: initialIndex must be an integer from 0 to 2^32 - 1, got ${String(value)}`);
  }
  return value | 0;
}
