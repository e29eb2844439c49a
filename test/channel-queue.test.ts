/**
 * Channel's queue algorithm (Vyukov's bounded MPMC queue with crossbeam's closed mark in the tail,
 * see src/ring/channel.ts): exact delivery with many producers and consumers in workers, each
 * producer's order kept at one consumer, index wrap-around past 2^32, close() against senders that
 * wait or race it, and no lost wake-up when every operation has to wait.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { Channel, ChannelClosedError } from '../dist/src/ring/channel.js';
import { eventually, fixtureWorker, startWorker, terminateAllWorkers } from './helpers/workers.js';

const CHANNEL_WORKER = fixtureWorker('channel-worker.mjs');
const CLOSE_RACE_WORKER = fixtureWorker('channel-close-race.mjs');
const WORKER_TEST_MS = 60_000;
const RUN = { timeoutMs: 40_000 };
/** As in channel-worker.mjs. */
const PER_PRODUCER = 1 << 20;
const TWO_32 = 2 ** 32;

/** A start index `laps` laps before the 32-bit indices wrap, at slot `index` (capacity a power of two). */
function nearWrap(capacity: number, laps: number, index: number): number {
  return TWO_32 - laps * 2 * capacity + index;
}

interface Tally {
  total: number;
  duplicates: number;
  outOfOrder: number;
  /** Items per producer. */
  perProducer: number[];
  /** Per producer, whether its items 0 .. n-1 each arrived exactly once. */
  complete: boolean[];
}

/** Counts what the consumers received (ids as channel-worker.mjs posts them). */
function tally(received: { ids: number[] }[], producers: number, expected: number[]): Tally {
  const seen = expected.map((n) => new Uint8Array(n));
  const perProducer = Array<number>(producers).fill(0);
  let total = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  for (const { ids } of received) {
    const last = Array<number>(producers).fill(-1);
    for (const id of ids) {
      const p = Math.floor(id / PER_PRODUCER);
      const seq = id % PER_PRODUCER;
      if (seen[p]![seq] !== 0) duplicates++;
      seen[p]![seq] = 1;
      if (seq <= last[p]!) outOfOrder++;
      last[p] = seq;
      perProducer[p]!++;
      total++;
    }
  }
  return { total, duplicates, outOfOrder, perProducer, complete: seen.map((s) => s.every((x) => x === 1)) };
}

afterEach(terminateAllWorkers);

/** `n` consumer workers of `channel` (channel-worker.mjs 'consume'); the first iterates with for await. */
function startConsumers(channel: Channel, n: number): Promise<{ ids: number[] }[]> {
  const consume = (i: number) => ({ mode: 'consume', channel: channel.handle, async: i === 0 });
  const start = (i: number) => startWorker<{ ids: number[] }>(CHANNEL_WORKER, consume(i), RUN).result;
  return Promise.all(Array.from({ length: n }, (_, i) => start(i)));
}

/** `n` producer workers (`worker`, with `data` added to each); the first sends with sendAsync. */
function startProducers(worker: typeof CHANNEL_WORKER, channel: Channel, n: number, data: object): Promise<number[]> {
  const produce = (producer: number) => ({ ...data, channel: channel.handle, producer, async: producer === 0 });
  const results = Array.from({ length: n }, (_, p) => startWorker<{ sent: number }>(worker, produce(p), RUN).result);
  return Promise.all(results).then((all) => all.map((r) => r.sent));
}

describe('Channel queue', () => {
  it('wraps its indices past 2^32 in one thread: FIFO, full, empty and size on every lap', () => {
    for (const capacity of [1, 2, 4, 8]) {
      const channel = new Channel({ capacity, slotWords: 2, initialIndex: nearWrap(capacity, 3, capacity - 1) });
      const into = new Int32Array(2);
      let sent = 0;
      let received = 0;
      for (let round = 0; round < 40; round++) {
        const fill = 1 + (round % capacity);
        for (let i = 0; i < fill; i++) expect(channel.trySend([sent, ~sent++])).toBe(true);
        if (fill === capacity) expect(channel.trySend([0, 0])).toBe(false);
        expect(channel.size()).toBe(fill);
        for (let i = 0; i < fill; i++) {
          expect(channel.tryRecv(into)).toBe('item');
          expect(Array.from(into)).toEqual([received, ~received++]);
        }
        expect(channel.tryRecv(into)).toBe('empty');
        expect(channel.size()).toBe(0);
      }
      const stats = channel.lockStats();
      expect(stats.acquisitions).toBe(2 * sent);
      expect(stats.contentions).toBe(0);
      channel.trySend([7, 7]);
      channel.close();
      expect(() => channel.trySend([1, 1])).toThrow(ChannelClosedError);
      expect(channel.size()).toBe(1);
      expect(channel.tryRecv(into)).toBe('item');
      expect(channel.tryRecv(into)).toBe('closed');
    }
    expect(() => new Channel({ capacity: 4, slotWords: 1, initialIndex: 4 })).toThrow(RangeError); // the mark bit
    expect(() => new Channel({ capacity: 4, slotWords: 1, initialIndex: TWO_32 })).toThrow(RangeError);
    expect(() => new Channel({ capacity: 4, slotWords: 1, initialIndex: -1 })).toThrow(RangeError);
    expect(() => new Channel({ capacity: 2 ** 29, slotWords: 1 })).toThrow(RangeError);
  });

  it(
    'delivers every item exactly once, 4 producers to 4 consumers in workers, across the 2^32 wrap',
    async () => {
      const PRODUCERS = 4;
      const CONSUMERS = 4;
      const COUNT = 25_000;
      const capacity = 4;
      // 100_000 items go through 25_000 laps: start 10_000 laps before the wrap.
      const channel = new Channel({ capacity, slotWords: 3, initialIndex: nearWrap(capacity, 10_000, 0) });
      const received = startConsumers(channel, CONSUMERS);
      const sent = await startProducers(CHANNEL_WORKER, channel, PRODUCERS, { mode: 'produce', count: COUNT });
      expect(sent).toEqual(Array(PRODUCERS).fill(COUNT));
      expect(channel.close()).toBe(true);
      const t = tally(await received, PRODUCERS, sent);
      expect(t.duplicates).toBe(0);
      expect(t.outOfOrder).toBe(0);
      expect(t.total).toBe(PRODUCERS * COUNT);
      expect(t.complete).toEqual(Array(PRODUCERS).fill(true));
      expect(channel.size()).toBe(0);
      expect(channel.sleepers()).toEqual({ receivers: 0, senders: 0 });
      expect(channel.lockStats().acquisitions).toBe(2 * PRODUCERS * COUNT);
    },
    WORKER_TEST_MS,
  );

  it(
    "keeps each producer's order at one consumer (3 producers, 1 consumer)",
    async () => {
      const PRODUCERS = 3;
      const COUNT = 30_000;
      const channel = new Channel({ capacity: 16, slotWords: 3 });
      const received = startConsumers(channel, 1);
      const sent = await startProducers(CHANNEL_WORKER, channel, PRODUCERS, { mode: 'produce', count: COUNT });
      expect(sent).toEqual(Array(PRODUCERS).fill(COUNT));
      channel.close();
      const t = tally(await received, PRODUCERS, sent);
      expect(t.outOfOrder).toBe(0);
      expect(t.duplicates).toBe(0);
      expect(t.total).toBe(PRODUCERS * COUNT);
      expect(t.complete).toEqual(Array(PRODUCERS).fill(true));
    },
    WORKER_TEST_MS,
  );

  it(
    'close() while senders wait for room: every waiting sender throws, what was sent is drained',
    async () => {
      const channel = new Channel({ capacity: 2, slotWords: 2 });
      expect(channel.trySend([1, 1])).toBe(true);
      expect(channel.trySend([2, 2])).toBe(true);
      const senders = Array.from({ length: 3 }, (_, i) =>
        startWorker<{ error?: string }>(
          CHANNEL_WORKER,
          { mode: 'send-one', channel: channel.handle, words: new Int32Array(new SharedArrayBuffer(16)), item: [9, i] },
          RUN,
        ),
      );
      const here = channel.sendAsync([8, 8]).catch((error: unknown) => error); // settles before it is awaited
      await eventually(() => channel.sleepers().senders === 4, 'the senders to wait for room');
      expect(channel.close()).toBe(true);
      for (const sender of senders) expect(await sender.result).toEqual({ error: 'ChannelClosedError' });
      expect(await here).toBeInstanceOf(ChannelClosedError);
      const into = new Int32Array(2);
      expect(channel.tryRecv(into)).toBe('item');
      expect(Array.from(into)).toEqual([1, 1]);
      expect(channel.recv(into)).toBe('item');
      expect(Array.from(into)).toEqual([2, 2]);
      expect(channel.recv(into)).toBe('closed');
      expect(channel.sleepers()).toEqual({ receivers: 0, senders: 0 });
    },
    WORKER_TEST_MS,
  );

  it(
    'close() racing busy senders: every send that returned true is received, exactly once',
    async () => {
      const PRODUCERS = 3;
      for (let run = 0; run < 3; run++) {
        const channel = new Channel({ capacity: 8, slotWords: 3, initialIndex: nearWrap(8, 2, 5) });
        const received = startConsumers(channel, 2);
        const sending = startProducers(CLOSE_RACE_WORKER, channel, PRODUCERS, {});
        await eventually(() => channel.lockStats().acquisitions > 20_000, 'the producers to get going');
        expect(channel.close()).toBe(true);
        const sent = await sending;
        const t = tally(await received, PRODUCERS, sent);
        expect(t.duplicates).toBe(0);
        expect(t.outOfOrder).toBe(0);
        expect(t.perProducer).toEqual(sent);
        expect(t.complete).toEqual(Array(PRODUCERS).fill(true));
        expect(channel.size()).toBe(0);
      }
    },
    WORKER_TEST_MS,
  );

  it(
    'loses no wake-up when every send and receive has to wait (capacity 1, blocking and async)',
    async () => {
      const COUNT = 20_000;
      for (const async of [false, true]) {
        const channel = new Channel({ capacity: 1, slotWords: 3 });
        const consume = { mode: 'consume', channel: channel.handle, async };
        const consumer = startWorker<{ ids: number[] }>(CHANNEL_WORKER, consume, RUN);
        const producer = startWorker<{ sent: number }>(
          CHANNEL_WORKER,
          { mode: 'produce-close', channel: channel.handle, producer: 2, count: COUNT },
          RUN,
        );
        expect(await producer.result).toEqual({ sent: COUNT });
        const { ids } = await consumer.result;
        expect(ids).toEqual(Array.from({ length: COUNT }, (_, i) => 2 * PER_PRODUCER + i));
        expect(channel.sleepers()).toEqual({ receivers: 0, senders: 0 });
      }
    },
    WORKER_TEST_MS,
  );
});
