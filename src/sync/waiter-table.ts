/**
 * WaiterTable: who waits for a lock, and what each wait holds, in the lock's own shared memory,
 * so that the waits of a thread that died can be undone (Lock.recover; see robust.ts).
 *
 * A table of `entries` entries of ENTRY_WORDS Int32 words, the first of which is OWNER (thread id
 * + 1 of the waiter, thread-id.ts; 0 = free); the other three are the lock kind's own (a ticket,
 * which sleeper counts the wait holds; the queue locks' nodes are entries of this table too).
 * A waiter claims a free entry with a compare-and-swap on OWNER, scanning from a place that
 * depends on its thread id (so that threads start on different cache lines: four entries to a
 * line), and frees it when its wait ends. Only waits that may park claim one: the uncontended
 * path never touches the table.
 *
 * Why this is enough to undo a dead thread's waits. Worker.terminate(), and process.exit() in a
 * worker, stop the thread with V8's TerminateExecution (Node's Environment::ExitEnv, src/env.cc),
 * which only requests an interrupt: the thread stops where V8 handles its interrupts, and none
 * of its `finally` blocks run. V8 handles TERMINATE_EXECUTION in StackGuard::HandleInterrupts
 * (src/execution/stack-guard.cc), which its stack checks call (Runtime_StackGuard,
 * src/runtime/runtime-internal.cc); JavaScript code has those at the entry of each function (V8
 * commit cebfde6, "[interpreter] Move function-entry stack check to start of bytecode array";
 * V8's test TerminateAtMethodEntry) and on each loop's back edge (the JumpLoop bytecode "performs
 * a loop nesting check, a stack check, and potentially triggers OSR", src/interpreter/
 * interpreter-generator.cc; optimized code has the same two kinds, Turboshaft's StackCheckOp
 * kFunctionHeaderCheck and kLoopCheck), and a blocking wait such as Atomics.wait also ends at a
 * termination. So a thread stops at a call or at a loop's back edge. What this code relies on
 * beyond the sources is that nothing between two Atomics operations on an Int32Array with small
 * integer arguments and no call, loop or getter in between checks for interrupts; the tests that
 * stop a waiter between its steps (setLockTestHook) cannot show that, since their stop is a call.
 * So every lock kind computes the indices it will write first, then changes a count or takes a
 * ticket and records that in its entry in one straight run of code without a call, and the record
 * always tells what the dead thread held.
 */
import { HOLDER_ID } from './thread-id.js';

/**
 * The points between the recorded steps of a wait where a test may stop a waiter
 * (setLockTestHook), each a place where a terminated thread may stop:
 *   ticket-claimed  TicketLock: a waiter-table entry claimed, no ticket taken yet
 *   ticket-taken    TicketLock: a ticket taken and recorded, before the waiter spins
 *   node-claimed    McsLock, PvLock: a node claimed, before the waiter swaps it in as the tail
 *   node-queued     McsLock, PvLock: swapped in as the tail and marked QUEUED, not linked behind
 *                   the node before it nor made the head yet (no call comes between the two in
 *                   the code itself: a stop here shows that recover() links or skips such a node)
 *   node-linked     McsLock, PvLock: linked behind the node before it, or made the head
 *   retry-counted   TicketLock, McsLock, PvLock: a waiter without a place (a timed one) counted
 *                   as a sleeper and recorded, before its first try
 */
export type LockTestPoint =
  'ticket-claimed' | 'ticket-taken' | 'node-claimed' | 'node-queued' | 'node-linked' | 'retry-counted';

/** What setLockTestHook installed: called at each LockTestPoint of this thread's waits. */
export let lockTestHook: ((point: LockTestPoint) => void) | null = null;

/**
 * For tests only: calls `hook` at each LockTestPoint that a wait of this thread passes (module
 * state, so one worker's hook does not reach another's); null removes it. A test's hook blocks
 * until the test terminates the worker, to show that recover() leaves the lock usable whatever
 * point a waiter died at. Exported from this module alone, not from the package. Without a hook
 * each point costs one load of this module's binding, and only on paths that wait.
 */
export function setLockTestHook(hook: ((point: LockTestPoint) => void) | null): void {
  lockTestHook = hook;
}

/**
 * Entries of the waiter table of a TicketLock, and nodes of an McsLock or PvLock: how many untimed
 * waiters can hold a place in the queue at once (each async wait in progress holds one, as each
 * blocked thread does). A waiter that finds all taken waits without a place, as a timed waiter
 * does: it loses its FIFO turn, and a stream of queued waiters can starve it. 128 covers the
 * emulator's busiest lock (the shared ring lock of --mode sq: 64 vCPUs, LIMITS.maxJobs in
 * src/protocol/options.ts, plus its IO thread),
 * which a test checks, since this layer may not import the emulator's. 16 bytes an entry: 2 KiB a lock.
 */
export const MAX_QUEUED_WAITERS = 128;

/** Int32 words of an entry. */
export const ENTRY_WORDS = 4;
/** Word 0 of an entry: thread id + 1 of its waiter, 0 when free. */
export const OWNER = 0;
/** Entries on one cache line. */
const PER_LINE = 4;

/** A table of waiter entries over words of a lock's Int32Array; see the top of this file. */
export class WaiterTable {
  /**
   * @param i32 the lock's words
   * @param base the index in `i32` of the table's first word
   * @param entries how many entries
   */
  constructor(
    private readonly i32: Int32Array,
    private readonly base: number,
    readonly entries: number,
  ) {}

  /** Bytes of a table of `entries` entries. */
  static bytes(entries: number): number {
    return entries * ENTRY_WORDS * 4;
  }

  /** The index in the lock's Int32Array of word `word` of entry `e`. */
  at(e: number, word = OWNER): number {
    return this.base + e * ENTRY_WORDS + word;
  }

  /** Claims a free entry for the calling thread; -1 when every entry is taken. */
  claim(): number {
    const i32 = this.i32;
    const first = (HOLDER_ID * PER_LINE) % this.entries;
    for (let k = 0; k < this.entries; k++) {
      const e = (first + k) % this.entries;
      const owner = this.at(e);
      if (Atomics.load(i32, owner) === 0 && Atomics.compareExchange(i32, owner, 0, HOLDER_ID) === 0) return e;
    }
    return -1;
  }

  /** Frees entry `e`, with its kind words set to `fill` (0 unless the kind says otherwise). */
  free(e: number, fill = 0): void {
    for (let w = 1; w < ENTRY_WORDS; w++) Atomics.store(this.i32, this.at(e, w), fill);
    Atomics.store(this.i32, this.at(e), 0);
  }

  /** The entries claimed by Node thread `threadId` (as `worker.threadId` numbers it). */
  ownedBy(threadId: number): number[] {
    const owned: number[] = [];
    for (let e = 0; e < this.entries; e++) if (Atomics.load(this.i32, this.at(e)) === threadId + 1) owned.push(e);
    return owned;
  }

  /** The Node thread id of entry `e`'s waiter, or -1 when the entry is free. */
  ownerOf(e: number): number {
    return Atomics.load(this.i32, this.at(e)) - 1;
  }
}
