/**
 * Ring: a bounded FIFO of fixed-size slots in a SharedArrayBuffer, for ONE producer and ONE
 * consumer at a time, lock-free: Lamport's ring, as in padenot/ringbuf.js, with cached indices
 * (MCRingBuffer, FastForward). Its memory layout, ordering argument and index caching are the
 * core's, shared by every ring: ring-core.ts explains them. For more producers see
 * GuardedRing (any number, under a lock) and MultiProducerRing (any number, lock-free); for a
 * closable, blocking channel see Channel.
 *
 * A ring never waits and never wakes anybody: push and pop return false when it is full or
 * empty. A thread that must wait for a ring parks on its own Doorbell, which the other side
 * rings after each push (or pop), with waitUntil (src/sync): one thread can then wait for
 * several rings at once, which is what every consumer in the emulator does.
 */
import {
  RingCore,
  ringByteLength,
  RingView,
  type RingCoreOptions,
  type RingHandle,
  type RingSize,
} from './ring-core.js';

/** Options of a new Ring: its size, and where it lives (default: a buffer of its own). */
export type RingOptions = RingCoreOptions;

/** A single-producer, single-consumer ring of fixed-size slots in shared memory (see the top of ring.ts). */
export class Ring extends RingView<'ring'> {
  /** Bytes a ring of this size needs in a SharedArrayBuffer (byteOffset must be a multiple of 8; 64 is best). */
  static byteLength(size: RingSize): number {
    return ringByteLength('Ring', size, 0);
  }

  /** A view of the ring described by `handle`, e.g. in another worker. */
  static from(handle: RingHandle<'ring'>): Ring {
    return new Ring(RingCore.open('ring', handle, () => 0));
  }

  /** Creates a ring in `options.buffer` at `options.byteOffset`, or in a buffer of its own. */
  constructor(options: RingOptions);
  /** @internal Ring.from's path: a view over a core it opened. */
  constructor(opened: RingCore);
  constructor(options: RingOptions | RingCore) {
    const created = !(options instanceof RingCore);
    super(created ? RingCore.create('ring', options, 0, [0, 0]) : options);
    if (created) this.core.publish();
  }

  /**
   * Copies one slot (`slotWords` numbers from `slot`) in. Never blocks.
   * @returns false when the ring is full.
   * @throws RangeError when `slot` holds fewer than `slotWords` numbers.
   */
  push(slot: ArrayLike<number>): boolean {
    return this.core.pushOne(slot);
  }

  /**
   * Copies one slot out into `out`. Never blocks.
   * @returns false when the ring is empty.
   * @throws RangeError when `out` has room for fewer than `slotWords` numbers.
   */
  pop(out: Int32Array): boolean {
    return this.core.popOne(out);
  }

  /**
   * Copies up to `count` slots, laid end to end in `src` from slot `from` on, in. Never blocks.
   * @returns how many went in (fewer when the ring fills).
   * @throws RangeError when `src` holds fewer than `from + count` slots.
   */
  pushBatch(src: ArrayLike<number>, count: number = Math.floor(src.length / this.slotWords), from = 0): number {
    return this.core.pushBatch(src, count, from);
  }

  /**
   * Copies up to `max` slots out into `dst`, end to end from slot `at` on. Never blocks.
   * @returns how many came out (0 when the ring is empty).
   * @throws RangeError when `dst` has room for fewer than `at + max` slots.
   */
  popBatch(dst: Int32Array, max: number = Math.floor(dst.length / this.slotWords), at = 0): number {
    return this.core.popBatch(dst, max, at);
  }
}
