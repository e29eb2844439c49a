/**
 * bench:native's second peer: the npm package `multithreading` (W4G1, 0.3.x), installed outside
 * this project and named by `--multithreading DIR` (issue 30, item 5). Its Mutex, Semaphore and
 * MPMC channel against ours on the same loops, each side in a child process of its own
 * (native-child.ts calls {@link runMtCase}), its worker threads in native-mt-worker.ts.
 *
 * How the package is reached from plain worker_threads, from its published files (0.3.52):
 *  - `Mutex(data?, lockBuffer?)` and `Semaphore(initial, buffer?)` keep their state in a
 *    SharedArrayBuffer; a view in another worker is the same constructor given that buffer, which
 *    is what the package's own deserializer does;
 *  - `channel(capacity)` returns `[Sender, Receiver]`, which reach another worker only through
 *    the package's `serialize`/`deserialize` (src/lib/shared.js, not in its exports map, so it is
 *    imported by path); items are JSON values in a shared buffer;
 *  - its node entry reads `navigator.hardwareConcurrency` when imported: Node 20 has no
 *    `navigator` and fails there (Node 21 and later work).
 *
 * The blocking calls (`blockingLock`, `blockingAcquire`, `blockingSend`, `blockingRecv`) are the
 * ones that match our blocking `lock()`, `acquire()`, `send()` and `recv()`.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { allSaid } from './native-start.js';

import { Channel } from '../src/ring/index.js';
import { AdaptiveLock, Semaphore } from '../src/sync/index.js';
import type { ChannelHandle } from '../src/ring/index.js';
import type { LockHandle, SemaphoreHandle } from '../src/sync/index.js';

/** The cases against `multithreading`, in the order they run and print. */
export const MT_CASES = [
  'mt.lock.uncontended',
  'mt.lock.contended.t2',
  'mt.lock.contended.t4',
  'mt.semaphore.p2.t4',
  'mt.channel.spsc.32b',
] as const;
export type MtCaseName = (typeof MT_CASES)[number];

/** Work per run at scale 1 (per worker in the lock and semaphore cases; items in the channel case). */
export const MT_BASE_OPS: Readonly<Record<MtCaseName, number>> = {
  'mt.lock.uncontended': 2_000_000,
  'mt.lock.contended.t2': 300_000,
  'mt.lock.contended.t4': 300_000,
  'mt.semaphore.p2.t4': 100_000,
  'mt.channel.spsc.32b': 100_000,
};

export const MT_THREADS: Readonly<Record<MtCaseName, number>> = {
  'mt.lock.uncontended': 0,
  'mt.lock.contended.t2': 2,
  'mt.lock.contended.t4': 4,
  'mt.semaphore.p2.t4': 4,
  'mt.channel.spsc.32b': 2,
};

export const MT_UNITS: Readonly<Record<MtCaseName, string>> = {
  'mt.lock.uncontended': 'pairs/s',
  'mt.lock.contended.t2': 'pairs/s',
  'mt.lock.contended.t4': 'pairs/s',
  'mt.semaphore.p2.t4': 'acquire/release/s',
  'mt.channel.spsc.32b': 'items/s',
};

export function isMtCase(name: string): name is MtCaseName {
  return (MT_CASES as readonly string[]).includes(name);
}

/** Permits of the semaphore case. */
export const PERMITS = 2;
/** Room of both channels, in items, and an item's Int32 words (32 bytes; theirs: a JSON array of 8 numbers). */
export const CAPACITY = 256;
export const ITEM_WORDS = 8;

/** Control words (Int32) shared by a child and its workers, each on a 64-byte line of its own. */
export const MT_GO = 0;
export const MT_COUNTER = 16;
/** Semaphore: holders now, and the most seen at once. */
export const MT_HOLDERS = 32;
export const MT_MOST = 48;
export const MT_CONTROL_WORDS = 64;

/** The part of the package's API these cases use. */
export interface MtGuard {
  dispose(): void;
}
export interface MtResult<T> {
  ok: boolean;
  value?: T;
  error?: Error;
}
export interface MtSender<T> {
  blockingSend(value: T): MtResult<void>;
}
export interface MtReceiver<T> {
  blockingRecv(): MtResult<T>;
}
export interface MtModule {
  Mutex: new (data?: undefined, lockBuffer?: SharedArrayBuffer) => { blockingLock(): MtGuard };
  Semaphore: new (initial: number, buffer?: SharedArrayBuffer) => { blockingAcquire(n?: number): MtGuard };
  channel<T>(capacity?: number): [MtSender<T>, MtReceiver<T>];
}
/** src/lib/shared.js: how the package moves its objects between workers. */
export interface MtShared {
  serialize(value: unknown): [unknown, unknown[]];
  deserialize(envelope: unknown): unknown;
}

/** The package in folder `dir` (its node entry and its serializer), imported by path. */
export async function loadMultithreading(dir: string): Promise<{ lib: MtModule; shared: MtShared }> {
  const base = pathToFileURL(`${dir}/src/`);
  const lib = (await import(new URL('node/lib.js', base).href)) as MtModule;
  const shared = (await import(new URL('lib/shared.js', base).href)) as MtShared;
  return { lib, shared };
}

/** One side's shared objects, as a worker receives them. */
export type MtSync =
  | { side: 'ours'; lock: LockHandle; semaphore: SemaphoreHandle; channel: ChannelHandle }
  | {
      side: 'multithreading';
      dir: string;
      lock: SharedArrayBuffer;
      semaphore: SharedArrayBuffer;
      sender: unknown;
      receiver: unknown;
    };

export interface MtWorkerData {
  name: MtCaseName;
  ops: number;
  /** Channel: 0 the producer, 1 the consumer. */
  me: number;
  control: Int32Array;
  sync: MtSync;
}

/** What native-child.ts reports for one run. */
export interface MtReport {
  ops: number;
  seconds: number;
  counter: number;
  expected: number;
}

const WORKER_URL = new URL('./native-mt-worker.js', import.meta.url);
const WARM_UP = 0.1;

/** The state buffer inside a Mutex or Semaphore of the package, by its own serializer. */
function stateBuffer(shared: MtShared, value: unknown): SharedArrayBuffer {
  const envelope = shared.serialize(value)[0] as [number, unknown];
  const inner = envelope[1];
  const buffer = Array.isArray(inner) ? (inner[0] as unknown) : inner;
  if (!(buffer instanceof SharedArrayBuffer)) throw new Error('multithreading: no SharedArrayBuffer behind its object');
  return buffer;
}

async function mtSync(side: 'ours' | 'multithreading', dir: string): Promise<MtSync> {
  if (side === 'ours') {
    const channel = new Channel({ capacity: CAPACITY, slotWords: ITEM_WORDS });
    return { side, lock: new AdaptiveLock().handle, semaphore: new Semaphore(PERMITS).handle, channel: channel.handle };
  }
  const { lib, shared } = await loadMultithreading(dir);
  const [tx, rx] = lib.channel<number[]>(CAPACITY);
  return {
    side,
    dir,
    lock: stateBuffer(shared, new lib.Mutex()),
    semaphore: stateBuffer(shared, new lib.Semaphore(PERMITS)),
    sender: shared.serialize(tx)[0],
    receiver: shared.serialize(rx)[0],
  };
}

/** The uncontended case on this thread: a warm-up, then the timed loop. */
async function uncontended(side: 'ours' | 'multithreading', dir: string, ops: number): Promise<MtReport> {
  const control = new Int32Array(new SharedArrayBuffer(MT_CONTROL_WORDS * 4));
  let pairs: (n: number) => void;
  if (side === 'ours') {
    const lock = new AdaptiveLock();
    pairs = (n) => {
      for (let i = 0; i < n; i++) {
        lock.lock();
        control[MT_COUNTER] = control[MT_COUNTER]! + 1;
        lock.unlock();
      }
    };
  } else {
    const { lib } = await loadMultithreading(dir);
    const mutex = new lib.Mutex();
    pairs = (n) => {
      for (let i = 0; i < n; i++) {
        const guard = mutex.blockingLock();
        control[MT_COUNTER] = control[MT_COUNTER]! + 1;
        guard.dispose();
      }
    };
  }
  const warm = Math.ceil(ops * WARM_UP);
  pairs(warm);
  const start = performance.now();
  pairs(ops);
  const seconds = (performance.now() - start) / 1000;
  return { ops, seconds, counter: control[MT_COUNTER]!, expected: warm + ops };
}

/** One side of one case against `multithreading` (in `dir`), timed from GO to the last worker's `done`. */
export async function runMtCase(
  name: MtCaseName,
  side: 'ours' | 'multithreading',
  dir: string,
  ops: number,
): Promise<MtReport> {
  const threads = MT_THREADS[name];
  if (threads === 0) return uncontended(side, dir, ops);
  const control = new Int32Array(new SharedArrayBuffer(MT_CONTROL_WORDS * 4));
  const sync = await mtSync(side, dir);
  const workers = Array.from({ length: threads }, (_, me) => {
    const data: MtWorkerData = { name, ops, me, control, sync };
    return new Worker(WORKER_URL, { workerData: data });
  });
  const each = (message: string): Promise<void[]> => allSaid(workers, message);
  const done = each('done');
  done.catch(() => {}); // awaited below
  try {
    await each('ready');
    const start = performance.now();
    Atomics.store(control, MT_GO, 1);
    Atomics.notify(control, MT_GO);
    await done;
    const seconds = (performance.now() - start) / 1000;
    const most = control[MT_MOST]!;
    if (name === 'mt.semaphore.p2.t4' && most > PERMITS) {
      throw new Error(`${name} (${side}): ${most} holders at once, with ${PERMITS} permits`);
    }
    // The channel counts items received (each checked in order); the others, increments under the lock.
    const channel = name === 'mt.channel.spsc.32b';
    return {
      ops: channel ? ops : ops * threads,
      seconds,
      counter: control[MT_COUNTER]!,
      expected: channel ? ops : ops * threads,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
