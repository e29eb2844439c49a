/**
 * QueueLock: the queued spinlock of Linux (kernel/locking/qspinlock.c), the machinery shared by
 * McsLock and PvLock, which differ only in how long a queued waiter spins before it parks.
 *
 * Algorithm: an MCS queue lock (J. M. Mellor-Crummey and M. L. Scott, "Algorithms for Scalable
 * Synchronization on Shared-Memory Multiprocessors", ACM TOCS 9(1), 1991) in qspinlock's shape:
 * one 32-bit lock word holds the locked bit and the queue's tail, so that the uncontended path is
 * one compare-and-swap 0 -> LOCKED (qspinlock's fast path, queued_spin_lock), and waiters queue
 * in MCS nodes, each spinning on a word of its own node. As in queued_spin_lock_slowpath, only
 * the head of the queue watches the lock word; when it comes free the head claims it and passes
 * the headship on to the next node, whose waiter then starts to watch the lock word.
 *
 * Lock word (STATE, see lock-base.ts):
 *   bit 0      LOCKED    held
 *   bit 1      SLEEPING  waiters without a node (below) are parked on TIMED_SEQ
 *   bits 2..   TAIL      index + 1 of the last queued node, 0 = nobody queued
 * QUEUE_HEAD (a control word) holds index + 1 of the head node, for the releaser to wake it.
 *
 * Nodes: QUEUE_NODES (MAX_QUEUED_WAITERS, 128) entries of a waiter table (waiter-table.ts) after
 * the statistics line (lines 2..33), each of four Int32 words:
 *   [0] OWNER  thread id + 1 of the waiter that claimed the node, 0 = free
 *   [1] WAIT   NOT_QUEUED (claimed, not in the queue yet), QUEUED (waiting for the node before it),
 *              HEAD (head of the queue: watches the lock word), TOOK (took the lock, passing the
 *              headship on), TOOK_LAST (took the lock, and emptied the queue), LEFT (gave up the
 *              headship), RETRYING (a waiter without a place, counted in SLEEPERS: below)
 *   [2] NEXT   index + 1 of the node queued behind, 0 = none yet, PASSED (see below)
 *   [3] STATE  RUNNING, HALTED (parked or about to park on this word), GONE (will never take the
 *              lock: its waiter gave up or died)
 * and after them (lines 34..41) PREV[QUEUE_NODES]: index + 1 of the node that was the tail when the
 * node's waiter last tried to swap it in as the tail (0 = none), written before the swap. So
 * QUEUE_LOCK_BYTES = 2688 (42 cache lines).
 *
 * Claiming a node: linux has four nodes per CPU (one per nesting context); a thread here needs one
 * node per wait in progress (a thread has one blocking wait at most, but any number of async
 * ones), so a waiter claims any free node with a compare-and-swap on its OWNER word, scanning from
 * a place that depends on its thread id (so that threads start on different cache lines). It
 * gives the node back when it takes the lock, or leaves it to the node behind it (PASSED).
 * When all QUEUE_NODES nodes are taken, a waiter waits without a node, as qspinlock.c falls back to a
 * trylock loop when its nodes run out (the lock_no_node event); here that loop parks: it retries
 * the lock while nobody queues and parks on TIMED_SEQ in between, for 1 ms at a time, since it
 * has no node to record a sleeper count in (lock-base.ts retryLoop).
 *
 * Timed waits (lock(timeoutMs), lockAsync(timeoutMs)) take no place in the queue either: a queued
 * waiter cannot leave the middle of an MCS queue cheaply, so a timed waiter retries and parks like
 * a waiter without a node, as TicketLock's timed waiters do (it claims a node only to record its
 * count, WAIT = RETRYING). They get the lock only when nobody queues, and every release that
 * leaves it so with SLEEPING set wakes them all, blocking and async alike.
 *
 * Mixed waiters: untimed waits, lockAsync() included, queue in FIFO order. The lock goes to the
 * head in its turn even while the head's event loop is busy (its promise cannot run): nobody else
 * may take it meanwhile, so it is then that waiter's, not free (holder() names it), and the
 * waiters behind it wait, as FIFO promises. An aborted lockAsync (its `signal`) leaves its place as a
 * waiter that sees the lock poisoned does (below); its pending Atomics.waitAsync stays on its node's
 * STATE word until notified, so a kick wakes every waiter of a node's word (kick).
 *
 * Dead threads: a node records its waiter's place (WAIT) in the same straight run of code as the
 * compare-and-swap that made it so (every index it writes computed before: waiter-table.ts), and
 * the holder word is written in the run that takes the lock. A waiter writes PREV before it swaps
 * itself in as the tail, then, straight on, marks itself QUEUED, links itself behind the node
 * before it (or makes itself the head: nobody was queued, or the node before left first and
 * PASSED, and then frees that node). recover() (after releasing a lock the dead thread held) takes
 * each of its nodes out: one not queued yet is freed; a queued one is marked GONE, and the head
 * that would hand it the headship passes it on to the node behind instead; a QUEUED node that is
 * not linked yet (which only a stop between the steps shows: see waiter-table.ts) is linked behind
 * its PREV, or, when PREV is none or PASSED, made the head, which passes it on; a head is made to
 * pass its headship on; a retrying waiter's count is given back (its count, WAIT = RETRYING and
 * SLEEPING are set in one straight run). A waiter that gives up (poison) leaves the same way.
 *
 * Passing the headship on: the head that took the lock (or that gives up its place) reads its
 * NEXT; when the node behind has not linked itself yet (it has swapped itself in as tail but not
 * written NEXT), the head does not wait for it as qspinlock does: it swaps NEXT from 0 to PASSED
 * and goes on. The node behind links with a compare-and-swap on NEXT, finds PASSED, makes itself
 * the head and frees the node before it. Nobody ever busy-waits for a link.
 *
 * Parking (as pv_wait_node in kernel/locking/qspinlock_paravirt.h): a waiter spins (the
 * subclass's spinPhase) on its condition (its WAIT becoming HEAD; for the head, LOCKED clearing),
 * then stores HALTED in its STATE, checks the condition again and parks on STATE == HALTED. Whoever
 * makes the condition true then swaps STATE from HALTED to RUNNING and notifies only when that
 * swap succeeds (as pv_kick_node checks vcpu_halted): no waiter that is running is ever notified,
 * and no wake-up is lost (every Atomics operation is sequentially consistent).
 */
import { checkTimeout, type ExistingRegion, type Region } from './region.js';
import { nowNs } from './clock.js';
import { notifyCounted } from './wait-account.js';
import { HOLDER_ID, NO_HOLDER } from './thread-id.js';
import { BASE_BYTES, HOLDER, LockBase, QUEUE_HEAD, SLEEPERS, STATE, TIMED_SEQ, type LockHandle } from './lock-base.js';
import { parkBlocking, pollBriefly, type AsyncWaitOptions, type Park, type ParkLoop } from './park.js';
import { ENTRY_WORDS, lockTestHook, MAX_QUEUED_WAITERS, OWNER, WaiterTable } from './waiter-table.js';

const LOCKED = 1;
const SLEEPING = 2;
const TAIL_SHIFT = 2;

/** Nodes of a queue lock: more than the waiters of any lock in the emulator (see MAX_QUEUED_WAITERS). */
export const QUEUE_NODES = MAX_QUEUED_WAITERS;
const NODE_BASE = BASE_BYTES / 4;
/** PREV[n] (see the top of this file), after the nodes. */
const PREV_BASE = NODE_BASE + QUEUE_NODES * ENTRY_WORDS;
const WAIT = 1;
const NEXT = 2;
const NODE_STATE = 3;

/** A node's WAIT (see the top of this file); 0, a free node's, is NOT_QUEUED. */
const NOT_QUEUED = 0;
const QUEUED = 1;
const HEAD = 2;
const TOOK = 3;
const TOOK_LAST = 4;
const LEFT = 5;
const RETRYING = 6;

/** NEXT of a node whose waiter left before the node behind it linked itself. */
const PASSED = -1;

/** A node's STATE: its waiter runs (or spins), is parked or about to park, or will never take the lock. */
export const RUNNING = 0;
export const HALTED = 1;
const GONE = 2;

/** Bytes of a queue lock: the control and statistics lines, the nodes, then PREV. */
export const QUEUE_LOCK_BYTES = BASE_BYTES + WaiterTable.bytes(QUEUE_NODES) + QUEUE_NODES * 4;

/**
 * One spin phase of a queued waiter: reads `ready` until it holds or the phase ends; returns
 * spin-budget.ts spinUntil's result (> 0: ready after that many reads; <= 0: minus the reads spent).
 * `prev` is the node queued just before the waiter's own (-1 when unknown, or for the head).
 */
export type SpinPhase = (ready: () => boolean, prev: number) => number;

/** A queued spinlock with MCS nodes (see the top of this file); subclasses choose the spin. */
export abstract class QueueLock extends LockBase {
  /** Untimed waiters that keep their FIFO place at once: the nodes (waiter-table.ts MAX_QUEUED_WAITERS). */
  static readonly MAX_QUEUED_WAITERS = MAX_QUEUED_WAITERS;
  private readonly nodes: WaiterTable;

  protected constructor(
    what: string,
    handleKind: LockHandle['kind'],
    magic: number,
    region: Partial<Region> | ExistingRegion | undefined,
  ) {
    super(what, handleKind, magic, QUEUE_LOCK_BYTES, region);
    this.nodes = new WaiterTable(this.i32, NODE_BASE, QUEUE_NODES);
  }

  /** A queued waiter's spin before it parks: the kind's own policy. Blocking waits only. */
  protected abstract spinPhase(ready: () => boolean, prev: number): number;

  /** @inheritDoc */
  lock(timeoutMs?: number): boolean {
    const timeout = timeoutMs === undefined ? Infinity : checkTimeout(`${this.constructor.name}.lock`, timeoutMs);
    if (Atomics.compareExchange(this.i32, STATE, 0, LOCKED) === 0) {
      this.i32[HOLDER] = HOLDER_ID;
      this.countUncontended();
      return true;
    }
    this.checkNotHolder();
    const n = timeout === Infinity ? this.nodes.claim() : -1;
    const start = nowNs();
    const loop = n >= 0 ? this.queueLoop(n, start, this.blockingSpin) : this.retryLoop(start, 0, timeout);
    return parkBlocking(this.i32, loop);
  }

  protected acquireAsync(timeoutMs: number, options: AsyncWaitOptions | undefined): Promise<boolean> {
    if (this.tryLock()) return Promise.resolve(true);
    const n = timeoutMs === Infinity ? this.nodes.claim() : -1;
    if (n < 0) {
      return this.pollThenParkAsync(this.take, (start, polls) => this.retryLoop(start, polls, timeoutMs), options);
    }
    return this.parkLoopAsync(this.queueLoop(n, nowNs(), this.asyncSpin), options);
  }

  /** The lock is free and nobody queues: one compare-and-swap takes it; the winner writes the holder word. */
  protected readonly take = (): boolean => {
    const v = Atomics.load(this.i32, STATE);
    if ((v & ~SLEEPING) !== 0 || Atomics.compareExchange(this.i32, STATE, v, v | LOCKED) !== v) return false;
    this.i32[HOLDER] = HOLDER_ID;
    return true;
  };

  /** Whether node `n`'s waiter is running (not parked, not about to park): PvLock's wait-early test. */
  protected nodeRunning(n: number): boolean {
    return Atomics.load(this.i32, this.nodes.at(n, NODE_STATE)) === RUNNING;
  }

  private readonly blockingSpin: SpinPhase = (ready, prev) => this.spinPhase(ready, prev);

  /** An async waiter's spin: a poll of a few microseconds at most (park.ts), whatever the kind. */
  private readonly asyncSpin: SpinPhase = (ready) => {
    let polls = 0;
    const ended = pollBriefly(() => {
      polls++;
      return ready();
    });
    return ended ? polls : -polls;
  };

  /**
   * The waiting loop of an untimed waiter holding node `n`, for lock() and lockAsync() alike:
   * queue, wait to be the head, wait for the lock word to come free, claim it, pass the headship
   * on. Returns true (it ends only by acquiring, or by a throw on poison, which leaves the queue).
   */
  private *queueLoop(n: number, start: number, spin: SpinPhase): ParkLoop {
    const i32 = this.i32;
    const wait = this.nodes.at(n, WAIT);
    let spins = 0;
    let parks = 0;
    let mine = true; // whether node n is still this waiter's to give back
    try {
      const prev = this.enqueue(n);
      if (prev === -2) {
        mine = false;
        this.nodes.free(n);
      } else {
        const isHead = (): boolean => Atomics.load(i32, wait) === HEAD;
        while (!isHead()) {
          spins += Math.abs(spin(isHead, prev));
          if (!isHead()) parks += yield* this.halt(n, isHead);
        }
        const lockFree = (): boolean => (Atomics.load(i32, STATE) & LOCKED) === 0;
        for (;;) {
          const v = Atomics.load(i32, STATE);
          if ((v & LOCKED) === 0) {
            if (v >> TAIL_SHIFT === n + 1) {
              // The only one queued: take the lock and empty the queue.
              if (Atomics.compareExchange(i32, STATE, v, LOCKED | (v & SLEEPING)) === v) {
                i32[HOLDER] = HOLDER_ID;
                Atomics.store(i32, wait, TOOK_LAST);
                mine = false;
                this.finishLast(n);
                break;
              }
            } else if (Atomics.compareExchange(i32, STATE, v, v | LOCKED) === v) {
              i32[HOLDER] = HOLDER_ID;
              Atomics.store(i32, wait, TOOK);
              mine = false;
              this.passOn(n);
              break;
            }
            continue;
          }
          spins += Math.abs(spin(lockFree, -1));
          if (!lockFree()) parks += yield* this.halt(n, lockFree);
        }
      }
    } finally {
      if (mine) this.leave(n);
    }
    this.countContended(spins, parks, nowNs() - start);
    return true;
  }

  /**
   * Puts node `n` at the tail. Returns the node queued before it (-1 when `n` is the head at
   * once), or -2 when the lock was free with nobody queued and this call took it. From the swap
   * that makes `n` the tail to its link (or headship) the code runs straight, every index computed
   * before the swap (see the top of this file).
   */
  private enqueue(n: number): number {
    const i32 = this.i32;
    const nodes = this.nodes;
    const wait = nodes.at(n, WAIT);
    const prevOfN = PREV_BASE + n;
    if (lockTestHook !== null) lockTestHook('node-claimed');
    for (;;) {
      const v = Atomics.load(i32, STATE);
      if ((v & ~SLEEPING) === 0) {
        if (Atomics.compareExchange(i32, STATE, v, v | LOCKED) === v) {
          i32[HOLDER] = HOLDER_ID;
          return -2;
        }
        continue;
      }
      const prev = (v >> TAIL_SHIFT) - 1;
      const prevOwner = prev < 0 ? -1 : nodes.at(prev);
      Atomics.store(i32, prevOfN, prev + 1); // the would-be node before, for recover()
      const tail = ((n + 1) << TAIL_SHIFT) | (v & (LOCKED | SLEEPING));
      if (Atomics.compareExchange(i32, STATE, v, tail) !== v) continue;
      Atomics.store(i32, wait, QUEUED);
      if (lockTestHook !== null) lockTestHook('node-queued');
      if (prev >= 0 && Atomics.compareExchange(i32, prevOwner + NEXT, 0, n + 1) === 0) {
        if (lockTestHook !== null) lockTestHook('node-linked');
        return prev;
      }
      // Nobody queued before `n`, or the node before left before `n` linked itself (its NEXT is
      // PASSED): `n` is the head, and frees that node (as WaiterTable.free does: OWNER last). Its
      // own waiter is running, so nobody needs waking (makeHead's kick).
      Atomics.store(i32, QUEUE_HEAD, n + 1);
      Atomics.store(i32, wait, HEAD);
      if (prev >= 0) {
        Atomics.store(i32, prevOwner + WAIT, NOT_QUEUED);
        Atomics.store(i32, prevOwner + NEXT, 0);
        Atomics.store(i32, prevOwner + NODE_STATE, RUNNING);
        Atomics.store(i32, prevOwner + OWNER, 0);
      }
      if (lockTestHook !== null) lockTestHook('node-linked');
      return -1;
    }
  }

  /** Makes node `m` the head of the queue, and wakes its waiter if parked (or passes on if it is gone). */
  private makeHead(m: number): void {
    const i32 = this.i32;
    Atomics.store(i32, QUEUE_HEAD, m + 1);
    Atomics.store(i32, this.nodes.at(m, WAIT), HEAD);
    this.wakeHead(m);
  }

  /** Head `m` is to watch the lock word: wakes its waiter if parked, or passes on if it is gone. */
  private wakeHead(m: number): void {
    const i32 = this.i32;
    if (Atomics.load(i32, this.nodes.at(m, NODE_STATE)) === GONE) {
      if (Atomics.compareExchange(i32, this.nodes.at(m, WAIT), HEAD, LEFT) === HEAD) this.passOn(m);
    } else {
      this.kick(m);
    }
  }

  /**
   * Node `d` is the head and will not wait for the lock (it took it, or its waiter left): makes
   * the node behind it the head, or empties the queue when `d` is the last, or leaves the headship
   * to the node that is linking itself behind `d` (PASSED), which then frees `d`. Safe to run
   * again for the same node (recover() does, for a waiter that died in the middle of it).
   */
  private passOn(d: number): void {
    const i32 = this.i32;
    for (;;) {
      const next = Atomics.load(i32, this.nodes.at(d, NEXT));
      if (next === PASSED) return;
      if (next > 0) {
        // A node behind that is still QUEUED has not been made the head yet.
        if (Atomics.load(i32, this.nodes.at(next - 1, WAIT)) === QUEUED) this.makeHead(next - 1);
        this.nodes.free(d);
        return;
      }
      const v = Atomics.load(i32, STATE);
      if (v >> TAIL_SHIFT === d + 1) {
        // The last node (only a waiter that left gets here: a head that took the lock empties the
        // queue in queueLoop). Remove it, keeping the other bits.
        if (Atomics.compareExchange(i32, STATE, v, v & (LOCKED | SLEEPING)) !== v) continue;
        this.finishLast(d);
        if ((v & (LOCKED | SLEEPING)) === SLEEPING) this.wakeRetrying();
        return;
      }
      if (Atomics.compareExchange(i32, this.nodes.at(d, NEXT), 0, PASSED) === 0) return;
    }
  }

  /** Node `d` was the last and the queue is empty now: it is nobody's head, and it goes. */
  private finishLast(d: number): void {
    Atomics.compareExchange(this.i32, QUEUE_HEAD, d + 1, 0);
    this.nodes.free(d);
  }

  /** Node `n`'s waiter gives up its place (a throw while queued, or its death): it will never take the lock. */
  private leave(n: number): void {
    const i32 = this.i32;
    if (Atomics.load(i32, this.nodes.at(n, WAIT)) === NOT_QUEUED) {
      this.nodes.free(n);
      return;
    }
    Atomics.store(i32, this.nodes.at(n, NODE_STATE), GONE);
    if (Atomics.compareExchange(i32, this.nodes.at(n, WAIT), HEAD, LEFT) === HEAD) this.passOn(n);
  }

  /**
   * Parks node `n`'s waiter until `ready()` (as pv_wait_node: STATE = HALTED, check, park on
   * STATE == HALTED). Returns 1 when it parked, 0 when `ready()` already held.
   */
  private *halt(n: number, ready: () => boolean): Generator<Park, number, void> {
    const i32 = this.i32;
    const state = this.nodes.at(n, NODE_STATE);
    Atomics.store(i32, state, HALTED);
    try {
      if (ready()) return 0;
      this.checkPoison();
      yield { index: state, value: HALTED, timeoutMs: Infinity };
      return 1;
    } finally {
      Atomics.compareExchange(i32, state, HALTED, RUNNING);
    }
  }

  /**
   * Wakes node `m`'s waiter if it is parked (pv_kick_node's test of vcpu_halted). Only that waiter
   * parks on the node's STATE, but an async waiter of an earlier owner of the node that was aborted
   * may still be on the word's list (a ghost: async-abort.ts): so all are woken, the real waiter
   * with them, never the ghost alone.
   */
  private kick(m: number): void {
    const state = this.nodes.at(m, NODE_STATE);
    if (Atomics.compareExchange(this.i32, state, HALTED, RUNNING) === HALTED) notifyCounted(this.i32, state);
  }

  /**
   * A waiter without a place (retryLoop) records itself in a node, counts itself and sets SLEEPING
   * in the lock word, so that releases wake it, in one straight run of code; without a free node
   * it counts itself nowhere (retryLoop polls), so that its death leaves SLEEPING set for nobody.
   */
  protected enterRetryWait(): number {
    const i32 = this.i32;
    const n = this.nodes.claim();
    if (n < 0) return -1;
    const wait = this.nodes.at(n, WAIT);
    Atomics.add(i32, SLEEPERS, 1);
    Atomics.store(i32, wait, RETRYING);
    Atomics.or(i32, STATE, SLEEPING);
    if (lockTestHook !== null) lockTestHook('retry-counted');
    return n;
  }

  protected leaveRetryWait(n: number): void {
    if (n < 0) return;
    this.uncountRetrying(n);
    this.nodes.free(n);
  }

  /**
   * Node `n`'s waiter without a place stops sleeping: the last one clears SLEEPING. A waiter that
   * counted itself meanwhile sets it again, and wakes the others if the lock came free in between
   * (a release then saw no SLEEPING and woke nobody). The count and the node's record of it go
   * in one straight run.
   */
  private uncountRetrying(n: number): void {
    const i32 = this.i32;
    const wait = this.nodes.at(n, WAIT);
    const last = Atomics.sub(i32, SLEEPERS, 1) === 1;
    Atomics.store(i32, wait, NOT_QUEUED);
    if (!last) return;
    Atomics.and(i32, STATE, ~SLEEPING);
    if (Atomics.load(i32, SLEEPERS) === 0) return;
    const v = Atomics.or(i32, STATE, SLEEPING);
    if ((v & ~SLEEPING) === 0) this.wakeRetrying();
  }

  /** Wakes every waiter without a place: the lock is free and nobody queues. */
  private wakeRetrying(): void {
    Atomics.add(this.i32, TIMED_SEQ, 1);
    notifyCounted(this.i32, TIMED_SEQ);
  }

  /** The head's waiter when the lock is free and reserved for it (somebody queues). */
  protected override handedTo(): number {
    const v = Atomics.load(this.i32, STATE);
    const head = Atomics.load(this.i32, QUEUE_HEAD);
    if ((v & LOCKED) !== 0 || v >> TAIL_SHIFT === 0 || head === 0) return -1;
    return Atomics.load(this.i32, this.nodes.at(head - 1, WAIT)) === HEAD ? this.nodes.ownerOf(head - 1) : -1;
  }

  protected recoverWaits(threadId: number): number {
    const i32 = this.i32;
    let undone = 0;
    for (const n of this.nodes.ownedBy(threadId)) {
      const wait = Atomics.load(i32, this.nodes.at(n, WAIT));
      const next = Atomics.load(i32, this.nodes.at(n, NEXT));
      if (next === PASSED || (wait !== NOT_QUEUED && Atomics.load(i32, this.nodes.at(n, NODE_STATE)) === GONE)) {
        continue; // left already: the node behind frees it, or it is passed on in its turn
      }
      undone++;
      if (wait === RETRYING) this.leaveRetryWait(n);
      else if (wait === TOOK_LAST) this.finishLast(n);
      else if (wait === TOOK || wait === LEFT) this.passOn(n);
      else if (wait === QUEUED) this.leaveQueued(n, threadId);
      else this.leave(n);
    }
    return undone;
  }

  /**
   * recover() for node `n` of dead thread `threadId`, QUEUED: its waiter swapped it in as the tail
   * and may have stopped before it linked it behind the node before it (PREV) or made it the head.
   * Marks it GONE, then does what is left: links it (the node before hands it the headship in its
   * turn, and GONE passes that on), or, when no node was queued before it or that node left first
   * (PASSED), makes it the head (which passes it on at once) and frees that node.
   */
  private leaveQueued(n: number, threadId: number): void {
    const i32 = this.i32;
    const wait = this.nodes.at(n, WAIT);
    Atomics.store(i32, this.nodes.at(n, NODE_STATE), GONE);
    const prev = Atomics.load(i32, PREV_BASE + n) - 1;
    if (prev >= 0) {
      const prevNext = this.nodes.at(prev, NEXT);
      let link = Atomics.load(i32, prevNext);
      // The node before frees itself only once it has made `n` the head; so while `n` is still QUEUED
      // and still this thread's (not freed and claimed again), `prev` is the node before it.
      if (Atomics.load(i32, wait) !== QUEUED || this.nodes.ownerOf(n) !== threadId) {
        if (this.nodes.ownerOf(n) === threadId) this.leave(n); // made the head meanwhile: pass it on
        return;
      }
      if (link === 0) link = Atomics.compareExchange(i32, prevNext, 0, n + 1);
      if (link !== PASSED) return; // linked, by its waiter or just now
    }
    this.makeHead(n);
    if (prev >= 0) this.nodes.free(prev);
  }

  protected nudge(): void {
    const i32 = this.i32;
    const v = Atomics.load(i32, STATE);
    const head = Atomics.load(i32, QUEUE_HEAD);
    if (head > 0 && Atomics.load(i32, this.nodes.at(head - 1, WAIT)) === HEAD) this.wakeHead(head - 1);
    if ((v & ~SLEEPING) === 0 && (v & SLEEPING) !== 0) this.wakeRetrying();
  }

  protected wakeAllWaiters(): void {
    const i32 = this.i32;
    for (let n = 0; n < QUEUE_NODES; n++) {
      const state = this.nodes.at(n, NODE_STATE);
      if (Atomics.compareExchange(i32, state, HALTED, RUNNING) === HALTED) Atomics.notify(i32, state);
    }
    Atomics.add(i32, TIMED_SEQ, 1);
    Atomics.notify(i32, TIMED_SEQ);
  }

  protected release(): void {
    const i32 = this.i32;
    i32[HOLDER] = NO_HOLDER;
    if (Atomics.compareExchange(i32, STATE, LOCKED, 0) === LOCKED) return;
    const v = Atomics.sub(i32, STATE, LOCKED);
    if (v >> TAIL_SHIFT !== 0) {
      const head = Atomics.load(i32, QUEUE_HEAD);
      if (head > 0) this.kick(head - 1);
    } else if ((v & SLEEPING) !== 0) {
      this.wakeRetrying();
    }
  }
}
