/**
 * One side of one case of `npm run bench:native`, in a child process of its own under
 * `node --harmony-struct`: `native-child.js '<ChildSpec as JSON>'` prints one ChildReport line.
 *
 * A process per run, rather than a worker, because the flag is the process's: the parent may run
 * on a Node without it, and each run then starts with a fresh V8, inheriting no JIT state or
 * shared-heap garbage from the run before. The uncontended case runs on this thread, the others
 * in worker threads (native-worker.ts), timed from GO to the last worker's `done`.
 */
import { Worker } from 'node:worker_threads';

import { runCli } from '../src/cli/run-cli.js';
import { AdaptiveLock, Condition } from '../src/sync/index.js';
import {
  CONTROL_WORDS,
  COUNTER,
  GO,
  THREADS,
  nativeAtomics,
  type ChildReport,
  type ChildSpec,
  type NativeCaseName,
  type NativeWorkerData,
  type SharedSync,
} from './native-protocol.js';
import { allSaid } from './native-start.js';
import { isMtCase, runMtCase } from './native-mt.js';

/** A spec of one of V8's cases. */
type NativeSpec = ChildSpec & { name: NativeCaseName };

const WORKER_URL = new URL('./native-worker.js', import.meta.url);
/** A run that takes longer has hung (a lost wake-up, a broken lock): end it with a message. */
const DEADLINE_MS = 120_000;
/** Uncontended warm-up, as a fraction of the measured pairs: enough for the JIT to settle. */
const WARM_UP = 0.1;

/** Pairs on a lock of this thread's own: a warm-up, then the timed loop. */
function uncontended(spec: NativeSpec): ChildReport {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const increment = (): void => {
    control[COUNTER] = control[COUNTER]! + 1;
  };
  let pairs: (n: number) => void;
  if (spec.side === 'ours') {
    const lock = new AdaptiveLock();
    pairs = (n) => {
      for (let i = 0; i < n; i++) {
        lock.lock();
        increment();
        lock.unlock();
      }
    };
  } else {
    const { Mutex } = nativeAtomics();
    const mutex = new Mutex();
    pairs = (n) => {
      for (let i = 0; i < n; i++) Mutex.lock(mutex, increment);
    };
  }
  const warm = Math.ceil(spec.ops * WARM_UP);
  pairs(warm);
  const start = performance.now();
  pairs(spec.ops);
  const seconds = (performance.now() - start) / 1000;
  return { ops: spec.ops, seconds, counter: control[COUNTER]!, expected: warm + spec.ops };
}

function sharedSync(spec: NativeSpec): SharedSync {
  if (spec.side === 'ours') return { side: 'ours', lock: new AdaptiveLock().handle, condition: new Condition().handle };
  const { Mutex, Condition: NativeCondition } = nativeAtomics();
  return { side: 'native', mutex: new Mutex(), condition: new NativeCondition() };
}

/** The case's workers: all ready, then GO, timed until the last one is done. */
async function withWorkers(spec: NativeSpec): Promise<ChildReport> {
  const threads = THREADS[spec.name];
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const sync = sharedSync(spec);
  const workers = Array.from({ length: threads }, (_, me) => {
    const data: NativeWorkerData = { name: spec.name, ops: spec.ops, me, control, sync };
    return new Worker(WORKER_URL, { workerData: data });
  });
  const each = (message: string): Promise<void[]> => allSaid(workers, message);
  const done = each('done');
  done.catch(() => {}); // awaited below; a failure before GO must not be unhandled meanwhile
  try {
    await each('ready');
    const start = performance.now();
    Atomics.store(control, GO, 1);
    Atomics.notify(control, GO);
    await done;
    const seconds = (performance.now() - start) / 1000;
    const pingPong = spec.name === 'condition.ping-pong';
    // Ping-pong: a round trip is one turn of each player, and every turn increments the counter.
    const ops = pingPong ? spec.ops : spec.ops * threads;
    return { ops, seconds, counter: control[COUNTER]!, expected: spec.ops * threads };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

async function run(spec: ChildSpec): Promise<ChildReport> {
  if (isMtCase(spec.name)) {
    if (spec.side === 'native' || spec.dir === undefined) {
      throw new Error(`${spec.name}: ours or multithreading, with its dir`);
    }
    return runMtCase(spec.name, spec.side, spec.dir, spec.ops);
  }
  const native = { ...spec, name: spec.name };
  return THREADS[native.name] === 0 ? uncontended(native) : withWorkers(native);
}

async function main(argv: string[]): Promise<number> {
  const spec = JSON.parse(argv[0] ?? 'null') as ChildSpec | null;
  if (spec === null) throw new Error('usage: native-child.js CHILD_SPEC_JSON (bench/native.js runs it)');
  const deadline = setTimeout(() => {
    process.stderr.write(`vblk-mq: ${spec.name} (${spec.side}) did not finish within ${DEADLINE_MS} ms\n`);
    process.exit(1);
  }, DEADLINE_MS);
  const report = await run(spec);
  clearTimeout(deadline);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}

await runCli(main);
