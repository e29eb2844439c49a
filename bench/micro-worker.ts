/**
 * The worker side of `npm run bench:micro`: runs one {@link MicroTask} and posts its count.
 * See micro-protocol.ts for the GO/STOP handshake.
 *
 * Even the single-thread (uncontended) figures are taken here, one worker per lock kind: every
 * case then starts in a fresh V8 isolate, so the call sites `lock.lock()`/`lock.unlock()` see
 * one class only (monomorphic, as in real code that uses one kind) and no case inherits the
 * type feedback or the JIT state of the case before it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Bench } from 'tinybench';

import { createLock, openLock } from '../src/sync/index.js';
import { Channel, openRing, Ring } from '../src/ring/index.js';
import { DEFAULT_POLL_MAX_NS, Doorbell, PollWindow, waitUntil } from '../src/sync/index.js';
import { BareLock } from './bare-lock.js';
import {
  COUNTER,
  GO,
  GO_TIMEOUT_MS,
  RECEIVED,
  STOP,
  WAIT_SLICE_MS,
  type MicroMessage,
  type MicroTask,
  type MicroWorkerData,
  type RingBufModule,
} from './micro-protocol.js';

/** lock+unlock pairs per tinybench iteration: enough to dwarf the cost of reading the clock. */
const PAIRS_PER_ITERATION = 1000;
/** message-port case: the consumer wakes a waiting producer every this many messages. */
const NOTIFY_EVERY = 256;

/** A count, or a count with the worker's own rate. */
type Done = Omit<Extract<MicroMessage, { type: 'done' }>, 'type'>;

const port = parentPort;
if (port === null) throw new Error('micro-worker.ts runs as a worker thread of bench/micro.js');
const { task, control } = workerData as MicroWorkerData;

function post(message: MicroMessage): void {
  port!.postMessage(message);
}

/** Posts `ready` and waits for GO, for at most GO_TIMEOUT_MS. */
function readyThenAwaitGo(): void {
  post({ type: 'ready' });
  const deadline = performance.now() + GO_TIMEOUT_MS;
  while (Atomics.load(control, GO) === 0) {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`no GO from the main thread within ${GO_TIMEOUT_MS} ms`);
    Atomics.wait(control, GO, 0, left);
  }
}

function stopped(): boolean {
  return Atomics.load(control, STOP) !== 0;
}

/** Lock+unlock pairs per second on an uncontended lock, timed by tinybench. */
async function uncontended(task: Extract<MicroTask, { kind: 'uncontended' }>): Promise<Done> {
  const lock = task.lock === 'bare' ? new BareLock() : createLock(task.lock);
  const bench = new Bench({ time: task.timeMs, warmupTime: Math.min(200, task.timeMs / 4), throws: true });
  bench.add(task.lock, () => {
    for (let i = 0; i < PAIRS_PER_ITERATION; i++) {
      lock.lock();
      lock.unlock();
    }
  });
  readyThenAwaitGo();
  await bench.run();
  const { result, runs } = bench.tasks[0]!;
  if (result.state !== 'completed') throw new Error(`tinybench task ended ${result.state}`);
  // period: mean milliseconds per iteration (totalTime / runs).
  return { ops: runs * PAIRS_PER_ITERATION, opsPerSec: (PAIRS_PER_ITERATION * 1000) / result.period };
}

/** Increments the shared counter under the lock until STOP. */
function contended(task: Extract<MicroTask, { kind: 'contended' }>): Done {
  const lock = openLock(task.lock);
  readyThenAwaitGo();
  let ops = 0;
  while (!stopped()) {
    lock.lock();
    control[COUNTER] = control[COUNTER]! + 1; // plain read-modify-write: the main thread checks the total
    lock.unlock();
    ops++;
  }
  return { ops };
}

/**
 * Pushes numbered descriptors, `batch` at a time, waiting for space when the ring is full: the
 * notification rule (each side parks on its own bell, the other side rings it after its move).
 */
function ringProducer(task: Extract<MicroTask, { kind: 'ring-producer' }>): Done {
  const ring = Ring.from(task.ring);
  const { slotWords } = ring;
  const dataBell = Doorbell.from(task.data);
  const spaceBell = Doorbell.from(task.space);
  const window = new PollWindow(DEFAULT_POLL_MAX_NS);
  const hasSpace = (): boolean => !ring.isFull();
  const src = new Int32Array(task.batch * slotWords);
  readyThenAwaitGo();
  let pushed = 0;
  while (!stopped()) {
    // Descriptors are written afresh each time, as a real producer would; word 0 numbers them.
    for (let k = 0; k < task.batch; k++) src[k * slotWords] = (pushed + k) | 0;
    const n = ring.pushBatch(src, task.batch);
    if (n === 0) waitUntil(hasSpace, spaceBell, window, WAIT_SLICE_MS);
    else dataBell.ring();
    pushed += n;
  }
  return { ops: pushed };
}

/** Pops descriptors, `batch` at a time, checking their numbers; waits for data when empty. */
function ringConsumer(task: Extract<MicroTask, { kind: 'ring-consumer' }>): Done {
  const ring = Ring.from(task.ring);
  const { slotWords } = ring;
  const dataBell = Doorbell.from(task.data);
  const spaceBell = Doorbell.from(task.space);
  const window = new PollWindow(DEFAULT_POLL_MAX_NS);
  const hasData = (): boolean => !ring.isEmpty();
  const dst = new Int32Array(task.batch * slotWords);
  readyThenAwaitGo();
  let popped = 0;
  while (!stopped()) {
    const n = ring.popBatch(dst, task.batch);
    if (n === 0) {
      waitUntil(hasData, dataBell, window, WAIT_SLICE_MS);
      continue;
    }
    spaceBell.ring();
    for (let k = 0; k < n; k++) {
      if (dst[k * slotWords] !== ((popped + k) | 0)) throw new Error(`ring: descriptor ${popped + k} out of order`);
    }
    popped += n;
  }
  return { ops: popped };
}

/**
 * The item cases: one 32-byte item at a time, numbered in word 0. Both sides retry at once
 * when the ring is full or empty, and look at STOP every time: the same loop for our Ring and
 * for ringbuf.js (which has no wait), so that only the rings differ.
 */
function itemProducer(task: Extract<MicroTask, { kind: 'item-producer' }>): Done {
  const ring = openRing(task.ring);
  const item = new Int32Array(ring.slotWords);
  readyThenAwaitGo();
  let pushed = 0;
  while (!stopped()) {
    item[0] = pushed;
    if (ring.push(item)) pushed++;
  }
  return { ops: pushed };
}

function itemConsumer(task: Extract<MicroTask, { kind: 'item-consumer' }>): Done {
  const ring = openRing(task.ring);
  const out = new Int32Array(ring.slotWords);
  readyThenAwaitGo();
  let popped = 0;
  while (!stopped()) {
    if (!ring.pop(out)) continue;
    if (out[0] !== (popped | 0)) throw new Error(`ring: item ${popped} out of order`);
    popped++;
  }
  return { ops: popped };
}

async function ringBufferOf(task: Extract<MicroTask, { kind: 'ringbuf-producer' | 'ringbuf-consumer' }>) {
  const { RingBuffer } = (await import(task.module)) as RingBufModule;
  return new RingBuffer(task.buffer, Int32Array);
}

async function ringbufProducer(task: Extract<MicroTask, { kind: 'ringbuf-producer' }>): Promise<Done> {
  const ring = await ringBufferOf(task);
  const item = new Int32Array(task.itemWords);
  readyThenAwaitGo();
  let pushed = 0;
  while (!stopped()) {
    item[0] = pushed;
    // Room is always a whole number of items (see the case), so a push moves all of one or nothing.
    if (ring.push(item) === item.length) pushed++;
  }
  return { ops: pushed };
}

async function ringbufConsumer(task: Extract<MicroTask, { kind: 'ringbuf-consumer' }>): Promise<Done> {
  const ring = await ringBufferOf(task);
  const out = new Int32Array(task.itemWords);
  readyThenAwaitGo();
  let popped = 0;
  while (!stopped()) {
    if (ring.pop(out) !== out.length) continue;
    if (out[0] !== (popped | 0)) throw new Error(`ringbuf.js: item ${popped} out of order`);
    popped++;
  }
  return { ops: popped };
}

/** Posts one descriptor per message until STOP, then `null`; never more than `window` ahead of the consumer. */
function portProducer(task: Extract<MicroTask, { kind: 'port-producer' }>): Done {
  const descriptor = new Int32Array(task.slotWords);
  readyThenAwaitGo();
  let sent = 0;
  while (!stopped()) {
    // Flow control, so that the queue (and memory) stays bounded when posting outruns receiving.
    const received = Atomics.load(control, RECEIVED);
    if (sent - received >= task.window) {
      Atomics.wait(control, RECEIVED, received, WAIT_SLICE_MS);
      continue;
    }
    descriptor[0] = sent;
    task.port.postMessage(descriptor); // cloned: one message per descriptor
    sent++;
  }
  task.port.postMessage(null);
  return { ops: sent };
}

/** Receives descriptors until the producer's `null`, counting those that arrived before STOP. */
function portConsumer(task: Extract<MicroTask, { kind: 'port-consumer' }>): Promise<Done> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let counted = 0;
    task.port.on('message', (descriptor: Int32Array | null) => {
      if (descriptor === null) {
        task.port.close(); // lets this worker's event loop end
        resolve({ ops: counted });
        return;
      }
      if (descriptor[0] !== received) reject(new Error(`message port: descriptor ${received} out of order`));
      received++;
      if (!stopped()) counted++;
      Atomics.store(control, RECEIVED, received);
      if (received % NOTIFY_EVERY === 0) Atomics.notify(control, RECEIVED);
    });
    // Nothing arrives before GO, so this worker need not wait for it (and must not block its event loop).
    post({ type: 'ready' });
  });
}

/** The channel cases: one 32-byte item per send() and recv(), each bounded so that STOP is noticed. */
function channelProducer(task: Extract<MicroTask, { kind: 'channel-producer' }>): Done {
  const channel = Channel.from(task.channel);
  const item = new Int32Array(channel.slotWords);
  readyThenAwaitGo();
  let sent = 0;
  while (!stopped()) {
    item[0] = sent;
    if (channel.send(item, WAIT_SLICE_MS)) sent++;
  }
  return { ops: sent };
}

function channelConsumer(task: Extract<MicroTask, { kind: 'channel-consumer' }>): Done {
  const channel = Channel.from(task.channel);
  const item = new Int32Array(channel.slotWords);
  readyThenAwaitGo();
  let received = 0;
  while (!stopped()) {
    if (channel.recv(item, WAIT_SLICE_MS) !== 'item') continue;
    if (item[0] !== (received | 0)) throw new Error(`channel: item ${received} out of order`);
    received++;
  }
  return { ops: received };
}

async function run(task: MicroTask): Promise<Done> {
  switch (task.kind) {
    case 'uncontended':
      return uncontended(task);
    case 'contended':
      return contended(task);
    case 'ring-producer':
      return ringProducer(task);
    case 'ring-consumer':
      return ringConsumer(task);
    case 'item-producer':
      return itemProducer(task);
    case 'channel-producer':
      return channelProducer(task);
    case 'channel-consumer':
      return channelConsumer(task);
    case 'item-consumer':
      return itemConsumer(task);
    case 'ringbuf-producer':
      return ringbufProducer(task);
    case 'ringbuf-consumer':
      return ringbufConsumer(task);
    case 'port-producer':
      return portProducer(task);
    case 'port-consumer':
      return portConsumer(task);
  }
}

post({ type: 'done', ...(await run(task)) });
