/**
 * The rings, by who may push: Ring (one producer, one consumer), GuardedRing (a lock per push and,
 * unless guardPops is false, per pop) and MultiProducerRing (lock-free pushes from any number of
 * threads, one consumer), and createRing/openRing that pick one. FIFO order, full and empty,
 * batches, the 2^32 index wrap, staying inside its region, byte lengths, shape and handle checks
 * (each message naming its class), guard and publication statistics, poison, and delivery
 * between worker threads, the waits following the one notification rule (each consumer owns a
 * Doorbell that producers ring after pushing; each producer one that consumers ring after
 * popping); and a producer that stalls between reserving its slots and publishing them.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { afterEach, describe, expect, it } from 'vitest';

import {
  createRing,
  Doorbell,
  GuardedRing,
  LOCK_KINDS,
  lockBytes,
  MultiProducerRing,
  openRing,
  Ring,
  ringBytes,
  type AnyRing,
  type LockKindName,
  type RingHandle,
  type RingOptions,
  type RingShape,
  type RingSize,
} from '../dist/src/index.js';
import { mulberry32, randomInt } from './helpers/mulberry32.mjs';
import { eventually, fixtureWorker, runWorkers, startWorker, terminateAllWorkers } from './helpers/workers.js';
import { expectConsistent, ZERO_STATS } from './helpers/lock-stats.js';
import {
  CONTROL_WORDS,
  readItem,
  STALL_PARKING,
  STALL_RELEASE,
  STALL_RESERVED,
  STOP,
  writeItem,
} from './fixtures/ring-items.mjs';

/** One kind of ring, as the tests drive it. */
interface RingKindCase {
  name: string;
  /** What its messages call it, and its handles' kind. */
  className: 'Ring' | 'GuardedRing' | 'MultiProducerRing';
  kind: RingHandle['kind'];
  /** The shape createRing picks this kind by (beyond the size). */
  shape: Pick<RingShape, 'guard' | 'producers' | 'guardPops'>;
  /** A new ring of this kind, by its own class's constructor. */
  create(options: RingOptions): AnyRing;
  /** Its class's byteLength. */
  byteLength(size: RingSize): number;
  /** Its class's from. */
  from(handle: RingHandle): AnyRing;
}

/** A GuardedRing's case: its guard, and whether pops take it. */
function guardedKind(guard: LockKindName, guardPops: boolean): RingKindCase {
  return {
    name: `GuardedRing (${guard}${guardPops ? '' : ', guardPops false'})`,
    className: 'GuardedRing',
    kind: 'guarded-ring',
    shape: guardPops ? { guard } : { guard, guardPops: false },
    create: (options) => new GuardedRing({ ...options, guard, ...(guardPops ? {} : { guardPops: false }) }),
    byteLength: (size) => GuardedRing.byteLength({ ...size, guard }),
    from: (handle) => GuardedRing.from(handle as RingHandle<'guarded-ring'>),
  };
}

const SPSC: RingKindCase = {
  name: 'Ring',
  className: 'Ring',
  kind: 'ring',
  shape: {},
  create: (options) => new Ring(options),
  byteLength: (size) => Ring.byteLength(size),
  from: (handle) => Ring.from(handle as RingHandle<'ring'>),
};
const MULTI: RingKindCase = {
  name: 'MultiProducerRing',
  className: 'MultiProducerRing',
  kind: 'multi-producer-ring',
  shape: { producers: 'multi' },
  create: (options) => new MultiProducerRing(options),
  byteLength: (size) => MultiProducerRing.byteLength(size),
  from: (handle) => MultiProducerRing.from(handle as RingHandle<'multi-producer-ring'>),
};
/** Every kind of ring: the SPSC Ring, a GuardedRing per lock kind with pops guarded and not, the MultiProducerRing. */
const KINDS: readonly RingKindCase[] = [
  SPSC,
  ...LOCK_KINDS.map((guard) => guardedKind(guard, true)),
  ...LOCK_KINDS.map((guard) => guardedKind(guard, false)),
  MULTI,
];
/** vitest timeout of every test that starts workers (the helper terminates them sooner). */
const WORKER_TEST_MS = 30_000;
/** Just below 2^32: a ring starting here crosses the index wrap after a few items. */
const NEAR_WRAP = 2 ** 32 - 5;

/** Descriptor number `seq`: `slotWords` words, each telling seq and its position apart. */
function descriptor(seq: number, slotWords: number): Int32Array {
  return Int32Array.from({ length: slotWords }, (_, j) => seq * 1000 + j);
}

/** Descriptors first .. first+count-1, end to end, as pushBatch takes them. */
function descriptors(first: number, count: number, slotWords: number): Int32Array {
  const out = new Int32Array(count * slotWords);
  for (let k = 0; k < count; k++) out.set(descriptor(first + k, slotWords), k * slotWords);
  return out;
}

afterEach(terminateAllWorkers);

/**
 * Pushes and pops `total` descriptors through `ring` in batches of random size (up to two more
 * than the capacity, to hit partial counts), checking every count, every descriptor and the
 * size, fullness and emptiness after every call against a model of what the ring should hold.
 * Returns how many calls it made (each takes a guard once).
 */
function exercise(ring: AnyRing, random: () => number, total: number): number {
  const { capacity, slotWords } = ring;
  const dst = new Int32Array((capacity + 2) * slotWords);
  let pushed = 0;
  let popped = 0;
  let calls = 0;
  while (popped < total) {
    const want = randomInt(random, 1, capacity + 2);
    if (pushed < total && random() < 0.55) {
      const count = Math.min(want, total - pushed);
      const n = ring.pushBatch(descriptors(pushed, count, slotWords), count);
      expect(n).toBe(Math.min(count, capacity - (pushed - popped)));
      pushed += n;
    } else {
      const n = ring.popBatch(dst, want);
      expect(n).toBe(Math.min(want, pushed - popped));
      expect(dst.subarray(0, n * slotWords)).toEqual(descriptors(popped, n, slotWords));
      popped += n;
    }
    calls++;
    expect(ring.size()).toBe(pushed - popped);
    expect(ring.isFull()).toBe(pushed - popped === capacity);
    expect(ring.isEmpty()).toBe(pushed === popped);
  }
  return calls;
}

describe('Ring in one thread', () => {
  it('pops descriptors in the order they were pushed', () => {
    const ring = new Ring({ capacity: 8, slotWords: 3 });
    for (let seq = 0; seq < 5; seq++) expect(ring.push(descriptor(seq, 3))).toBe(true);
    expect(ring.size()).toBe(5);
    const out = new Int32Array(3);
    for (let seq = 0; seq < 5; seq++) {
      expect(ring.pop(out)).toBe(true);
      expect(out).toEqual(descriptor(seq, 3));
    }
    expect(ring.isEmpty()).toBe(true);
  });

  it('reports full and empty, refuses a push when full and a pop when empty', () => {
    const ring = new Ring({ capacity: 4, slotWords: 2 });
    expect(ring.isEmpty()).toBe(true);
    expect(ring.isFull()).toBe(false);
    const out = Int32Array.of(-7, -7);
    expect(ring.pop(out)).toBe(false);
    expect(out).toEqual(Int32Array.of(-7, -7)); // a failed pop writes nothing

    for (let seq = 0; seq < 4; seq++) expect(ring.push(descriptor(seq, 2))).toBe(true);
    expect(ring.isFull()).toBe(true);
    expect(ring.size()).toBe(4);
    expect(ring.push(descriptor(99, 2))).toBe(false);
    expect(ring.size()).toBe(4);

    expect(ring.pop(out)).toBe(true);
    expect(ring.isFull()).toBe(false);
    expect(ring.push(descriptor(4, 2))).toBe(true);
    for (let seq = 1; seq <= 4; seq++) {
      expect(ring.pop(out)).toBe(true);
      expect(out).toEqual(descriptor(seq, 2));
    }
    expect(ring.pop(out)).toBe(false);
    expect(ring.isEmpty()).toBe(true);
  });

  it('works with a capacity of one', () => {
    const ring = new Ring({ capacity: 1, slotWords: 1, initialIndex: NEAR_WRAP });
    const out = new Int32Array(1);
    for (let seq = 0; seq < 10; seq++) {
      expect(ring.push([seq])).toBe(true);
      expect(ring.isFull()).toBe(true);
      expect(ring.push([seq])).toBe(false);
      expect(ring.pop(out)).toBe(true);
      expect(out[0]).toBe(seq);
    }
  });

  it('moves batches, partly when the ring fills or empties', () => {
    const ring = new Ring({ capacity: 8, slotWords: 2 });
    expect(ring.pushBatch(descriptors(0, 10, 2), 10)).toBe(8); // room for 8 only
    const dst = new Int32Array(20 * 2);
    expect(ring.popBatch(dst, 3)).toBe(3);
    expect(dst.subarray(0, 6)).toEqual(descriptors(0, 3, 2));
    expect(ring.pushBatch(descriptors(8, 5, 2))).toBe(3); // count defaults to what src holds
    expect(ring.popBatch(dst)).toBe(8); // max defaults to what dst holds
    expect(dst.subarray(0, 16)).toEqual(descriptors(3, 8, 2));
    expect(ring.popBatch(dst)).toBe(0);
    expect(ring.pushBatch(descriptors(0, 2, 2), 0)).toBe(0);
    expect(ring.isEmpty()).toBe(true);
  });

  it('has no guard, no lock or publication statistics, and no waits', () => {
    const ring = new Ring({ capacity: 4, slotWords: 2 });
    for (const absent of ['guard', 'guardPops', 'producers', 'lockStats', 'publishStats', 'poison', 'waitForData']) {
      expect(absent in ring, absent).toBe(false);
    }
    expect(Object.keys(ring.handle).sort()).toEqual(['buffer', 'byteOffset', 'kind']);
    expect(ring.handle.kind).toBe('ring');
  });

  it('computes its byte length from its shape, and a guard adds at least its lock', () => {
    const base = Ring.byteLength({ capacity: 4, slotWords: 8 });
    expect(Ring.byteLength({ capacity: 8, slotWords: 8 }) - base).toBe(4 * 8 * 4);
    expect(Ring.byteLength({ capacity: 4, slotWords: 16 }) - base).toBe(4 * 8 * 4);
    for (const guard of LOCK_KINDS) {
      expect(GuardedRing.byteLength({ capacity: 4, slotWords: 8, guard }) - base).toBeGreaterThanOrEqual(
        lockBytes(guard),
      );
    }
  });

  it('refuses an item array shorter than a slot, as pushBatch does', () => {
    const ring = new Ring({ capacity: 4, slotWords: 4 });
    expect(() => ring.push([1, 2])).toThrow('Ring.push: slot holds 0 descriptors of 4 words, asked for 1');
    expect(() => ring.pop(new Int32Array(2))).toThrow('Ring.pop: out holds 0 descriptors of 4 words, asked for 1');
    expect(ring.isEmpty()).toBe(true);
  });
});

describe.each(KINDS)('$name in one thread', (kindCase) => {
  const { className, create, byteLength, from, kind } = kindCase;

  it('keeps FIFO order across the 2^32 index wrap', () => {
    const ring = create({ capacity: 8, slotWords: 3, initialIndex: NEAR_WRAP });
    exercise(ring, mulberry32(0xc0ffee), 600);
  });

  it('writes nothing outside its region of a bigger buffer', () => {
    const shape = { capacity: 16, slotWords: 5 };
    const byteOffset = 192;
    const bytes = byteLength(shape);
    const buffer = new SharedArrayBuffer(byteOffset + bytes + 256);
    const words = new Int32Array(buffer);
    const canary = (i: number): number => (0x5ca1ab1e ^ Math.imul(i, 0x9e3779b1)) | 0;
    for (let i = 0; i < words.length; i++) words[i] = canary(i);

    const ring = create({ ...shape, buffer, byteOffset, initialIndex: 2 ** 32 - 7 });
    exercise(ring, mulberry32(7), 2000);
    if ('poison' in ring) ring.poison(); // the lock, or the poison word and bells, are inside the region too

    const first = byteOffset / 4;
    const end = (byteOffset + bytes) / 4;
    const trampled: number[] = [];
    for (let i = 0; i < words.length; i++) {
      if ((i < first || i >= end) && words[i] !== canary(i)) trampled.push(i * 4);
    }
    expect(trampled).toEqual([]);
  });

  it('fits in exactly its byte length, which ringBytes gives for its shape too', () => {
    for (const size of [
      { capacity: 1, slotWords: 1 },
      { capacity: 16, slotWords: 3 },
    ]) {
      const bytes = byteLength(size);
      expect(ringBytes({ ...size, ...kindCase.shape })).toBe(bytes);
      const buffer = new SharedArrayBuffer(64 + bytes);
      expect(() => create({ ...size, buffer, byteOffset: 64 })).not.toThrow();
      expect(() => create({ ...size, buffer, byteOffset: 72 })).toThrow(RangeError); // 8 bytes short
    }
  });

  it('rejects bad sizes, regions and indices, naming its class', () => {
    for (const capacity of [0, 3, 6, -4, 2.5, 2 ** 31]) {
      const message = `${className}: capacity must be a power of two from 1 to 2^30, got ${capacity}`;
      expect(() => byteLength({ capacity, slotWords: 1 })).toThrow(message);
      expect(() => create({ capacity, slotWords: 1 })).toThrow(RangeError);
    }
    for (const slotWords of [0, -1, 1.5]) {
      expect(() => create({ capacity: 4, slotWords })).toThrow(`${className}: slotWords must be an integer`);
    }
    for (const initialIndex of [-1, 2 ** 32, 1.5]) {
      expect(() => create({ capacity: 4, slotWords: 1, initialIndex })).toThrow(`${className}: initialIndex must be`);
    }
    const shape = { capacity: 4, slotWords: 1 };
    const bytes = byteLength(shape);
    expect(() => create({ ...shape, buffer: new SharedArrayBuffer(bytes + 64), byteOffset: 4 })).toThrow(RangeError);
    expect(() => create({ ...shape, buffer: new ArrayBuffer(bytes) as unknown as SharedArrayBuffer })).toThrow(
      TypeError,
    );
  });

  it('opens only a handle of its own kind, over a ring of that kind', () => {
    expect(() => from({ kind: 'spin-lock' } as never)).toThrow(
      `${className}.from: handle is of kind "spin-lock", expected "${kind}"`,
    );
    const bytes = byteLength({ capacity: 4, slotWords: 1 });
    expect(() => from({ kind, buffer: new SharedArrayBuffer(bytes), byteOffset: 0 })).toThrow(
      `${className}.from: the region at byteOffset 0 does not hold an initialised ${className}`,
    );
    // A ring of another kind in the region, under a handle that claims this kind.
    const other = (kind === 'ring' ? MULTI : SPSC).create({ capacity: 4, slotWords: 1 });
    expect(() => from({ ...other.handle, kind })).toThrow(TypeError);
  });

  it('shares it with every view opened from its handle (from, openRing), which reads its kind from its header', () => {
    const ring = create({ capacity: 4, slotWords: 2 });
    expect(ring.handle.kind).toBe(kind);
    const views = [from(structuredClone(ring.handle)), openRing(structuredClone(ring.handle))];
    for (const view of views) {
      expect(view.constructor).toBe(ring.constructor);
      expect(view).toMatchObject({ capacity: 4, slotWords: 2 });
      if (ring instanceof GuardedRing && view instanceof GuardedRing) {
        expect(view.guard.kind).toBe(kindCase.shape.guard);
        expect(view.guardPops).toBe(kindCase.shape.guardPops !== false);
      }
      expect(ring.push(descriptor(1, 2))).toBe(true);
      const out = new Int32Array(2);
      expect(view.pop(out)).toBe(true);
      expect(out).toEqual(descriptor(1, 2));
      expect(ring.isEmpty()).toBe(true);
    }
  });

  it('refuses a batch that does not fit its array, moving nothing', () => {
    const ring = create({ capacity: 8, slotWords: 2 });
    expect(() => ring.pushBatch([1, 2], 3)).toThrow(
      `${className}.pushBatch: src holds 1 descriptors of 2 words, asked for 3`,
    );
    expect(() => ring.pushBatch([1, 2, 3, 4], 1, 2)).toThrow(
      `${className}.pushBatch: src holds 2 descriptors of 2 words, asked for 1 from descriptor 2`,
    );
    expect(() => ring.pushBatch([1, 2], -1)).toThrow(RangeError);
    expect(ring.size()).toBe(0);
    expect(ring.pushBatch([1, 2, 3, 4, 5, 6], 3)).toBe(3);
    expect(() => ring.popBatch(new Int32Array(4), 5)).toThrow(`${className}.popBatch: dst holds 2 descriptors`);
    expect(() => ring.pop(new Int32Array(1))).toThrow(RangeError);
    expect(() => ring.push([1])).toThrow(RangeError);
    expect(ring.size()).toBe(3);
  });
});

describe('GuardedRing in one thread', () => {
  it.each(LOCK_KINDS)('takes its %s guard once per push, pop and batch call, successful or not', (guard) => {
    const ring = new GuardedRing({ capacity: 4, slotWords: 2, guard });
    expect(ring.guard.kind).toBe(guard);
    expect(ring.guardPops).toBe(true); // the default
    let calls = exercise(ring, mulberry32(3), 100);
    const out = new Int32Array(2);
    expect(ring.pop(out)).toBe(false);
    for (let seq = 0; seq < 5; seq++) ring.push(descriptor(seq, 2)); // the fifth fails: full
    expect(ring.popBatch(new Int32Array(4))).toBe(2);
    calls += 7;
    expect(ring.lockStats()).toMatchObject({ acquisitions: calls, contentions: 0, timeouts: 0 });
    expect(ring.guard.holder()).toBe(-1);
    // The peeks take no lock.
    ring.size();
    ring.isEmpty();
    ring.isFull();
    expect(ring.lockStats().acquisitions).toBe(calls);
  });

  it.each(LOCK_KINDS)('takes a %s guard for pushes only when guardPops is false', (guard) => {
    const ring = new GuardedRing({ capacity: 4, slotWords: 2, guard, guardPops: false });
    expect(ring.guardPops).toBe(false);
    const out = new Int32Array(8);
    let pushCalls = 0;
    for (let i = 0; i < 50; i++) {
      ring.push(descriptor(i, 2));
      ring.pushBatch(descriptors(i, 2, 2));
      pushCalls += 2;
      ring.pop(out);
      ring.popBatch(out);
    }
    expect(ring.lockStats()).toMatchObject({ acquisitions: pushCalls, contentions: 0 });
    expect(ring.guard.holder()).toBe(-1);
  });

  it('shares its guard with every view, which counts in the same statistics', () => {
    const ring = new GuardedRing({ capacity: 4, slotWords: 2, guard: 'adaptive' });
    const view = GuardedRing.from(structuredClone(ring.handle));
    expect(view.guard.kind).toBe('adaptive');
    ring.push(descriptor(1, 2));
    const out = new Int32Array(2);
    expect(view.pop(out)).toBe(true);
    expect(out).toEqual(descriptor(1, 2));
    expect(view.lockStats().acquisitions).toBe(2);
  });

  it('costs guardPops nothing, and refuses a bad guard or guardPops', () => {
    const shape = { capacity: 4, slotWords: 8 };
    expect(GuardedRing.byteLength({ ...shape, guard: 'ticket', guardPops: false })).toBe(
      GuardedRing.byteLength({ ...shape, guard: 'ticket' }),
    );
    const bad = 'rwlock' as LockKindName;
    expect(() => GuardedRing.byteLength({ ...shape, guard: bad })).toThrow(/^GuardedRing: guard must be one of spin, /);
    expect(() => new GuardedRing({ ...shape, guard: bad })).toThrow(TypeError);
    expect(() => new GuardedRing({ ...shape, guard: 'spin', guardPops: 0 as never })).toThrow(
      'GuardedRing: guardPops must be true or false, got 0',
    );
  });

  it('poison() poisons its guard, as every view sees (its waiters then give up: locks.test.ts)', () => {
    const ring = new GuardedRing({ capacity: 4, slotWords: 1, guard: 'adaptive' });
    const view = GuardedRing.from(ring.handle);
    expect(view.guard.isPoisoned()).toBe(false);
    ring.poison();
    expect(ring.guard.isPoisoned()).toBe(true);
    expect(view.guard.isPoisoned()).toBe(true);
  });
});

describe('MultiProducerRing in one thread', () => {
  it('gives its reservation block cache lines of its own', () => {
    const shape = { capacity: 4, slotWords: 8 };
    // The reservation index, the spin budget and the statistics have a line each; then 16 doorbells.
    const block = 3 * 64 + Math.ceil((16 * Doorbell.BYTES) / 64) * 64;
    expect(MultiProducerRing.byteLength(shape) - Ring.byteLength(shape)).toBe(block);
  });

  it('counts one reservation per push that moved something, and resets the count it returns', () => {
    const ring = new MultiProducerRing({ capacity: 4, slotWords: 2, initialIndex: NEAR_WRAP });
    expect(ring.publishStats()).toEqual(ZERO_STATS);
    let reservations = 0;
    const random = mulberry32(11);
    for (let i = 0; i < 200; i++) {
      const moved = random() < 0.5 ? Number(ring.push(descriptor(i, 2))) : ring.pushBatch(descriptors(i, 3, 2));
      if (moved > 0) reservations++;
      ring.popBatch(new Int32Array(2 * randomInt(random, 1, 4)));
    }
    expect(reservations).toBeGreaterThan(0);
    expect('lockStats' in ring).toBe(false);
    // One thread: no reservation ever finds an earlier one unpublished.
    expect(ring.publishStats()).toEqual({ ...ZERO_STATS, acquisitions: reservations });
    expect(ring.resetPublishStats()).toEqual({ ...ZERO_STATS, acquisitions: reservations });
    expect(ring.publishStats()).toEqual(ZERO_STATS);
    ring.push(descriptor(1, 2));
    expect(MultiProducerRing.from(ring.handle).publishStats().acquisitions).toBe(1);
  });

  it('is the only kind with publication statistics', () => {
    for (const { create } of KINDS.filter((k) => k !== MULTI)) {
      const ring = create({ capacity: 4, slotWords: 1 });
      expect('publishStats' in ring).toBe(false);
      expect('resetPublishStats' in ring).toBe(false);
    }
  });

  it('counts a full ring as full, and refuses a push into it without reserving', () => {
    const ring = new MultiProducerRing({ capacity: 2, slotWords: 1 });
    expect(ring.pushBatch([1, 2, 3])).toBe(2);
    expect(ring.isFull()).toBe(true);
    expect(ring.push([4])).toBe(false);
    expect(ring.pushBatch([4, 5])).toBe(0);
    expect(ring.publishStats().acquisitions).toBe(1);
    const out = new Int32Array(2);
    expect(ring.popBatch(out)).toBe(2);
    expect([...out]).toEqual([1, 2]);
    expect(ring.isFull()).toBe(false);
    expect(ring.isEmpty()).toBe(true);
  });

  it('names push in the error of a short item, and pushBatch in that of a short batch', () => {
    const ring = new MultiProducerRing({ capacity: 4, slotWords: 4 });
    expect(() => ring.push([1, 2])).toThrow('MultiProducerRing.push: src holds 0 descriptors of 4 words, asked for 1');
    expect(() => ring.pushBatch([1, 2, 3, 4], 2)).toThrow('MultiProducerRing.pushBatch:');
    expect(ring.publishStats()).toEqual(ZERO_STATS);
  });
});

describe('createRing, openRing and ringBytes', () => {
  it.each(KINDS)('pick $name for its shape, and openRing opens it as such', ({ shape, create }) => {
    const size = { capacity: 8, slotWords: 2 };
    const ring = createRing({ ...size, ...shape });
    const expected = create(size);
    expect(ring.constructor).toBe(expected.constructor);
    expect(ring.handle.kind).toBe(expected.handle.kind);
    if (ring instanceof GuardedRing) {
      expect(ring.guard.kind).toBe(shape.guard);
      expect(ring.guardPops).toBe(shape.guardPops !== false);
    }
    expect(ringBytes({ ...size, ...shape })).toBe(ring.handle.buffer.byteLength);
    const view = openRing(structuredClone(ring.handle));
    expect(view.constructor).toBe(ring.constructor);
    expect(ring.push([3, 4])).toBe(true);
    const out = new Int32Array(2);
    expect(view.pop(out) && [...out]).toEqual([3, 4]);
  });

  it('places the ring in a buffer of the caller, with the guard’s own options', () => {
    const shape = { capacity: 4, slotWords: 1, guard: 'adaptive' as const };
    const buffer = new SharedArrayBuffer(64 + ringBytes(shape));
    const ring = createRing({ ...shape, buffer, byteOffset: 64, guardOptions: { spin: 0 } });
    expect(ring).toBeInstanceOf(GuardedRing);
    expect(ring.handle).toEqual({ kind: 'guarded-ring', buffer, byteOffset: 64 });
  });

  it('accepts the options that mean the defaults', () => {
    const shape = { capacity: 4, slotWords: 1 };
    expect(createRing({ ...shape, producers: 'single', guard: 'spin', guardPops: true })).toBeInstanceOf(GuardedRing);
    expect(createRing({ ...shape, producers: 'multi', guard: null })).toBeInstanceOf(MultiProducerRing);
    expect(createRing({ ...shape, producers: 'single', guard: null })).toBeInstanceOf(Ring);
    expect(createRing(shape)).toBeInstanceOf(Ring);
  });

  it('refuses bad shapes, one clear error each', () => {
    const shape = { capacity: 4, slotWords: 1 };
    const cases: [RingShape, RegExp][] = [
      [{ ...shape, guard: 'adaptive', producers: 'multi' }, /^createRing: producers 'multi' is for an unguarded ring/],
      [{ ...shape, guardPops: false }, /^createRing: guardPops: false needs a guard/],
      [{ ...shape, guard: null, guardPops: false }, /^createRing: guardPops: false needs a guard/],
      [{ ...shape, producers: 'many' as never }, /^createRing: producers must be 'single' or 'multi', got many/],
      [{ ...shape, guard: 'rwlock' as never }, /^GuardedRing: guard must be one of/],
    ];
    for (const [bad, message] of cases) {
      expect(() => ringBytes(bad)).toThrow(message);
      expect(() => createRing(bad)).toThrow(message);
      expect(() => createRing(bad)).toThrow(TypeError);
    }
    expect(() => createRing({ ...shape, guard: 'spin', guardPops: 0 as never })).toThrow(
      /^createRing: guardPops must be true or false, got 0/,
    );
  });

  it('refuses a handle that is no ring’s', () => {
    expect(() => openRing({ kind: 'spin-lock' } as never)).toThrow(TypeError);
    expect(() => openRing(null as never)).toThrow(TypeError);
  });
});

/** Bytes of canary on each side of a ring's region, and the value every canary byte holds. */
const CANARY_BYTES = 256;
const CANARY = 0xa5;

describe('the one-item fast path of a Ring (cached indices)', () => {
  it.each([1, 4, 16])(
    'is FIFO and exactly-once across the 2^32 wrap, mixed with batches, inside its region (capacity %i)',
    (capacity) => {
      const slotWords = 8;
      const shape = { capacity, slotWords };
      const bytes = Ring.byteLength(shape);
      const buffer = new SharedArrayBuffer(CANARY_BYTES + bytes + CANARY_BYTES);
      const all = new Uint8Array(buffer);
      all.fill(CANARY);
      const ring = new Ring({ ...shape, buffer, byteOffset: CANARY_BYTES, initialIndex: NEAR_WRAP });
      const random = mulberry32(capacity);
      const out = new Int32Array((capacity + 2) * slotWords);
      let pushed = 0;
      let popped = 0;
      const total = 5000;
      while (popped < total) {
        const used = pushed - popped;
        const choice = random();
        if (pushed < total && choice < 0.3) {
          expect(ring.push(descriptor(pushed, slotWords))).toBe(used < capacity);
          if (used < capacity) pushed++;
        } else if (pushed < total && choice < 0.5) {
          const count = Math.min(randomInt(random, 1, capacity + 2), total - pushed);
          pushed += ring.pushBatch(descriptors(pushed, count, slotWords), count);
        } else if (choice < 0.8) {
          const got = ring.pop(out);
          expect(got).toBe(used > 0);
          if (got) expect(out.subarray(0, slotWords)).toEqual(descriptor(popped++, slotWords));
        } else {
          const n = ring.popBatch(out, randomInt(random, 1, capacity + 2));
          expect(out.subarray(0, n * slotWords)).toEqual(descriptors(popped, n, slotWords));
          popped += n;
        }
        expect(ring.size()).toBe(pushed - popped);
      }
      const outside = [...all.subarray(0, CANARY_BYTES), ...all.subarray(CANARY_BYTES + bytes)];
      expect(outside.every((byte) => byte === CANARY)).toBe(true);
    },
  );

  it('stays exact when the producer and the consumer roles move from one view to another', () => {
    const ring = new Ring({ capacity: 4, slotWords: 1, initialIndex: NEAR_WRAP });
    const [a, b, c] = [ring, Ring.from(ring.handle), Ring.from(ring.handle)];
    const out = new Int32Array(1);
    // a fills the ring; b, whose copies date from before, must still see it full.
    for (let i = 0; i < 4; i++) expect(a.push([i])).toBe(true);
    expect(b.push([99])).toBe(false);
    // c pops two; a, whose copy of HEAD is stale, learns of the room only by looking again.
    expect(c.pop(out) && out[0]).toBe(0);
    expect(c.pop(out) && out[0]).toBe(1);
    expect(a.push([4])).toBe(true);
    // b pushes after a did (its TAIL is not the one it wrote): it reads HEAD afresh.
    expect(b.push([5])).toBe(true);
    expect(a.push([6])).toBe(false);
    // b pops after c did (its HEAD is not the one it wrote); then c must not pop what b took.
    const popped: number[] = [];
    for (const view of [b, c, b, c]) if (view.pop(out)) popped.push(out[0]!);
    expect(popped).toEqual([2, 3, 4, 5]);
    expect(a.pop(out) || b.pop(out) || c.pop(out)).toBe(false);
    expect(ring.isEmpty()).toBe(true);
  });

  it('refuses an item array shorter than a slot, as pushBatch does', () => {
    const ring = new Ring({ capacity: 4, slotWords: 4 });
    expect(() => ring.push([1, 2])).toThrow(RangeError);
    expect(() => ring.pop(new Int32Array(2))).toThrow(RangeError);
    expect(ring.isEmpty()).toBe(true);
  });
});

/** What ring-producer.mjs posts. */
interface ProducerResult {
  spaceWaits: number;
  /** push or pushBatch calls, and those of them that moved at least one item. */
  pushCalls: number;
  reservations: number;
}

/** What ring-consumer.mjs posts. */
interface ConsumerResult {
  /** seqs[p]: producer p's sequence numbers in the order this consumer popped them. */
  seqs: number[][];
  dataWaits: number;
}

interface PipelineOptions {
  kind: RingKindCase;
  producers: number;
  consumers: number;
  perProducer: number;
  capacity: number;
  slotWords: number;
  maxBatch: number;
  /** Make the producer wait for space and the consumer wait for data at least once each. */
  forceWaits: boolean;
  /** One item at a time with push() and pop() (the cached-index fast path) instead of batches. */
  single?: boolean;
}

const PRODUCER = fixtureWorker('ring-producer.mjs');
const CONSUMER = fixtureWorker('ring-consumer.mjs');

/** What runPipeline reports. */
interface PipelineResult {
  producers: ProducerResult[];
  consumers: ConsumerResult[];
  /** The ring, for its statistics. */
  ring: AnyRing;
  /** The push calls this thread made for the stop item (it retries while the ring is full). */
  stopPushCalls: number;
}

/**
 * Runs producer and consumer workers over one ring (between canary bytes, checked at the end)
 * until every item is through; then pushes the stop item (which each consumer passes on) and
 * collects what every worker reports. Every consumer owns a doorbell that producers ring after
 * pushing, and every producer one that consumers ring after popping: the one notification rule.
 */
async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { kind, producers, consumers, perProducer, capacity, slotWords, maxBatch, forceWaits, single } = options;
  const shape = { capacity, slotWords };
  const bytes = kind.byteLength(shape);
  const all = new Uint8Array(new SharedArrayBuffer(CANARY_BYTES + bytes + CANARY_BYTES)).fill(CANARY);
  const buffer = all.buffer as SharedArrayBuffer;
  const ring = kind.create({ ...shape, buffer, byteOffset: CANARY_BYTES, initialIndex: NEAR_WRAP });
  const dataBells = Array.from({ length: consumers }, () => new Doorbell());
  const spaceBells = Array.from({ length: producers }, () => new Doorbell());
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const common = {
    ring: ring.handle,
    maxBatch,
    control,
    forceWaits,
    single: single === true,
    dataBells: dataBells.map((bell) => bell.handle),
    spaceBells: spaceBells.map((bell) => bell.handle),
  };
  const consumerRuns = Array.from({ length: consumers }, (_, c) =>
    startWorker<ConsumerResult>(CONSUMER, { ...common, consumer: c, producers, seed: 1000 + c }),
  );
  const producerResults = await runWorkers<ProducerResult>(
    PRODUCER,
    Array.from({ length: producers }, (_, p) => ({ ...common, producer: p, count: perProducer, seed: 1 + p })),
  );
  // Every producer has finished, so the stop item is the last item pushed (and this thread,
  // now the only producer, may push into a Ring too).
  const stop = new Int32Array(slotWords);
  writeItem(stop, 0, slotWords, STOP, 0);
  let stopPushCalls = 0;
  await eventually(() => (stopPushCalls++, ring.push(stop)), 'room in the ring for the stop item');
  for (const bell of dataBells) bell.ring();
  const consumerResults = await Promise.all(consumerRuns.map((run) => run.result));
  expect(ring.size()).toBe(1); // only the stop item, passed on by the last consumer
  const outside = [...all.subarray(0, CANARY_BYTES), ...all.subarray(CANARY_BYTES + bytes)];
  expect(outside.every((byte) => byte === CANARY)).toBe(true);
  return { producers: producerResults, consumers: consumerResults, ring, stopPushCalls };
}

/** The sum of one figure over the producers' results. */
function sum(results: readonly ProducerResult[], figure: 'spaceWaits' | 'pushCalls' | 'reservations'): number {
  return results.reduce((total, result) => total + result[figure], 0);
}

/** Every producer's items arrived exactly once, and each consumer got each producer's in order. */
function expectEachItemOnceInOrder(results: ConsumerResult[], producers: number, perProducer: number): void {
  for (let p = 0; p < producers; p++) {
    for (const [c, { seqs }] of results.entries()) {
      const mine = seqs[p]!;
      const outOfOrder = mine.findIndex((seq, i) => i > 0 && seq <= mine[i - 1]!);
      expect(outOfOrder, `consumer ${c}, producer ${p}: ${mine[outOfOrder - 1]} then ${mine[outOfOrder]}`).toBe(-1);
    }
    const all = results.flatMap(({ seqs }) => seqs[p]!).sort((a, b) => a - b);
    expect(all, `producer ${p}`).toEqual(Array.from({ length: perProducer }, (_, i) => i));
  }
}

describe.each(LOCK_KINDS)('a GuardedRing with a %s guard, across workers', (guard) => {
  it.each([1, 2])(
    'delivers every item of 8 producers exactly once, in each producer’s order, to %i consumer(s)',
    async (consumers) => {
      const producers = 8;
      const perProducer = 1500;
      const { consumers: results } = await runPipeline({
        kind: guardedKind(guard, true),
        producers,
        consumers,
        perProducer,
        capacity: 16,
        slotWords: 4,
        maxBatch: 6,
        forceWaits: false,
      });
      expectEachItemOnceInOrder(results, producers, perProducer);
    },
    WORKER_TEST_MS,
  );
});

describe('a Ring across two workers', () => {
  it.each([
    ['in batches', false],
    ['one at a time (the fast path)', true],
  ])(
    'delivers every 32-byte descriptor exactly once and in order, %s, each side waiting on its doorbell',
    async (_, single) => {
      const count = 20_000;
      const {
        producers: [producer],
        consumers: [consumer],
      } = await runPipeline({
        kind: SPSC,
        producers: 1,
        consumers: 1,
        perProducer: count,
        capacity: 4, // small, so that both sides wait often
        slotWords: 8,
        maxBatch: 6,
        forceWaits: true,
        single,
      });
      expect(consumer!.seqs[0]).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(producer!.spaceWaits).toBeGreaterThan(0);
      expect(consumer!.dataWaits).toBeGreaterThan(0);
    },
    WORKER_TEST_MS,
  );
});

describe('a MultiProducerRing across workers, lock-free', () => {
  it.each([
    ['in batches', false],
    ['one at a time', true],
  ])(
    'delivers every item of 8 producers exactly once, in each producer’s order, %s, across the 2^32 wrap',
    async (_, single) => {
      const producers = 8;
      const perProducer = 1500;
      const { producers: pushed, consumers, ring } = await runPipeline({
        kind: MULTI,
        producers,
        consumers: 1,
        perProducer,
        capacity: 8, // small, so that producers wait for space
        slotWords: 4,
        maxBatch: 6,
        forceWaits: true,
        single,
      });
      expectEachItemOnceInOrder(consumers, producers, perProducer);
      expect(sum(pushed, 'spaceWaits')).toBeGreaterThan(0);
      // Every push that moved something reserved once; so did the stop item's push here and in the consumer.
      expect(ring).toBeInstanceOf(MultiProducerRing);
      const stats = (ring as MultiProducerRing).publishStats();
      expect(stats.acquisitions).toBe(sum(pushed, 'reservations') + 2);
      expectConsistent(stats);
      expect(stats.timeouts).toBe(0);
    },
    WORKER_TEST_MS,
  );

  it(
    'lets a producer stalled between reserve and publish hold the others back, losing nothing, and counts the wait',
    async () => {
      const STALL = fixtureWorker('ring-stall-producer.mjs');
      const stallMs = 100;
      const slotWords = 4;
      const ring = new MultiProducerRing({ capacity: 8, slotWords, initialIndex: NEAR_WRAP });
      const control = new Int32Array(new SharedArrayBuffer(64 * 4));
      const common = { ring: ring.handle, control, stallMs, count: 3 };
      const stalled = startWorker<{ pushed: number; stalledMs: number }>(STALL, {
        ...common,
        role: 'stalled',
        producer: 0,
      });
      const behind = [1, 2].map((producer) =>
        startWorker<{ pushed: number }>(STALL, { ...common, role: 'behind', producer }),
      );
      await eventually(() => Atomics.load(control, STALL_PARKING) !== 0, 'a producer parked behind the stalled one');
      // Producer 0 has reserved and written its slot, and a producer behind it has written its own and
      // waits: nothing may be visible yet.
      expect(Atomics.load(control, STALL_RESERVED)).toBe(1);
      expect(ring.size()).toBe(0);
      expect(ring.isEmpty()).toBe(true);
      Atomics.store(control, STALL_RELEASE, 1);
      const { stalledMs } = await stalled.result;
      const behindPushed = (await Promise.all(behind.map((worker) => worker.result))).map((r) => r.pushed);
      expect(behindPushed).toEqual([3, 3]);
      expect(stalledMs).toBeGreaterThanOrEqual(stallMs);

      // Everything arrived, the stalled producer's item first (it reserved first), each producer's in order.
      const out = new Int32Array(8 * slotWords);
      expect(ring.popBatch(out)).toBe(7);
      const items = Array.from({ length: 7 }, (_, k) => readItem(out, k * slotWords, slotWords));
      expect(items[0]).toEqual({ producer: 0, seq: 0 });
      for (const producer of [1, 2]) {
        expect(items.filter((item) => item.producer === producer).map((item) => item.seq)).toEqual([0, 1, 2]);
      }
      // The first push behind the stall waited from before the stall began until after it ended.
      const stats = ring.publishStats();
      expect(stats.acquisitions).toBe(7);
      expect(stats.contentions).toBeGreaterThanOrEqual(1);
      expect(stats.spins).toBeGreaterThanOrEqual(stats.contentions);
      expect(stats.waitNsMax).toBeGreaterThanOrEqual(Math.floor(stalledMs * 1e6));
      expectConsistent(stats);
      expect(stats.timeouts).toBe(0);
    },
    WORKER_TEST_MS,
  );

  it(
    'lets poison() end the wait of a producer stuck behind one that never publishes',
    async () => {
      const STALL = fixtureWorker('ring-stall-producer.mjs');
      const ring = new MultiProducerRing({ capacity: 8, slotWords: 4 });
      const control = new Int32Array(new SharedArrayBuffer(64 * 4));
      const common = { ring: ring.handle, control, stallMs: 0, count: 1 };
      const stalled = startWorker<{ pushed: number }>(STALL, { ...common, role: 'stalled', producer: 0 });
      const behind = startWorker<{ pushed: number }>(STALL, { ...common, role: 'behind', producer: 1 });
      await eventually(() => Atomics.load(control, STALL_PARKING) !== 0, 'a producer parked behind the stalled one');
      ring.poison();
      // The producer behind gives up its push (its parks are bounded slices), the stalled one is untouched.
      await expect(behind.result).rejects.toThrow(/poisoned/);
      Atomics.store(control, STALL_RELEASE, 1);
      expect((await stalled.result).pushed).toBe(1);
    },
    WORKER_TEST_MS,
  );
});

describe.each(LOCK_KINDS)('a GuardedRing whose %s guard only producers take (guardPops false), in workers', (guard) => {
  it.each([
    ['in batches', false],
    ['one at a time (the pop fast path)', true],
  ])(
    'delivers every item of 8 producers exactly once to one unlocked consumer, %s; the guard counts pushes only',
    async (_, single) => {
      const producers = 8;
      const perProducer = 1500;
      const { producers: pushed, consumers, ring, stopPushCalls } = await runPipeline({
        kind: guardedKind(guard, false),
        producers,
        consumers: 1,
        perProducer,
        capacity: 16,
        slotWords: 4,
        maxBatch: 6,
        forceWaits: false,
        single,
      });
      expectEachItemOnceInOrder(consumers, producers, perProducer);
      expect(ring).toBeInstanceOf(GuardedRing);
      const guarded = ring as GuardedRing;
      // Producers' calls, this thread's stop-item pushes, and the consumer passing the stop item on.
      expect(guarded.lockStats().acquisitions).toBe(sum(pushed, 'pushCalls') + stopPushCalls + 1);
      expect(guarded.guard.holder()).toBe(-1);
    },
    WORKER_TEST_MS,
  );
});
