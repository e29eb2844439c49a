/**
 * What bench/micro.ts and its workers (bench/micro-worker.ts) agree on: the tasks a worker can
 * be given, the control words of a measurement, and the messages a worker posts.
 *
 * A measurement: the main thread starts the workers; each sets up and posts `ready`, then
 * waits for GO; the main thread sets GO, sleeps for the measured time, sets STOP; each worker
 * stops at its next look at STOP and posts `done` with the operations it completed in between.
 * Every wait on either side is bounded, so that a broken worker fails the run instead of
 * hanging it.
 */
import type { MessagePort } from 'node:worker_threads';

import type { LockHandle, LockKindName } from '../src/sync/index.js';
import type { DoorbellHandle } from '../src/sync/doorbell.js';
import type { ChannelHandle, RingHandle } from '../src/ring/index.js';

/** Control words (Int32), each on a 64-byte line of its own so that polling one does not slow another. */
export const GO = 0;
export const STOP = 16;
/** The contended cases' shared counter, incremented under the lock with a plain (non-atomic) store. */
export const COUNTER = 32;
/** message-port case: messages the consumer has received, for the producer's flow control. */
export const RECEIVED = 48;
export const CONTROL_WORDS = 64;

/** Longest a worker waits for GO before deciding the main thread is gone. */
export const GO_TIMEOUT_MS = 30_000;
/** Longest single park in a waiting loop, so that STOP is noticed promptly even without a wake-up. */
export const WAIT_SLICE_MS = 20;

/** Lock kinds of the uncontended case: every kind of the library's LOCK_KINDS, and the bare baseline. */
export type UncontendedLock = LockKindName | 'bare';

/** What one worker does. */
export type MicroTask =
  /** lock+unlock pairs on a lock of its own, timed by tinybench for `timeMs` (GO/STOP unused). */
  | { kind: 'uncontended'; lock: UncontendedLock; timeMs: number }
  /** Increments COUNTER under the lock until STOP; ops = increments. */
  | { kind: 'contended'; lock: LockHandle }
  /**
   * Pushes descriptors `batch` at a time until STOP, ringing the consumer's bell after each push
   * and parking on its own (`space`) when full; ops = descriptors pushed.
   */
  | { kind: 'ring-producer'; ring: RingHandle<'ring'>; batch: number; data: DoorbellHandle; space: DoorbellHandle }
  /**
   * Pops descriptors `batch` at a time until STOP, checking their order, ringing the producer's
   * bell after each pop and parking on its own (`data`) when empty; ops = descriptors popped.
   */
  | { kind: 'ring-consumer'; ring: RingHandle<'ring'>; batch: number; data: DoorbellHandle; space: DoorbellHandle }
  /** Pushes numbered 32-byte items one at a time with push(), retrying at once while full; ops = items pushed. */
  | { kind: 'item-producer'; ring: RingHandle }
  /** Pops them one at a time with pop(), retrying at once while empty, checking their order; ops = items popped. */
  | { kind: 'item-consumer'; ring: RingHandle }
  /** The same two over padenot's ringbuf.js, loaded from `module` (a file URL), over `buffer`. */
  | { kind: 'ringbuf-producer'; module: string; buffer: SharedArrayBuffer; itemWords: number }
  | { kind: 'ringbuf-consumer'; module: string; buffer: SharedArrayBuffer; itemWords: number }
  /** Posts one descriptor per message, at most `window` ahead of the consumer, until STOP. */
  | { kind: 'port-producer'; port: MessagePort; slotWords: number; window: number }
  /** Receives the descriptors, checking their order; ops = descriptors received before STOP. */
  | { kind: 'port-consumer'; port: MessagePort }
  /** Sends numbered items through a Channel until STOP, waiting (bounded) while it is full; ops = items sent. */
  | { kind: 'channel-producer'; channel: ChannelHandle }
  /** Receives them, checking their order, waiting (bounded) while it is empty; ops = items received. */
  | { kind: 'channel-consumer'; channel: ChannelHandle };

/** What the item cases use of ringbuf.js's RingBuffer (0.4.0): counts are of elements, here Int32 words. */
export interface RingBufferLike {
  push(elements: Int32Array): number;
  pop(elements: Int32Array): number;
}

/** ringbuf.js's module: RingBuffer over a SharedArrayBuffer of Int32 elements. */
export interface RingBufModule {
  RingBuffer: {
    new (buffer: SharedArrayBuffer, type: Int32ArrayConstructor): RingBufferLike;
    getStorageForCapacity(capacity: number, type: Int32ArrayConstructor): SharedArrayBuffer;
  };
}

/** The workerData of a micro worker. */
export interface MicroWorkerData {
  task: MicroTask;
  /** CONTROL_WORDS words over a SharedArrayBuffer. */
  control: Int32Array;
}

/** What a micro worker posts. */
export type MicroMessage =
  | { type: 'ready' }
  /** `ops`: operations completed between GO and STOP; `opsPerSec` when the worker timed itself (uncontended). */
  | { type: 'done'; ops: number; opsPerSec?: number };
