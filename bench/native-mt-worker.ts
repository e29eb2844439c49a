/**
 * A worker thread of bench:native's cases against the `multithreading` package (started by
 * native-mt.ts): a lock contender, a semaphore holder, or one end of the channel, on ours or
 * on the package's, the same loop on both sides.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { Channel } from '../src/ring/index.js';
import { AdaptiveLock, Semaphore } from '../src/sync/index.js';
import {
  ITEM_WORDS,
  MT_COUNTER,
  MT_GO,
  MT_HOLDERS,
  MT_MOST,
  loadMultithreading,
  type MtReceiver,
  type MtSender,
  type MtWorkerData,
} from './native-mt.js';
import { readyThenAwaitGo as awaitGo } from './native-start.js';

const port = parentPort;
if (port === null) throw new Error('native-mt-worker.ts runs as a worker thread of bench/native-child.js');
const { name, ops, me, control, sync } = workerData as MtWorkerData;

function readyThenAwaitGo(): void {
  awaitGo(port!, control, MT_GO);
}

function increment(): void {
  control[MT_COUNTER] = control[MT_COUNTER]! + 1;
}

/** Inside the semaphore: count the holders, keep the most, count the pass (atomically: two are in). */
function hold(): void {
  const holders = Atomics.add(control, MT_HOLDERS, 1) + 1;
  if (holders > Atomics.load(control, MT_MOST)) Atomics.store(control, MT_MOST, holders);
  Atomics.add(control, MT_COUNTER, 1);
  Atomics.sub(control, MT_HOLDERS, 1);
}

async function main(): Promise<void> {
  if (sync.side === 'ours') {
    if (name === 'mt.semaphore.p2.t4') {
      const semaphore = Semaphore.from(sync.semaphore);
      readyThenAwaitGo();
      for (let i = 0; i < ops; i++) {
        semaphore.acquire();
        hold();
        semaphore.release();
      }
    } else if (name === 'mt.channel.spsc.32b') {
      const channel = Channel.from(sync.channel);
      const item = new Int32Array(ITEM_WORDS);
      readyThenAwaitGo();
      if (me === 0) {
        for (let i = 0; i < ops; i++) {
          item[0] = i;
          channel.send(item);
        }
      } else {
        for (let i = 0; i < ops; i++) {
          if (channel.recv(item) !== 'item' || item[0] !== i) {
            throw new Error(`channel: item ${i} lost or out of order`);
          }
          increment();
        }
      }
    } else {
      const lock = AdaptiveLock.from(sync.lock);
      readyThenAwaitGo();
      for (let i = 0; i < ops; i++) {
        lock.lock();
        increment();
        lock.unlock();
      }
    }
    return;
  }
  const { lib, shared } = await loadMultithreading(sync.dir);
  if (name === 'mt.semaphore.p2.t4') {
    const semaphore = new lib.Semaphore(0, sync.semaphore);
    readyThenAwaitGo();
    for (let i = 0; i < ops; i++) {
      const guard = semaphore.blockingAcquire();
      hold();
      guard.dispose();
    }
  } else if (name === 'mt.channel.spsc.32b') {
    const item = new Array<number>(ITEM_WORDS).fill(0);
    if (me === 0) {
      const sender = shared.deserialize(sync.sender) as MtSender<number[]>;
      readyThenAwaitGo();
      for (let i = 0; i < ops; i++) {
        item[0] = i;
        const r = sender.blockingSend(item);
        if (!r.ok) throw r.error ?? new Error('multithreading: blockingSend failed');
      }
    } else {
      const receiver = shared.deserialize(sync.receiver) as MtReceiver<number[]>;
      readyThenAwaitGo();
      for (let i = 0; i < ops; i++) {
        const r = receiver.blockingRecv();
        if (!r.ok || r.value?.[0] !== i) throw r.error ?? new Error(`multithreading channel: item ${i} out of order`);
        increment();
      }
    }
  } else {
    const mutex = new lib.Mutex(undefined, sync.lock);
    readyThenAwaitGo();
    for (let i = 0; i < ops; i++) {
      const guard = mutex.blockingLock();
      increment();
      guard.dispose();
    }
  }
}

await main();
port.postMessage('done');
