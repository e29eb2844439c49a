/**
 * Latch, Barrier and Channel between worker threads: a latch opens exactly when its count reaches
 * zero; a barrier keeps its rounds apart, with one leader each; a channel delivers every item
 * exactly once to many consumers, and ends after close() and the drain; and an aborted async
 * wait of each rejects with its reason and leaves no waiter counted, so that the next notify
 * still reaches a real waiter (the test's thread blocks meanwhile, so that only that notify can).
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { Latch } from '../dist/src/sync/latch.js';
import { Barrier, type BarrierPass } from '../dist/src/sync/barrier.js';
import { Channel, ChannelClosedError, type RecvResult } from '../dist/src/ring/channel.js';
import { eventually, fixtureWorker, runWorkers, startWorker, terminateAllWorkers } from './helpers/workers.js';

const LATCH_WORKER = fixtureWorker('latch-worker.mjs');
const BARRIER_WORKER = fixtureWorker('barrier-worker.mjs');
const CHANNEL_WORKER = fixtureWorker('channel-worker.mjs');
/** vitest timeout of every test that starts workers. */
const WORKER_TEST_MS = 30_000;
/** How long a worker may run before the helper terminates it (and the test fails). */
const WORKER_MS = 15_000;
/** Options of every worker. */
const RUN = { timeoutMs: WORKER_MS };

/** The GHOSTS words, as the layouts at the top of latch.ts, barrier.ts and channel.ts place them. */
const LATCH_GHOSTS = 2;
const BARRIER_GHOSTS = 4;
const CHANNEL_RECV_GHOSTS = 18;
const CHANNEL_SEND_GHOSTS = 34;

/** Int32 word `index` of the primitive behind `handle`. */
function word(handle: { buffer: SharedArrayBuffer; byteOffset: number }, index: number): number {
  return Atomics.load(new Int32Array(handle.buffer, handle.byteOffset, index + 1), index);
}

/** Zeroed shared Int32 words for the workers to report in. */
function sharedWords(n = 4): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

/**
 * Blocks this thread until a worker sets words[1] (at most 5 s), so that none of this thread's
 * callbacks (an abandoned park passing its wake-up on) can run before the worker got its wake-up.
 */
function blockUntilReported(words: Int32Array): void {
  Atomics.wait(words, 1, 0, 5_000);
  expect(Atomics.load(words, 1)).toBe(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

afterEach(terminateAllWorkers);

describe('Latch', () => {
  it('counts down to zero, never below', () => {
    expect(() => new Latch(-1)).toThrow(RangeError);
    expect(() => new Latch(1.5)).toThrow(RangeError);
    const latch = new Latch(2);
    expect(() => latch.countDown(3)).toThrow(/^Latch\.countDown: the count would go below zero/);
    expect(() => latch.countDown(-1)).toThrow(RangeError);
    expect(latch.count()).toBe(2);
    expect(latch.wait(0)).toBe(false);
    expect(latch.countDown()).toBe(1);
    expect(latch.countDown()).toBe(0);
    expect(() => latch.countDown()).toThrow(/below zero/);
    expect(latch.count()).toBe(0);
    expect(latch.wait(0)).toBe(true);
    expect(latch.wait()).toBe(true);
  });

  it('an abort that comes after the count reached zero is too late: the wait resolves true', async () => {
    const latch = new Latch(1);
    const controller = new AbortController();
    const waiting = latch.waitAsync({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20)); // parked
    latch.countDown(); // notifies; the resolution is still queued on this thread
    controller.abort(new Error('too late'));
    await expect(waiting).resolves.toBe(true);
  });

  it('lives where it is placed, and opens through its handle', () => {
    const buffer = new SharedArrayBuffer(8 + 2 * Latch.BYTES);
    const a = new Latch(5, { buffer, byteOffset: 8 });
    const b = new Latch(7, { buffer, byteOffset: 8 + Latch.BYTES });
    expect(new Int32Array(buffer, 0, 2)).toEqual(new Int32Array(2)); // nothing written before its region
    expect(Latch.from(a.handle).countDown(2)).toBe(3);
    expect(a.count()).toBe(3);
    expect(b.count()).toBe(7);
    expect(() => new Latch(1, { buffer, byteOffset: 4 })).toThrow(RangeError);
    expect(() => new Latch(1, { buffer, byteOffset: 8 + 2 * Latch.BYTES })).toThrow(RangeError);
    expect(() => Latch.from({ ...a.handle, kind: 'barrier' } as never)).toThrow(TypeError);
    expect(() => Latch.from({ kind: 'latch', buffer: new SharedArrayBuffer(16), byteOffset: 0 })).toThrow(TypeError);
  });

  it(
    'releases its waiters exactly when the count reaches zero',
    async () => {
      const latch = new Latch(3);
      const words = sharedWords(); // [0]: the step of the latest countDown
      const waiters = [0, 1, 2].map(() =>
        startWorker<{ ok: boolean; step: number }>(LATCH_WORKER, { mode: 'wait', latch: latch.handle, words }, RUN),
      );
      await eventually(() => latch.sleepers() === 3, 'the three waiters to park');
      for (let step = 1; step <= 2; step++) {
        Atomics.store(words, 0, step);
        latch.countDown();
      }
      expect(latch.wait(30)).toBe(false); // the count is 1: a short wait times out
      expect(await latch.waitAsync({ timeoutMs: 30 })).toBe(false);
      Atomics.store(words, 0, 3);
      expect(latch.countDown()).toBe(0);
      for (const waiter of waiters) expect(await waiter.result).toEqual({ ok: true, step: 3 });
      expect(await latch.waitAsync()).toBe(true);
      expect(latch.sleepers()).toBe(0);
    },
    WORKER_TEST_MS,
  );

  it(
    'serves round after round as several latches in one buffer',
    async () => {
      const ROUNDS = 5;
      const PARTIES = 3;
      const buffer = new SharedArrayBuffer(ROUNDS * Latch.BYTES);
      const latches = Array.from(
        { length: ROUNDS },
        (_, i) => new Latch(PARTIES, { buffer, byteOffset: i * Latch.BYTES }),
      );
      const counters = sharedWords(ROUNDS);
      const data = { mode: 'phases', latches: latches.map((latch) => latch.handle), counters };
      const results = await runWorkers<{ seen: number[] }>(LATCH_WORKER, [data, data, data], RUN);
      for (const { seen } of results) expect(seen).toEqual(Array(ROUNDS).fill(PARTIES));
      for (const latch of latches) expect(latch.count()).toBe(0);
    },
    WORKER_TEST_MS,
  );

  it(
    'wakes an async waiter of the main thread',
    async () => {
      const latch = new Latch(3);
      const worker = startWorker(LATCH_WORKER, { mode: 'count-down', latch: latch.handle, times: 3 }, RUN);
      expect(await latch.waitAsync({ timeoutMs: WORKER_MS })).toBe(true);
      expect(latch.count()).toBe(0);
      expect(await worker.result).toEqual({ left: 0 });
    },
    WORKER_TEST_MS,
  );

  it(
    'an aborted waitAsync rejects with the reason and leaves no waiter behind',
    async () => {
      const latch = new Latch(1);
      const reason = new Error('stop waiting');
      await expect(latch.waitAsync({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(latch.sleepers()).toBe(0);

      const controller = new AbortController();
      const pending = latch.waitAsync({ signal: controller.signal });
      expect(latch.sleepers()).toBe(1);
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(latch.sleepers()).toBe(0);
      expect(word(latch.handle, LATCH_GHOSTS)).toBe(1); // its Atomics.waitAsync is still pending

      const words = sharedWords();
      const waiter = startWorker(LATCH_WORKER, { mode: 'report', latch: latch.handle, words }, RUN);
      await eventually(() => latch.sleepers() === 1, 'the worker to park');
      await sleep(20);
      latch.countDown();
      blockUntilReported(words);
      expect(await waiter.result).toEqual({ ok: true });
      await eventually(() => word(latch.handle, LATCH_GHOSTS) === 0, 'the abandoned park to settle');
      expect(latch.sleepers()).toBe(0);
    },
    WORKER_TEST_MS,
  );
});

describe('Barrier', () => {
  it('needs at least one party; one party passes alone, as the leader', () => {
    expect(() => new Barrier(0)).toThrow(RangeError);
    expect(() => new Barrier(-2)).toThrow(RangeError);
    expect(() => new Barrier(2.5)).toThrow(RangeError);
    const one = new Barrier(1);
    expect(one.wait()).toEqual({ generation: 0, leader: true });
    expect(one.wait()).toEqual({ generation: 1, leader: true });
    const view = Barrier.from(one.handle);
    expect(view.parties).toBe(1);
    expect(view.generation()).toBe(2);
    expect(() => Barrier.from({ ...one.handle, kind: 'latch' } as never)).toThrow(TypeError);
  });

  it('a wait that times out takes its arrival back', async () => {
    const barrier = new Barrier(2);
    expect(barrier.wait(20)).toBeNull();
    expect(barrier.arrived()).toBe(0);
    expect(await barrier.waitAsync({ timeoutMs: 20 })).toBeNull();
    expect(barrier.arrived()).toBe(0);
    expect(barrier.sleepers()).toBe(0);
    expect(barrier.generation()).toBe(0);
  });

  it(
    'keeps 4 workers in step for 300 rounds, with exactly one leader per round',
    async () => {
      const PARTIES = 4;
      const ROUNDS = 300;
      const barrier = new Barrier(PARTIES);
      const arrivals = sharedWords(ROUNDS);
      const leaders = sharedWords(ROUNDS);
      const data = Array.from({ length: PARTIES }, (_, i) => ({
        mode: 'rounds',
        barrier: barrier.handle,
        rounds: ROUNDS,
        arrivals,
        leaders,
        async: i === 0, // one party waits with waitAsync
      }));
      const results = await runWorkers<{ generations: number[]; early: number }>(BARRIER_WORKER, data, RUN);
      const rounds = Array.from({ length: ROUNDS }, (_, r) => r);
      for (const { generations, early } of results) {
        expect(early).toBe(0); // nobody passed round r before every party had arrived at r
        expect(generations).toEqual(rounds);
      }
      expect(Array.from(leaders)).toEqual(Array(ROUNDS).fill(1));
      expect(Array.from(arrivals)).toEqual(Array(ROUNDS).fill(PARTIES));
      expect(barrier.generation()).toBe(ROUNDS);
      expect(barrier.arrived()).toBe(0);
      expect(barrier.sleepers()).toBe(0);
    },
    WORKER_TEST_MS,
  );

  it(
    'an aborted waitAsync rejects with the reason, takes its arrival back and leaves no waiter',
    async () => {
      const barrier = new Barrier(2);
      const reason = new Error('stop waiting');
      await expect(barrier.waitAsync({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(barrier.arrived()).toBe(0);

      const controller = new AbortController();
      const pending = barrier.waitAsync({ signal: controller.signal });
      expect(barrier.arrived()).toBe(1);
      expect(barrier.sleepers()).toBe(1);
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(barrier.arrived()).toBe(0);
      expect(barrier.sleepers()).toBe(0);
      expect(word(barrier.handle, BARRIER_GHOSTS)).toBe(1);

      const words = sharedWords();
      const other = startWorker<BarrierPass>(BARRIER_WORKER, { mode: 'once', barrier: barrier.handle, words }, RUN);
      await eventually(() => barrier.sleepers() === 1, 'the worker to park');
      expect(barrier.arrived()).toBe(1);
      await sleep(20);
      expect(barrier.wait()).toEqual({ generation: 0, leader: true });
      blockUntilReported(words);
      expect(await other.result).toEqual({ generation: 0, leader: false });
      await eventually(() => word(barrier.handle, BARRIER_GHOSTS) === 0, 'the abandoned park to settle');
      expect(barrier.generation()).toBe(1);
    },
    WORKER_TEST_MS,
  );
});

describe('Channel', () => {
  it('in one thread: FIFO, full and empty, shape checks, placement and handles', () => {
    const channel = new Channel({ capacity: 2, slotWords: 3 });
    const into = new Int32Array(3);
    expect(channel.tryRecv(into)).toBe('empty');
    expect(channel.recv(into, 0)).toBe('timed-out');
    expect(channel.trySend([1, 2, 3])).toBe(true);
    expect(channel.send(Int32Array.of(4, 5, 6), 0)).toBe(true);
    expect(channel.trySend([7, 8, 9])).toBe(false);
    expect(channel.send([7, 8, 9], 10)).toBe(false);
    expect(channel.size()).toBe(2);
    const view = Channel.from(channel.handle);
    expect(view.capacity).toBe(2);
    expect(view.slotWords).toBe(3);
    expect(view.guardKind).toBe('adaptive');
    expect(view.recv(into)).toBe('item');
    expect(Array.from(into)).toEqual([1, 2, 3]);
    expect(channel.tryRecv(into)).toBe('item');
    expect(Array.from(into)).toEqual([4, 5, 6]);
    expect(channel.sleepers()).toEqual({ receivers: 0, senders: 0 });
    expect(channel.lockStats().acquisitions).toBeGreaterThan(0);

    expect(() => channel.trySend([1, 2])).toThrow(RangeError);
    expect(() => channel.tryRecv(new Int32Array(2))).toThrow(RangeError);
    expect(() => channel.recv(into, -1)).toThrow(RangeError);
    expect(() => new Channel({ capacity: 3, slotWords: 1 })).toThrow(RangeError);
    expect(() => new Channel({ capacity: 4, slotWords: 0 })).toThrow(RangeError);
    expect(() => new Channel({ capacity: 4, slotWords: 1, guard: 'nope' as never })).toThrow(TypeError);

    const shape = { capacity: 4, slotWords: 2, guard: 'spin' } as const;
    const bytes = Channel.byteLength(shape);
    const buffer = new SharedArrayBuffer(64 + bytes);
    const placed = new Channel({ ...shape, buffer, byteOffset: 64 });
    expect(new Int32Array(buffer, 0, 16)).toEqual(new Int32Array(16)); // nothing written before its region
    expect(placed.trySend([5, 6])).toBe(true);
    const opened = Channel.from(placed.handle);
    expect(opened.guardKind).toBe('spin');
    expect(opened.tryRecv(into)).toBe('item');
    expect(Array.from(into.subarray(0, 2))).toEqual([5, 6]);
    expect(() => new Channel({ ...shape, buffer: new SharedArrayBuffer(bytes - 8), byteOffset: 0 })).toThrow(
      RangeError,
    );
    expect(() => Channel.from({ ...placed.handle, kind: 'ring' } as never)).toThrow(TypeError);
    expect(() => Channel.from({ kind: 'channel', buffer, byteOffset: 0 })).toThrow(TypeError);
  });

  it('after close(): sends throw ChannelClosedError, receivers drain what is left, then see the end', async () => {
    const channel = new Channel({ capacity: 4, slotWords: 1 });
    expect(channel.trySend([1])).toBe(true);
    expect(channel.trySend([2])).toBe(true);
    expect(channel.isClosed()).toBe(false);
    expect(channel.close()).toBe(true);
    expect(channel.close()).toBe(false);
    expect(channel.isClosed()).toBe(true);
    expect(() => channel.trySend([3])).toThrow(ChannelClosedError);
    expect(() => channel.send([3])).toThrow('send on a closed channel');
    await expect(channel.sendAsync([3])).rejects.toBeInstanceOf(ChannelClosedError);
    const into = new Int32Array(1);
    expect(channel.tryRecv(into)).toBe('item');
    expect(into[0]).toBe(1);
    expect(await channel.recvAsync(into)).toBe('item');
    expect(into[0]).toBe(2);
    expect(channel.recv(into)).toBe('closed');
    expect(channel.tryRecv(into)).toBe('closed');
    expect(await channel.recvAsync(into)).toBe('closed');
  });

  it(
    'close() wakes the receivers and senders that wait',
    async () => {
      const empty = new Channel({ capacity: 2, slotWords: 2 });
      const full = new Channel({ capacity: 1, slotWords: 2 });
      expect(full.trySend([1, 1])).toBe(true);
      const receiver = startWorker<{ result: RecvResult }>(
        CHANNEL_WORKER,
        { mode: 'recv-one', channel: empty.handle, words: sharedWords() },
        RUN,
      );
      const sender = startWorker<{ error: string }>(
        CHANNEL_WORKER,
        { mode: 'send-one', channel: full.handle, words: sharedWords(), item: [2, 2] },
        RUN,
      );
      const here = empty.recvAsync(new Int32Array(2));
      await eventually(() => empty.sleepers().receivers === 2, 'the receivers to park');
      await eventually(() => full.sleepers().senders === 1, 'the sender to park');
      empty.close();
      full.close();
      expect(await here).toBe('closed');
      expect((await receiver.result).result).toBe('closed');
      expect(await sender.result).toEqual({ error: 'ChannelClosedError' });
      const into = new Int32Array(2);
      expect(full.tryRecv(into)).toBe('item'); // sent before close(): still delivered
      expect(full.tryRecv(into)).toBe('closed');
    },
    WORKER_TEST_MS,
  );

  it(
    'delivers every item exactly once, 3 producers to 3 consumers',
    async () => {
      const PRODUCERS = 3;
      const CONSUMERS = 3;
      const COUNT = 20_000;
      const PER_PRODUCER = 1 << 20; // as in channel-worker.mjs
      const channel = new Channel({ capacity: 64, slotWords: 3 });
      const consumers = Array.from({ length: CONSUMERS }, (_, i) =>
        startWorker<{ ids: number[] }>(
          CHANNEL_WORKER,
          { mode: 'consume', channel: channel.handle, async: i === 0 }, // one consumer iterates with for await
          RUN,
        ),
      );
      const producers = Array.from({ length: PRODUCERS }, (_, producer) =>
        startWorker<{ sent: number }>(
          CHANNEL_WORKER,
          { mode: 'produce', channel: channel.handle, producer, count: COUNT, async: producer === 0 },
          RUN,
        ),
      );
      for (const producer of producers) expect(await producer.result).toEqual({ sent: COUNT });
      expect(channel.close()).toBe(true);
      const received = await Promise.all(consumers.map((consumer) => consumer.result));

      const times = new Uint8Array(PRODUCERS * COUNT);
      let total = 0;
      let checksum = 0;
      let duplicates = 0;
      let outOfOrder = 0;
      for (const { ids } of received) {
        const last = Array<number>(PRODUCERS).fill(-1);
        for (const id of ids) {
          const producer = Math.floor(id / PER_PRODUCER);
          const seq = id % PER_PRODUCER;
          const at = producer * COUNT + seq;
          if (times[at] !== 0) duplicates++;
          times[at] = times[at]! + 1;
          if (seq <= last[producer]!) outOfOrder++; // one producer's items arrive in order at each consumer
          last[producer] = seq;
          total++;
          checksum += id;
        }
      }
      expect(duplicates).toBe(0);
      expect(outOfOrder).toBe(0);
      expect(total).toBe(PRODUCERS * COUNT);
      const producerSum = (PRODUCERS * (PRODUCERS - 1)) / 2;
      const expectedSum = COUNT * PER_PRODUCER * producerSum + PRODUCERS * ((COUNT * (COUNT - 1)) / 2);
      expect(checksum).toBe(expectedSum);
      expect(times.every((n) => n === 1)).toBe(true);
      expect(channel.size()).toBe(0);
      expect(channel.sleepers()).toEqual({ receivers: 0, senders: 0 });
    },
    WORKER_TEST_MS,
  );

  it(
    'for await yields every item and ends after close() and the drain',
    async () => {
      const COUNT = 500;
      const channel = new Channel({ capacity: 8, slotWords: 3 });
      const producer = startWorker(
        CHANNEL_WORKER,
        { mode: 'produce-close', channel: channel.handle, producer: 5, count: COUNT },
        RUN,
      );
      const seqs: number[] = [];
      for await (const item of channel) {
        expect(item).toHaveLength(3);
        expect(item[0]).toBe(5);
        seqs.push(item[1]!);
      }
      expect(seqs).toEqual(Array.from({ length: COUNT }, (_, i) => i));
      expect(await producer.result).toEqual({ sent: COUNT });
      expect(channel.isClosed()).toBe(true);
    },
    WORKER_TEST_MS,
  );

  it(
    'an aborted recvAsync rejects with the reason and leaves no receiver behind',
    async () => {
      const channel = new Channel({ capacity: 4, slotWords: 2 });
      const into = new Int32Array(2);
      const reason = new Error('stop waiting');
      await expect(channel.recvAsync(into, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(channel.sleepers().receivers).toBe(0);

      const controller = new AbortController();
      const pending = channel.recvAsync(into, { signal: controller.signal });
      expect(channel.sleepers().receivers).toBe(1);
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(channel.sleepers().receivers).toBe(0);
      expect(word(channel.handle, CHANNEL_RECV_GHOSTS)).toBe(1); // first on the wait list, still pending

      const words = sharedWords();
      const receiver = startWorker(CHANNEL_WORKER, { mode: 'recv-one', channel: channel.handle, words }, RUN);
      await eventually(() => channel.sleepers().receivers === 1, 'the worker to park');
      await sleep(20);
      expect(channel.trySend([7, 8])).toBe(true); // wakes one receiver and the ghost ahead of it
      blockUntilReported(words);
      expect(await receiver.result).toEqual({ result: 'item', item: [7, 8] });
      await eventually(() => word(channel.handle, CHANNEL_RECV_GHOSTS) === 0, 'the abandoned park to settle');
      expect(channel.sleepers().receivers).toBe(0);
      expect(channel.size()).toBe(0);
    },
    WORKER_TEST_MS,
  );

  it(
    'an aborted sendAsync on a full channel rejects with the reason and leaves no sender behind',
    async () => {
      const channel = new Channel({ capacity: 1, slotWords: 2 });
      expect(channel.trySend([1, 1])).toBe(true);
      const reason = new Error('give up');
      await expect(channel.sendAsync([9, 9], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);

      const controller = new AbortController();
      const pending = channel.sendAsync([2, 2], { signal: controller.signal });
      expect(channel.sleepers().senders).toBe(1);
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(channel.sleepers()).toEqual({ receivers: 0, senders: 0 });
      expect(word(channel.handle, CHANNEL_SEND_GHOSTS)).toBe(1);

      const words = sharedWords();
      const data = { mode: 'send-one', channel: channel.handle, words, item: [3, 3] };
      const sender = startWorker(CHANNEL_WORKER, data, RUN);
      await eventually(() => channel.sleepers().senders === 1, 'the worker to wait for room');
      await sleep(20);
      const into = new Int32Array(2);
      expect(channel.tryRecv(into)).toBe('item'); // makes room: wakes one sender and the ghost ahead of it
      expect(Array.from(into)).toEqual([1, 1]);
      blockUntilReported(words);
      expect(await sender.result).toEqual({ sent: true });
      expect(channel.tryRecv(into)).toBe('item');
      expect(Array.from(into)).toEqual([3, 3]); // the aborted item was never sent
      expect(channel.tryRecv(into)).toBe('empty');
      await eventually(() => word(channel.handle, CHANNEL_SEND_GHOSTS) === 0, 'the abandoned park to settle');
      expect(channel.sleepers().senders).toBe(0);
    },
    WORKER_TEST_MS,
  );
});
