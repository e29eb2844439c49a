/**
 * What `npm run bench:native` (bench/native.ts), its child processes (bench/native-child.ts) and
 * their worker threads (bench/native-worker.ts) agree on: the cases, the two sides of each, what
 * a child is asked to run and what it prints back, and V8's native lock as TypeScript sees it.
 *
 * V8's `Atomics.Mutex` and `Atomics.Condition` (the JS shared-structs proposal) exist only under
 * `node --harmony-struct`; lib.es*.d.ts knows nothing of them, so {@link nativeAtomics} reads
 * them off `Atomics` once and fails with one line where the flag is missing.
 */
import type { ConditionHandle, LockHandle } from '../src/sync/index.js';
import type { MtCaseName } from './native-mt.js';

/** The cases, in the order they run and print. */
export const NATIVE_CASES = [
  'lock.uncontended',
  'lock.contended.t2',
  'lock.contended.t4',
  'condition.ping-pong',
] as const;
export type NativeCaseName = (typeof NATIVE_CASES)[number];

/**
 * vblk-mq's AdaptiveLock (and Condition) against V8's Atomics.Mutex (and Atomics.Condition), or
 * ours against the `multithreading` package (the mt.* cases, native-mt.ts).
 */
export type Peer = 'native' | 'multithreading';
export type Side = 'ours' | Peer;

/** Work per run at scale 1: sized so that one run takes tenths of a second on a 2-core VM. */
export const BASE_OPS: Readonly<Record<NativeCaseName, number>> = {
  'lock.uncontended': 2_000_000,
  'lock.contended.t2': 300_000,
  'lock.contended.t4': 300_000,
  'condition.ping-pong': 10_000,
};

/** Worker threads of each case (0: the child's own thread). */
export const THREADS: Readonly<Record<NativeCaseName, number>> = {
  'lock.uncontended': 0,
  'lock.contended.t2': 2,
  'lock.contended.t4': 4,
  'condition.ping-pong': 2,
};

/** What one child process runs: one side of one case. */
export interface ChildSpec {
  name: NativeCaseName | MtCaseName;
  side: Side;
  /** The mt.* cases: the folder of the installed `multithreading` package. */
  dir?: string;
  /** Lock/unlock pairs (per worker, when there are workers) or ping-pong round trips. */
  ops: number;
}

/** What a child prints, as one JSON line: the work done, the seconds it took, and the shared counter. */
export interface ChildReport {
  /** Lock/unlock pairs in all, or round trips. */
  ops: number;
  seconds: number;
  /** The counter incremented under the lock: the parent checks it against `expected`. */
  counter: number;
  expected: number;
}

/** Control words (Int32) shared by a child and its workers, each on a 64-byte line of its own. */
export const GO = 0;
export const COUNTER = 16;
/** ping-pong: whose turn it is, 0 or 1. */
export const TURN = 32;
export const CONTROL_WORDS = 48;

/** The lock and condition a worker shares: handles of ours, or the native objects themselves. */
export type SharedSync =
  | { side: 'ours'; lock: LockHandle; condition: ConditionHandle }
  | { side: 'native'; mutex: NativeMutex; condition: NativeCondition };

/** What a worker is given. */
export interface NativeWorkerData {
  name: NativeCaseName;
  /** Pairs to make, or round trips (ping-pong). */
  ops: number;
  /** ping-pong: which turn is this worker's (0 goes first). */
  me: number;
  control: Int32Array;
  sync: SharedSync;
}

/** V8's native mutex and condition: opaque objects of the shared heap. */
interface NativeMutex {
  readonly __brand: 'Atomics.Mutex';
}
export interface NativeCondition {
  readonly __brand: 'Atomics.Condition';
}

/** The part of `Atomics` that `--harmony-struct` adds and these cases use (the same on Node 20 to 26). */
interface NativeAtomics {
  Mutex: { new (): NativeMutex; lock<T>(mutex: NativeMutex, body: () => T): T };
  Condition: {
    new (): NativeCondition;
    wait(condition: NativeCondition, mutex: NativeMutex, timeoutMs?: number): boolean;
    notify(condition: NativeCondition, count?: number): number;
  };
}

/** The native lock and condition, or an Error saying the flag is missing. */
export function nativeAtomics(): NativeAtomics {
  const atomics = Atomics as unknown as Partial<NativeAtomics>;
  if (typeof atomics.Mutex?.lock !== 'function' || typeof atomics.Condition?.wait !== 'function') {
    const why = `Atomics.Mutex and Atomics.Condition are missing: run node ${process.version} with --harmony-struct`;
    throw new Error(why);
  }
  return atomics as NativeAtomics;
}

