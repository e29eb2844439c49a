/**
 * GuardedRing: the ring for any number of producers and consumers, each push and pop under one
 * lock: the paper's shared circular queue, in which every guest vCPU pushes under the same lock.
 * It is the core of ring-core.ts (layout, ordering, cached one-item paths) plus a lock of any
 * kind in the core's block; under the lock the holder of the moment is the ring's one producer
 * (or consumer), which is why the core's single-producer paths serve it unchanged.
 *
 * Guarding pushes only (`guardPops: false`): pushes serialize on the lock, and under it each
 * producer does exactly what the single producer of a Ring does; the lock's acquire and release
 * order one holder's store of TAIL before the next holder's load, so the producers together act
 * as one. The consumer, alone, pops without the lock, as the single consumer of a Ring does. The
 * two sides never write the same word (HEAD is the consumer's, TAIL and the free slots the
 * producers'), so the ordering argument of the core holds between the producer of the moment
 * and the consumer: this is how QEMU's virtqueue_pop runs without the guest's lock, the ring's
 * indices and memory barriers ordering producer and consumer. It needs ONE consumer at a time:
 * two consumers without a lock could pop the same slot.
 *
 * Memory: the core's header, then the lock (lockBytes(kind), rounded up to a cache line), then
 * the slots. The kind words hold the lock kind (its place in LOCK_KINDS) and whether pops take
 * the lock, so that every view agrees on both.
 */
import { alignUp, CACHE_LINE } from '../sync/region.js';
import { createLock, lockBytes, openLock, lockHandleKind, type LockOptions } from '../sync/create-lock.js';
import { LOCK_KINDS, type Lock, type LockKindName } from '../sync/lock-base.js';
import type { LockStats } from '../sync/lock-stats.js';
import {
  KIND_WORD_0,
  KIND_WORD_1,
  RingCore,
  ringByteLength,
  RingView,
  type RingCoreOptions,
  type RingHandle,
  type RingSize,
} from './ring-core.js';

/** Shape of a guarded ring beyond its size. */
export interface GuardedRingShape extends RingSize {
  /** The lock every push (and, unless guardPops is false, every pop) takes. */
  guard: LockKindName;
  /** false: pops skip the lock, which only pushes then take (any number of producers, ONE consumer). Default true. */
  guardPops?: boolean;
}

/** Options of a new GuardedRing. */
export interface GuardedRingOptions extends GuardedRingShape, RingCoreOptions {
  /** The lock's own options (createLock's LockOptions: e.g. `{ spinThreshold }` for a pv lock). */
  guardOptions?: Pick<LockOptions, 'spin' | 'spinMax' | 'spinThreshold'>;
}

/** A ring whose pushes (and pops, by default) take a lock: any number of producers and consumers. */
export class GuardedRing extends RingView<'guarded-ring'> {
  /** Bytes a guarded ring of this shape needs in a SharedArrayBuffer. */
  static byteLength(shape: GuardedRingShape): number {
    return ringByteLength('GuardedRing', shape, guardBytes(checkGuard(shape.guard)));
  }

  /** A view of the ring described by `handle`, e.g. in another worker. */
  static from(handle: RingHandle<'guarded-ring'>): GuardedRing {
    return new GuardedRing(RingCore.open('guarded-ring', handle, ([kind]) => guardBytes(LOCK_KINDS[kind]!)));
  }

  /** The lock every push (and, when guardPops, every pop) takes. */
  readonly guard: Lock;
  /** Whether pops take the guard. */
  readonly guardPops: boolean;
  /** The guard when pops take it, else null: the pop paths' one test. */
  private readonly popGuard: Lock | null;

  /** Creates a guarded ring in `options.buffer` at `options.byteOffset`, or in a buffer of its own. */
  constructor(options: GuardedRingOptions);
  /** @internal GuardedRing.from's path: a view over a core it opened. */
  constructor(opened: RingCore);
  constructor(options: GuardedRingOptions | RingCore) {
    const created = !(options instanceof RingCore);
    let kind: LockKindName;
    let guardPops: boolean;
    if (created) {
      kind = checkGuard(options.guard);
      if (options.guardPops !== undefined && typeof options.guardPops !== 'boolean') {
        throw new TypeError(`GuardedRing: guardPops must be true or false, got ${String(options.guardPops)}`);
      }
      guardPops = options.guardPops !== false;
      super(RingCore.create('guarded-ring', options, guardBytes(kind), [LOCK_KINDS.indexOf(kind), guardPops ? 1 : 0]));
    } else {
      super(options);
      kind = LOCK_KINDS[options.kindWord(KIND_WORD_0)]!;
      guardPops = options.kindWord(KIND_WORD_1) === 1;
    }
    const region = { buffer: this.handle.buffer, byteOffset: this.core.blockOffset };
    this.guardPops = guardPops;
    this.guard = created
      ? createLock(kind, { ...((options as GuardedRingOptions).guardOptions ?? {}), ...region })
      : openLock({ kind: lockHandleKind(kind), ...region });
    if (created) this.core.publish();
    this.popGuard = this.guardPops ? this.guard : null;
  }

  /**
   * Copies one slot in under the lock. Waits for the lock only.
   * @returns false when the ring is full.
   */
  push(slot: ArrayLike<number>): boolean {
    const guard = this.guard;
    guard.lock();
    try {
      return this.core.pushOne(slot);
    } finally {
      guard.unlock();
    }
  }

  /**
   * Copies one slot out, under the lock when pops take it. Waits for the lock only.
   * @returns false when the ring is empty.
   */
  pop(out: Int32Array): boolean {
    const guard = this.popGuard;
    if (guard === null) return this.core.popOne(out);
    guard.lock();
    try {
      return this.core.popOne(out);
    } finally {
      guard.unlock();
    }
  }

  /**
   * Copies up to `count` slots (end to end in `src` from slot `from` on) in under one acquisition.
   * @returns how many went in (fewer when the ring fills).
   */
  pushBatch(src: ArrayLike<number>, count: number = Math.floor(src.length / this.slotWords), from = 0): number {
    const guard = this.guard;
    guard.lock();
    try {
      return this.core.pushBatch(src, count, from);
    } finally {
      guard.unlock();
    }
  }

  /**
   * Copies up to `max` slots out into `dst` (end to end from slot `at` on) under one acquisition
   * when pops take the lock.
   * @returns how many came out (0 when the ring is empty).
   */
  popBatch(dst: Int32Array, max: number = Math.floor(dst.length / this.slotWords), at = 0): number {
    const guard = this.popGuard;
    if (guard === null) return this.core.popBatch(dst, max, at);
    guard.lock();
    try {
      return this.core.popBatch(dst, max, at);
    } finally {
      guard.unlock();
    }
  }

  /** The lock's statistics. */
  lockStats(): LockStats {
    return this.guard.stats();
  }

  /** Marks the ring abandoned (a thread that used it died): its lock is poisoned (Lock.poison). */
  poison(): void {
    this.guard.poison();
  }
}

function guardBytes(kind: LockKindName): number {
  return alignUp(lockBytes(kind), CACHE_LINE);
}

function checkGuard(guard: unknown): LockKindName {
  if (!LOCK_KINDS.includes(guard as LockKindName)) {
    throw new TypeError(`GuardedRing: guard must be one of ${LOCK_KINDS.join(', ')}, got ${String(guard)}`);
  }
  return guard as LockKindName;
}
