/**
 * Doorbell as a shareable primitive: a bell of its own buffer or over words of yours, its handle
 * and Doorbell.from across a worker, and its wake-up counts: ring(source) counts a wake-up under
 * its source only when it notified a sleeper, once per sleep however many rings follow, and every
 * view reads the same counts.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { Doorbell, DOORBELL_SOURCES } from '../dist/src/index.js';
import { eventually, inlineWorker, startWorker, terminateAllWorkers } from './helpers/workers.js';

/** vitest timeout of every test that starts workers (the helper terminates them sooner). */
const WORKER_TEST_MS = 30_000;

afterEach(terminateAllWorkers);

/**
 * Opens the bell of `workerData.bell` and parks on it (waitUntil, no timeout) until word 0 of
 * `workerData.work` is set; then rings `workerData.back` from source 3 once the main thread
 * parks on it. Posts { seen, handle } (the view's handle, for comparison).
 */
const SLEEPER = inlineWorker(
  `
const bell = vblk.Doorbell.from(workerData.bell);
const back = vblk.Doorbell.from(workerData.back);
const { work } = workerData;
vblk.waitUntil(() => Atomics.load(work, 0) !== 0, bell, new vblk.PollWindow(0), Infinity);
while (!back.hasSleepers()) Atomics.wait(work, 1, 0, 1);
Atomics.store(work, 2, 1);
back.ring(3);
parentPort.postMessage({ seen: Atomics.load(work, 0), handle: bell.handle, wakeups: bell.wakeups() });
`,
  'doorbell sleeper',
);

describe('Doorbell: handle and from', () => {
  it('allocates a buffer of its own without arguments, and describes it by a structured-cloneable handle', () => {
    const bell = new Doorbell();
    const { handle } = bell;
    expect(handle.kind).toBe('doorbell');
    expect(handle.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(handle.buffer.byteLength).toBeGreaterThanOrEqual(Doorbell.BYTES);
    expect(handle.byteOffset).toBe(0);
    expect(structuredClone(handle)).toMatchObject({ kind: 'doorbell', byteOffset: 0 });
  });

  it('describes a bell over words of yours by where its first word is, and from() opens the same words', () => {
    const words = new Int32Array(new SharedArrayBuffer(64 + Doorbell.BYTES), 16);
    const bell = new Doorbell(words, 5);
    expect(bell.handle).toEqual({ kind: 'doorbell', buffer: words.buffer, byteOffset: 16 + 5 * 4 });
    const view = Doorbell.from(bell.handle);
    let parked = false;
    const pending = view.parkAsync(() => parked, 10_000);
    expect(bell.hasSleepers()).toBe(true); // the view's sleeper is seen through the first view
    parked = true;
    expect(bell.ring(2)).toBe(true);
    return pending.then((result) => {
      expect(result).toBe('woken');
      expect(view.wakeups(2)).toBe(1);
    });
  });

  it('refuses words that do not fit, and a handle that is not a doorbell’s', () => {
    expect(() => new Doorbell(new Int32Array(new SharedArrayBuffer(16)), 0)).toThrow(RangeError);
    expect(() => new Doorbell(new Int32Array(new SharedArrayBuffer(Doorbell.BYTES)), 1)).toThrow(RangeError);
    expect(() => new Doorbell(new Int32Array(new SharedArrayBuffer(Doorbell.BYTES)), -1)).toThrow(RangeError);
    expect(() => Doorbell.from({ kind: 'latch' } as never)).toThrow(TypeError);
    expect(() => Doorbell.from(null as never)).toThrow(TypeError);
    expect(() => Doorbell.from({ kind: 'doorbell', buffer: new ArrayBuffer(64), byteOffset: 0 } as never)).toThrow(
      TypeError,
    );
  });

  it(
    'is the same bell in a worker that opened it from its handle, both ways',
    async () => {
      const bell = new Doorbell();
      const back = new Doorbell();
      const work = new Int32Array(new SharedArrayBuffer(16));
      const sleeper = startWorker<{ seen: number; handle: unknown; wakeups: number }>(SLEEPER, {
        bell: bell.handle,
        back: back.handle,
        work,
      });
      await eventually(() => bell.hasSleepers(), 'the worker to park on the bell');
      Atomics.store(work, 0, 7);
      expect(bell.ring(1)).toBe(true);
      // Now the worker rings this thread's bell, from source 3, once this thread parks on it.
      await expect(back.parkAsync(() => Atomics.load(work, 2) !== 0, 10_000)).resolves.not.toBe('timed-out');
      const { seen, handle, wakeups } = await sleeper.result;
      expect(seen).toBe(7);
      expect(handle).toEqual(bell.handle);
      expect(wakeups).toBe(1); // counted in the shared words, as the worker's view reads them
      expect(bell.wakeups(1)).toBe(1);
      expect(bell.wakeups()).toBe(1);
      // The worker's ring from source 3 woke this thread only if it was still parked then.
      expect(back.wakeups(3)).toBeLessThanOrEqual(1);
      expect(back.wakeups()).toBe(back.wakeups(3));
    },
    WORKER_TEST_MS,
  );
});

describe('Doorbell: ring(source) and wakeups(source)', () => {
  it('counts nothing when nobody sleeps', () => {
    const bell = new Doorbell();
    for (let source = 0; source < DOORBELL_SOURCES; source++) expect(bell.ring(source)).toBe(false);
    expect(bell.ring()).toBe(false);
    expect(bell.wakeups()).toBe(0);
    for (let source = 0; source < DOORBELL_SOURCES; source++) expect(bell.wakeups(source)).toBe(0);
  });

  it('counts a wake-up under its source only when it notified a sleeper, once per sleep', async () => {
    const bell = new Doorbell();
    let ready = false;
    const first = bell.parkAsync(() => ready, 10_000);
    ready = true;
    expect(bell.ring(2)).toBe(true); // a sleeper: notified and counted under source 2
    expect(bell.ring(1)).toBe(false); // already woken, not yet parked again: neither notified nor counted
    expect(bell.ring(2)).toBe(false);
    await expect(first).resolves.toBe('woken');
    expect(bell.wakeups(2)).toBe(1);
    expect(bell.wakeups(1)).toBe(0);

    ready = false;
    const second = bell.parkAsync(() => ready, 10_000); // parks again: re-armed
    ready = true;
    expect(bell.ring()).toBe(true); // source 0 by default
    await expect(second).resolves.toBe('woken');
    expect([0, 1, 2, 3].map((source) => bell.wakeups(source))).toEqual([1, 0, 1, 0]);
    expect(bell.wakeups()).toBe(2);
    expect(Doorbell.from(bell.handle).wakeups()).toBe(2); // the counts live in the bell's words
  });

  it('counts no wake-up for a park that found its condition already true', async () => {
    const bell = new Doorbell();
    expect(bell.park(() => true, 10_000)).toBe('ready');
    await expect(bell.parkAsync(() => true, 10_000)).resolves.toBe('ready');
    expect(bell.ring(1)).toBe(false);
    expect(bell.wakeups()).toBe(0);
  });
});
