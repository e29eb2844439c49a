/**
 * Choosing a ring by who may push, and re-opening any ring from its handle: for code that
 * handles rings of every kind alike (the emulator's submission ring is one or another by its
 * options). Each kind is its own class; this file only picks one.
 *
 *   producers 'single', no guard   Ring                one producer, one consumer, lock-free
 *   a guard (any lock kind)         GuardedRing         any number of each, under the lock
 *                                                       (guardPops false: pushes only, ONE consumer)
 *   producers 'multi', no guard     MultiProducerRing   any number of producers, ONE consumer, lock-free
 */
import type { LockKindName } from '../sync/lock-base.js';
import { GuardedRing, type GuardedRingOptions } from './guarded-ring.js';
import { MultiProducerRing } from './multi-producer-ring.js';
import { Ring } from './ring.js';
import type { RingCoreOptions, RingHandle, RingSize } from './ring-core.js';

/** A ring of any kind: what push, pop, their batches and the peeks are the same on. */
export type AnyRing = Ring | GuardedRing | MultiProducerRing;

/** Who may push into a ring: one thread at a time, or any number at once. */
export const RING_PRODUCERS = ['single', 'multi'] as const;
/** A value of {@link RingShape.producers}. */
export type RingProducers = (typeof RING_PRODUCERS)[number];

/** A ring's shape, by which createRing picks its kind. */
export interface RingShape extends RingSize {
  /** The lock every push (and unless guardPops is false, every pop) takes; omitted or null: lock-free. */
  guard?: LockKindName | null;
  /** On a guarded ring: false makes pops skip the guard (ONE consumer). Default true. */
  guardPops?: boolean;
  /** On a lock-free ring: 'single' (default) for one producer at a time, 'multi' for any number. */
  producers?: RingProducers;
}

/** Options of createRing: a shape, where the ring lives, and a guard's own options. */
export interface CreateRingOptions extends RingShape, RingCoreOptions {
  guardOptions?: NonNullable<GuardedRingOptions['guardOptions']>;
}

/**
 * The ring class that `shape` asks for, checked: a guard with producers 'multi', or guardPops
 * false without a guard, is refused (the first would add a lock's cost to a lock-free push, the
 * second asks for nothing).
 */
function kindOf(shape: RingShape): 'ring' | 'guarded-ring' | 'multi-producer-ring' {
  const { guard, producers, guardPops } = shape;
  if (producers !== undefined && !RING_PRODUCERS.includes(producers)) {
    throw new TypeError(`createRing: producers must be 'single' or 'multi', got ${String(producers)}`);
  }
  if (guardPops !== undefined && typeof guardPops !== 'boolean') {
    throw new TypeError(`createRing: guardPops must be true or false, got ${String(guardPops)}`);
  }
  const guarded = guard !== undefined && guard !== null;
  if (guarded && producers === 'multi') {
    throw new TypeError(
      `createRing: producers 'multi' is for an unguarded ring; the ${guard} guard already lets many producers push ` +
        '(for a guard that only producers take, use guardPops: false)',
    );
  }
  if (!guarded && guardPops === false) {
    throw new TypeError(
      "createRing: guardPops: false needs a guard (an unguarded ring's pops take no lock already; " +
        "for many producers without a lock, use producers: 'multi')",
    );
  }
  return guarded ? 'guarded-ring' : producers === 'multi' ? 'multi-producer-ring' : 'ring';
}

/** Bytes the ring that `shape` asks for needs in a SharedArrayBuffer. */
export function ringBytes(shape: RingShape): number {
  switch (kindOf(shape)) {
    case 'guarded-ring':
      return GuardedRing.byteLength({ ...shape, guard: shape.guard! });
    case 'multi-producer-ring':
      return MultiProducerRing.byteLength(shape);
    default:
      return Ring.byteLength(shape);
  }
}

/** Creates the ring that `options` asks for (see the table at the top of this file). */
export function createRing(options: CreateRingOptions): AnyRing {
  switch (kindOf(options)) {
    case 'guarded-ring':
      return new GuardedRing({ ...options, guard: options.guard! });
    case 'multi-producer-ring':
      return new MultiProducerRing(options);
    default:
      return new Ring(options);
  }
}

/** A view of the ring of any kind that `handle` describes, e.g. in another worker. */
export function openRing(handle: RingHandle): AnyRing {
  switch (handle?.kind) {
    case 'guarded-ring':
      return GuardedRing.from(handle as RingHandle<'guarded-ring'>);
    case 'multi-producer-ring':
      return MultiProducerRing.from(handle as RingHandle<'multi-producer-ring'>);
    default:
      return Ring.from(handle as RingHandle<'ring'>);
  }
}
