/**
 * A worker thread of `npm run bench:native` (started by bench/native-child.ts): one contender of
 * a contended case, or one player of the ping-pong, on our lock or on V8's native one.
 *
 * Both sides run the same critical section on the same SharedArrayBuffer counter, a plain
 * (non-atomic) read-modify-write that only a working lock keeps exact. The native lock takes the
 * section as a callback; it is made once, outside the loop, so that no closure is allocated per
 * pair and the loop measures the lock, not the allocator.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { AdaptiveLock, Condition } from '../src/sync/index.js';
import { COUNTER, GO, TURN, nativeAtomics, type NativeWorkerData } from './native-protocol.js';
import { readyThenAwaitGo as awaitGo } from './native-start.js';

const port = parentPort;
if (port === null) throw new Error('native-worker.ts runs as a worker thread of bench/native-child.js');
const { name, ops, me, control, sync } = workerData as NativeWorkerData;

function readyThenAwaitGo(): void {
  awaitGo(port!, control, GO);
}

function increment(): void {
  control[COUNTER] = control[COUNTER]! + 1;
}

/** `ops` increments, each under the lock. */
function contended(): void {
  if (sync.side === 'ours') {
    const lock = AdaptiveLock.from(sync.lock);
    readyThenAwaitGo();
    for (let i = 0; i < ops; i++) {
      lock.lock();
      increment();
      lock.unlock();
    }
  } else {
    const { Mutex } = nativeAtomics();
    const { mutex } = sync;
    readyThenAwaitGo();
    for (let i = 0; i < ops; i++) Mutex.lock(mutex, increment);
  }
}

/** `ops` turns: wait under the lock until TURN is mine, hand it over, wake the other player. */
function pingPong(): void {
  const other = 1 - me;
  if (sync.side === 'ours') {
    const lock = AdaptiveLock.from(sync.lock);
    const condition = Condition.from(sync.condition);
    readyThenAwaitGo();
    for (let i = 0; i < ops; i++) {
      lock.lock();
      while (control[TURN] !== me) condition.wait(lock);
      control[TURN] = other;
      increment();
      condition.notify();
      lock.unlock();
    }
  } else {
    const { Mutex, Condition: NativeCondition } = nativeAtomics();
    const { mutex, condition } = sync;
    const turn = (): void => {
      while (control[TURN] !== me) NativeCondition.wait(condition, mutex);
      control[TURN] = other;
      increment();
      NativeCondition.notify(condition, 1);
    };
    readyThenAwaitGo();
    for (let i = 0; i < ops; i++) Mutex.lock(mutex, turn);
  }
}

if (name === 'condition.ping-pong') pingPong();
else contended();
port.postMessage('done');
