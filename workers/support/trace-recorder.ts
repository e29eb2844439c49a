/**
 * A worker's recorder for `--trace` (src/protocol/trace-record.ts has the record format): a
 * buffer allocated when the worker takes its task, before the run starts, filled only inside
 * the trace window and returned with the worker's result.
 *
 * It records two kinds of things:
 *   - what the worker brackets itself: its passes of work, its lock holds, its counters and its
 *     sampled requests (the worker calls slice(), held(), counter(), request());
 *   - what the library's slow paths report through the thread's wait tracer (wait-account.ts):
 *     spins, polls, parks, notifies, lock waits and preemptions. Those come with times on the
 *     thread's own clock (nowNs()), which the recorder moves onto the run's time line.
 *
 * The window: the main thread writes its start on the run's time line into the control block
 * just before the run enters MEASURE (RunControl.traceFrom). Each worker arms its recorder as a
 * wait tracer when it sees RAMP, so that a park or spin that began before the window and ends in
 * it is recorded (and clipped to the window by the writer); an armed recorder keeps what ends
 * while the phase is MEASURE and drops the rest. The worker's own slices are recorded from its
 * first turn in MEASURE, and everything stops once the window has passed. Outside the window,
 * and without --trace, the hot paths pay one test of a null per loop turn; the slow paths (parks,
 * spins, notifies) of an armed recorder also look at the phase.
 *
 * Wake-ups become flows: a doorbell in the control block is identified by its roster slot, and
 * its SEQ word counts its wake-ups (doorbell.ts), so the notifier, reading SEQ just after it
 * bumped it, and the woken thread, reading it as it wakes, compute the same id,
 * (slot + 1) * 2^24 + (SEQ mod 2^24). A waiter that reads a later SEQ (two wake-ups in between)
 * computes an id nobody else has, and the writer drops its half arrow.
 */
import { nowNs } from '../../src/sync/clock.js';
import { setThreadWaitTracer, type WaitTracer } from '../../src/sync/wait-account.js';
import { NotifyKind, TRACE_WORDS, TraceKind, type ThreadTrace } from '../../src/protocol/trace-record.js';
import { MEASURE, RAMP, type RunControl } from '../../src/protocol/run-control.js';
import { roster, type WorkerRole } from '../../src/protocol/roster.js';
import type { TraceSettings } from '../../src/protocol/tasks.js';

const SLOT_SPAN = 2 ** 24;
/** How far before a lock wait's own start a spin or park inside it may begin (clock reads apart). */
const WAIT_SLACK_NS = 2_000;
/** Words per control-block line: a bell's SEQ word is at (1 + slot) * LINE_WORDS. */
const LINE_WORDS = 16;
const BEFORE = 0;
const ARMED = 1;
const ON = 2;
const DONE = 3;

export class TraceRecorder implements WaitTracer {
  private readonly records: Float64Array;
  private readonly capacity: number;
  private count = 0;
  private truncated = false;
  private state = BEFORE;
  private until = 0;
  /** The end of the last lock wait, on the run's line: where a hold that follows it starts. */
  private lockWaitEnd = -Infinity;
  /** The role of each roster slot, for a notify's kind. */
  private readonly slotRoles: readonly WorkerRole[];
  private readonly controlBuffer: ArrayBufferLike;

  /**
   * @param offset this thread's stamp offset (stage-clock.ts): nowNs() + offset is the run's line
   * @param locks each lock's buffer, and the run ring it guards
   */
  constructor(
    private readonly settings: TraceSettings,
    private readonly control: RunControl,
    private readonly role: WorkerRole,
    private readonly offset: number,
    private readonly locks: ReadonlyMap<ArrayBufferLike, number>,
  ) {
    this.capacity = settings.capacity;
    this.records = new Float64Array(settings.capacity * TRACE_WORDS);
    this.slotRoles = roster(control.handle.workers).map((w) => w.role);
    this.controlBuffer = control.handle.buffer;
  }

  /**
   * Call at every turn of the worker's loop with the phase: returns the recorder while the
   * window is open, else null, and turns the library's wait tracer on and off with it.
   */
  active(phase: number): TraceRecorder | null {
    if (this.state === BEFORE && phase === RAMP) {
      this.state = ARMED;
      setThreadWaitTracer(this);
    }
    if (this.state === ARMED && phase === MEASURE) this.open();
    if (this.state !== ON) return null;
    if (phase === MEASURE && this.now() < this.until && this.count < this.capacity) return this;
    this.finish();
    return null;
  }

  /** Ends the recording (the window passed, or the worker returns); safe to call again. */
  finish(): void {
    if (this.state === ARMED || this.state === ON) setThreadWaitTracer(null);
    this.state = DONE;
  }

  private open(): void {
    this.until = this.control.traceFrom() + this.settings.windowNs;
    this.state = ON;
  }

  /** Whether a record from the wait tracer is kept: armed, it opens the window once the run measures. */
  private keeps(): boolean {
    if (this.state === ON) return true;
    if (this.state !== ARMED || this.control.phase() !== MEASURE) return false;
    this.open();
    return true;
  }

  /** What the worker returns. */
  result(): ThreadTrace {
    this.finish();
    return {
      count: this.count,
      records: this.records.slice(0, this.count * TRACE_WORDS),
      truncated: this.truncated,
      sampleEvery: this.role === 'vcpu' ? this.settings.sampleEvery : 0,
    };
  }

  /** Now on the run's time line. */
  now(): number {
    return nowNs() + this.offset;
  }

  /** Records one record; the words after `endNs` default to 0. */
  add(kind: number, startNs: number, endNs: number, a = 0, b = 0, c = 0, d = 0, e = 0): void {
    if (this.count >= this.capacity) {
      this.truncated = true;
      return;
    }
    const r = this.records;
    let o = this.count++ * TRACE_WORDS;
    r[o++] = kind;
    r[o++] = startNs;
    r[o++] = endNs;
    r[o++] = a;
    r[o++] = b;
    r[o++] = c;
    r[o++] = d;
    r[o] = e;
  }

  /**
   * A push or pop under ring `ring`'s lock that ran from `startNs` to now: the hold is from the
   * end of the lock wait inside it (the hook recorded the wait) or from its start.
   */
  held(ring: number, startNs: number): void {
    const end = this.now();
    const from = this.lockWaitEnd >= startNs && this.lockWaitEnd <= end ? this.lockWaitEnd : startNs;
    this.add(TraceKind.LOCK_HELD, from, end, ring);
  }

  /**
   * A push or pop under ring `ring`'s lock that began before this thread saw the window open
   * (its `trace` was null then) and ends now: a holder preempted across the window's start. It
   * is drawn from the end of its lock wait, if that lies in the window, else from the window's
   * start: the acquisition itself was not timed.
   */
  heldAcross(ring: number): void {
    if (!this.keeps()) return;
    this.add(TraceKind.LOCK_HELD, Math.max(this.lockWaitEnd, this.control.traceFrom()), this.now(), ring);
  }

  // The wait tracer (wait-account.ts): times on this thread's clock.

  spun(startNs: number, endNs: number): void {
    if (!this.keeps()) return;
    this.add(TraceKind.SPIN, startNs + this.offset, endNs + this.offset);
  }

  polled(startNs: number, endNs: number, hit: boolean): void {
    if (!this.keeps()) return;
    this.add(TraceKind.POLL, startNs + this.offset, endNs + this.offset, hit ? 1 : 0);
  }

  parked(i32: Int32Array, index: number, startNs: number, endNs: number, woken: boolean): void {
    if (!this.keeps()) return;
    const flow = woken ? this.flowId(i32, index) : 0;
    this.add(TraceKind.PARK, startNs + this.offset, endNs + this.offset, woken ? 1 : 0, flow);
  }

  notified(i32: Int32Array, index: number, startNs: number, endNs: number): void {
    if (!this.keeps()) return;
    const slot = this.bellSlot(i32, index);
    const kind = slot < 0 ? NotifyKind.LOCK : this.notifyKind(this.slotRoles[slot]!);
    this.add(TraceKind.NOTIFY, startNs + this.offset, endNs + this.offset, this.flowId(i32, index), kind, slot);
  }

  /**
   * A lock wait ends after the spins and parks inside it were recorded, and the lock measured
   * its length with clock reads of its own, a few ns apart from theirs: the wait is widened to
   * hold every spin or park that began within WAIT_SLACK_NS before it, so that they nest.
   */
  lockWaited(i32: Int32Array, startNs: number, endNs: number): void {
    if (!this.keeps()) return;
    const ring = this.locks.get(i32.buffer) ?? -1;
    let start = startNs + this.offset;
    let end = endNs + this.offset;
    const r = this.records;
    for (let k = this.count - 1; k >= 0; k--) {
      const o = k * TRACE_WORDS;
      const kind = r[o]!;
      if ((kind !== TraceKind.SPIN && kind !== TraceKind.PARK) || r[o + 1]! < start - WAIT_SLACK_NS) break;
      if (r[o + 1]! < start) start = r[o + 1]!;
      if (r[o + 2]! > end) end = r[o + 2]!;
    }
    this.lockWaitEnd = end;
    this.add(TraceKind.LOCK_WAIT, start, end, ring);
  }

  preempted(startNs: number, endNs: number): void {
    if (!this.keeps()) return;
    this.add(TraceKind.PREEMPTED, startNs + this.offset, endNs + this.offset);
  }

  /** The roster slot of the control-block bell whose SEQ word is `index`, or -1 for any other word. */
  private bellSlot(i32: Int32Array, index: number): number {
    if (i32.buffer !== this.controlBuffer || index % LINE_WORDS !== 0) return -1;
    const slot = index / LINE_WORDS - 1;
    return slot >= 0 && slot < this.slotRoles.length ? slot : -1;
  }

  /** The flow id of the wake-up through the bell at `index` that SEQ now counts; 0 for other words. */
  private flowId(i32: Int32Array, index: number): number {
    const slot = this.bellSlot(i32, index);
    if (slot < 0) return 0;
    return (slot + 1) * SLOT_SPAN + ((Atomics.load(i32, index) >>> 0) % SLOT_SPAN);
  }

  /** What a ring of a bell of `woken`'s stands for, when this thread rings it. */
  private notifyKind(woken: WorkerRole): number {
    if (woken === 'vcpu') return NotifyKind.INTERRUPT;
    if (woken === 'nullblk') return NotifyKind.DOORBELL;
    return this.role === 'vcpu' ? NotifyKind.KICK : this.role === 'nullblk' ? NotifyKind.NOTICE : NotifyKind.OTHER;
  }
}
