/**
 * A guest vCPU running one fio job: rw=randread at --iodepth, --bs blocks,
 * submitting and reaping the way fio's default engine loop does.
 *
 * Submission (fio's td_io_queue/td_io_commit, then virtio_queue_rq): every
 * free tag gets a request (a random block-aligned offset), and the requests
 * go into the submission ring `iodepth_batch_submit` at a time (fio's
 * default: 1), each push under one acquisition of the ring's lock and
 * followed by a kick of the IO thread, which notification suppression
 * (Doorbell) reduces to one load while the IO thread is awake.
 *
 * Completion (fio's wait_for_completions): once every request is in flight,
 * wait for at least max(1, iodepth_batch_complete_min) completions on the
 * vCPU's own completion ring (the used ring plus interrupt), then reap up to
 * iodepth_batch_complete_max of them. With a min of 0 it also reaps, without
 * waiting, before each submission.
 *
 * With --lock-sides submit+reap it also takes the submission ring's lock once
 * per reaping pass that finds completions, as Linux's virtblk_done takes the
 * virtqueue lock once per interrupt.
 *
 * Latency, as fio splits it: slat from the start of a request's submission
 * (before the guest's work and the ring's lock) until the push that put it in
 * the ring returned; clat from then until it is reaped; lat, both. The three
 * times are taken as integer ns, so that slat + clat = lat exactly. With
 * --breakdown on, the stamps the IO thread and the device wrote into the
 * descriptor split lat further into the stages of src/protocol/stages.ts,
 * whose times add up to lat exactly too.
 *
 * After STOP it submits nothing new and reaps what is still in flight, so
 * that every request it submitted is accounted for.
 */
import { Ring } from '../src/ring/ring.js';
import { GuardedRing } from '../src/ring/guarded-ring.js';
import { openRing } from '../src/ring/create-ring.js';
import { PollWindow } from '../src/sync/poll-window.js';
import { waitUntil } from '../src/sync/wait-until.js';
import { RunControl, MEASURE, STOP, ABORT, BELL_SOURCE } from '../src/protocol/run-control.js';
import {
  DESC_WORDS,
  VCPU,
  TAG,
  SEQ,
  BLOCK,
  LEN,
  OP,
  OP_READ,
  STATUS,
  HWQ,
  STATUS_OK,
  T_POP,
  T_DEV,
  T_DONE,
  T_POST,
} from '../src/protocol/descriptor.js';
import { stageClockOffset, stampDelta } from '../src/protocol/stage-clock.js';
import { STAGES, type StageName } from '../src/protocol/stages.js';
import { nowNs } from '../src/sync/clock.js';
import { threadWaits } from '../src/sync/wait-account.js';
import { mulberry32 } from '../src/protocol/prng.js';
import {
  LatencyHistogram,
  PLAT_NR,
  platIndex,
  type LatencyHistogramData,
} from '../src/protocol/latency-histogram.js';
import type { StageRecord, VcpuResult, VcpuTask } from '../src/protocol/tasks.js';
import { checkPattern } from './support/pattern.js';
import { armFailpoint } from './support/armed-failpoint.js';
import { burnCpu } from './support/burn.js';
import { leavesOnAbort } from './support/leave-on-abort.js';
import { arrive } from './support/arrive.js';
import { WindowWatch } from './support/thread-window.js';
import { TraceRecorder } from './support/trace-recorder.js';
import { TraceKind } from '../src/protocol/trace-record.js';

/** reap()'s `seen` when the vCPU did not wait for the completions it reaps. */
const NOT_WAITED = -1;
/** Ids of bad completions kept for the error message. */
const KEEP_IDS = 10;

// Leaving an aborted run (a poisoned lock, a failpoint) is not a failure of its own.
export default leavesOnAbort(vcpu);

function vcpu(task: VcpuTask): VcpuResult {
  const { index, iodepth, bs, blocks, parkMs, guestNs } = task;
  // Short local names for fio's three batching options.
  const { iodepthBatch: submitBatch } = task;
  const { iodepthBatchCompleteMin: completeMin, iodepthBatchCompleteMax: completeMax } = task;
  const control = new RunControl(task.control);
  const submission = openRing(task.submission);
  const guard = submission instanceof GuardedRing ? submission.guard : null;
  // submit+reap on a locked ring: the vCPU takes the lock once per reaping pass (tasks.ts).
  const reapLock = task.lockSides === 'submit+reap' ? guard : null;
  // The used ring, and the one bell the vCPU parks on: its interrupt line, rung by whoever posts
  // to the used ring (docs/model.md, notification).
  const usedRing = Ring.from(task.usedRing);
  const interrupt = control.bell('vcpu', index);
  const pollWindow = new PollWindow(task.pollMaxNs);
  let wanted = 1;
  const completionsThere = (): boolean => usedRing.size() >= wanted;
  // The kick: the bell of the IO thread that drains the submission ring.
  const kick = control.bell('iothread', task.iothread);
  const progress = control.progress('vcpu', index);
  const random = mulberry32((task.seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const slat = new LatencyHistogram();
  const clat = new LatencyHistogram();
  const lat = new LatencyHistogram();
  const totals = { requests: 0, slatNs: 0, clatNs: 0, latNs: 0 };
  // --breakdown: this thread's offset onto the run's stamp time line, and the stages' record.
  const stampOffset = task.breakdown || task.trace !== null ? stageClockOffset(task.stageOriginHrNs) : 0;
  // --trace: the recorder (null without), and `trace`, set to it only while its window is open.
  const locks = new Map(guard === null ? [] : [[task.submission.buffer as ArrayBufferLike, task.ring]]);
  const recorder = task.trace === null ? null : new TraceRecorder(task.trace, control, 'vcpu', stampOffset, locks);
  let trace: TraceRecorder | null = null;
  const sampleEvery = task.trace?.sampleEvery ?? 0;
  const stageTotals = task.breakdown ? new Float64Array(STAGES.length) : null;
  // Each stage's fio bins as 32-bit counts (a vCPU reaps far fewer than 2^32 requests into one
  // bin in a run): half the memory of a LatencyHistogram's, which the vCPU touches per request.
  const stageBins = STAGES.map(() => new Uint32Array(PLAT_NR));
  const stamps = new Int32Array(STAGES.length + 1);
  let stagedRequests = 0;
  const data = task.data === null ? null : new Int32Array(task.data);
  const bufWords = bs / 4;

  // In-flight table, indexed by tag.
  const freeTags = Int32Array.from({ length: iodepth }, (_, t) => iodepth - 1 - t);
  let free = iodepth;
  const inFlight = new Uint8Array(iodepth);
  const seqOf = new Int32Array(iodepth);
  const blockOf = new Int32Array(iodepth);
  // When each tag's request started to be submitted, and when it entered the ring, integer ns.
  const startedNs = new Float64Array(iodepth);
  const enteredNs = new Float64Array(iodepth);
  const out = new Int32Array(submitBatch * DESC_WORDS);
  const reaped = new Int32Array(completeMax * DESC_WORDS);

  let seq = 0;
  let submitted = 0;
  let completed = 0;
  let pushes = 0;
  let reapLocks = 0;
  let measuring = false;
  const unexpected: string[] = [];
  let unexpectedCount = 0;
  let verified = 0;
  let corrupt = 0;

  /** Fills descriptor `k` of `out` with a new request on a free tag; returns nothing, takes the tag. */
  function prepare(k: number): void {
    const tag = freeTags[--free]!;
    const block = random() % blocks;
    const o = k * DESC_WORDS;
    out[o + VCPU] = index;
    out[o + TAG] = tag;
    out[o + SEQ] = seq;
    out[o + BLOCK] = block;
    out[o + LEN] = bs;
    out[o + OP] = OP_READ;
    out[o + STATUS] = -1;
    out[o + HWQ] = -1;
    inFlight[tag] = 1;
    seqOf[tag] = seq;
    blockOf[tag] = block;
    startedNs[tag] = nowNs();
    seq = (seq + 1) | 0;
    // The guest's own work on the request (block layer, driver), before it takes the ring's lock.
    burnCpu(guestNs);
  }

  /** Pushes the `n` prepared descriptors under one lock acquisition, then kicks the IO thread. */
  function push(n: number): void {
    const held = trace === null ? 0 : trace.now();
    const pushed = submission.pushBatch(out, n);
    if (guard !== null && recorder !== null) {
      if (trace !== null) trace.held(task.ring, held);
      else recorder.heldAcross(task.ring);
    }
    pushes++;
    const entered = nowNs();
    for (let k = 0; k < pushed; k++) enteredNs[out[k * DESC_WORDS + TAG]!] = entered;
    // The ring is sized for every request in flight, so this only happens if
    // that sizing is broken; give the tags back rather than lose them.
    for (let k = pushed; k < n; k++) {
      const tag = out[k * DESC_WORDS + TAG]!;
      inFlight[tag] = 0;
      freeTags[free++] = tag;
    }
    submitted += pushed;
    kick.ring(BELL_SOURCE.vcpu);
    progress.publish(submitted, completed);
  }

  /** Submits a request on every free tag, `submitBatch` per push. */
  function submitFree(): void {
    const start = trace === null || free === 0 ? 0 : trace.now();
    const before = free;
    while (free > 0) {
      const n = free < submitBatch ? free : submitBatch;
      for (let k = 0; k < n; k++) prepare(k);
      push(n);
    }
    if (trace !== null && before > 0) {
      // The counters once per pass, not per push: each record costs the window time.
      const now = trace.now();
      trace.add(TraceKind.SUBMIT, start, now, before);
      trace.add(TraceKind.RING_DEPTH, now, now, task.ring, submission.size());
      trace.add(TraceKind.IN_FLIGHT, now, now, index, iodepth - free);
    }
  }

  /** Records one request's slat, clat and lat, in fio's histogram bins. */
  function record(started: number, entered: number, done: number): void {
    const s = entered - started;
    const c = done - entered;
    slat.record(s);
    clat.record(c);
    lat.record(s + c);
    totals.requests++;
    totals.slatNs += s;
    totals.clatNs += c;
    totals.latNs += done - started;
  }

  /**
   * Records the stages of the request of `tag`, at word `o` of `reaped` (stages.ts): the vCPU's
   * own times (integer ns on its clock) are put on the run's time line, the other stamps are
   * already on it, and consecutive stamps are subtracted, so that the stages add up to
   * done - started exactly. `seenStamp` and `doneStamp` are stamp words already (Int32: small
   * integers that V8 passes without boxing, as it would have to box the ns themselves).
   *
   * A stamp can read earlier than the one before it: the IO thread stamps a ring once per drain
   * (and again after each hand-over to the device), so a request pushed while its ring was being
   * drained carries a drain stamp older than its own entry; a completion reaped in a batch can
   * have been posted after the wait that saw the batch ended; and two threads' clocks agree only
   * to within tens of nanoseconds. Such a stamp is moved up to the one before it (and never past
   * `done`): the stages stay in order, none is negative, and they still add up exactly.
   */
  function recordStages(totalNs: Float64Array, o: number, tag: number, seenStamp: number, doneStamp: number): void {
    stamps[0] = startedNs[tag]! + stampOffset;
    stamps[1] = enteredNs[tag]! + stampOffset;
    stamps[2] = reaped[o + T_POP]!;
    stamps[3] = reaped[o + T_DEV]!;
    stamps[4] = reaped[o + T_DONE]!;
    stamps[5] = reaped[o + T_POST]!;
    stamps[6] = seenStamp;
    stamps[7] = doneStamp;
    for (let k = 1; k < STAGES.length; k++) {
      if (stampDelta(stamps[k]!, stamps[k - 1]!) < 0) stamps[k] = stamps[k - 1]!;
      if (stampDelta(doneStamp, stamps[k]!) < 0) stamps[k] = doneStamp;
    }
    stagedRequests++;
    for (let k = 0; k < STAGES.length; k++) {
      const ns = stampDelta(stamps[k + 1]!, stamps[k]!);
      totalNs[k] = totalNs[k]! + ns;
      // Only the bins are kept (for p50 and p99): the sums are stageTotals, exact.
      stageBins[k]![platIndex(ns)]!++;
    }
  }

  /**
   * Reaps up to completeMax completions that are there; returns how many. `seen` is when the
   * vCPU saw them: when its wait for completions ended, or NOT_WAITED when it did not wait, and
   * then it saw them as it took the reaping lock (submit+reap) or as it reaped them: no clock is
   * read for it on the common path.
   */
  function reap(seen: number): number {
    const start = trace === null ? 0 : trace.now();
    let n: number;
    if (reapLock === null) {
      n = usedRing.popBatch(reaped, completeMax);
    } else {
      // One acquisition per reaping pass that has something to reap, as virtblk_done per interrupt.
      if (usedRing.isEmpty()) return 0;
      if (seen === NOT_WAITED && stageTotals !== null) seen = nowNs();
      reapLock.lock();
      try {
        n = usedRing.popBatch(reaped, completeMax);
      } finally {
        reapLock.unlock();
      }
      if (recorder !== null) {
        if (trace !== null) trace.held(task.ring, start);
        else recorder.heldAcross(task.ring);
      }
      reapLocks++;
    }
    if (n === 0) return 0;
    const reapedNs = nowNs();
    const doneStamp = (reapedNs + stampOffset) | 0;
    const seenStamp = seen === NOT_WAITED ? doneStamp : (seen + stampOffset) | 0;
    for (let k = 0; k < n; k++) {
      const o = k * DESC_WORDS;
      const tag = reaped[o + TAG]!;
      const s = reaped[o + SEQ]!;
      if (reaped[o + VCPU] !== index || tag < 0 || tag >= iodepth || inFlight[tag] === 0 || seqOf[tag] !== s) {
        if (unexpected.length < KEEP_IDS) unexpected.push(`${reaped[o + VCPU]}/${s >>> 0}`);
        unexpectedCount++;
        continue;
      }
      if (reaped[o + STATUS] !== STATUS_OK) corrupt++;
      if (data !== null) {
        verified++;
        if (!checkPattern(data.subarray(tag * bufWords, (tag + 1) * bufWords), blockOf[tag]!, s)) corrupt++;
      }
      inFlight[tag] = 0;
      freeTags[free++] = tag;
      completed++;
      if (measuring) {
        record(startedNs[tag]!, enteredNs[tag]!, reapedNs);
        if (stageTotals !== null) recordStages(stageTotals, o, tag, seenStamp, doneStamp);
      }
      if (trace !== null && s % sampleEvery === 0) sample(o, tag, reapedNs + stampOffset);
    }
    progress.publish(submitted, completed);
    if (trace !== null) {
      const now = trace.now();
      trace.add(TraceKind.REAP, start, now, n);
      trace.add(TraceKind.IN_FLIGHT, now, now, index, iodepth - free);
    }
    return n;
  }

  /**
   * Records the path of the request at word `o` of `reaped` (--trace): its own times, and the
   * stamps the IO thread and the device wrote, made whole again on the run's line (a stamp word
   * is that line mod 2^32, and the stamps lie within 2^31 ns before the reap, at `reapedAt`).
   */
  function sample(o: number, tag: number, reapedAt: number): void {
    const whole = (word: number): number => (task.breakdown ? reapedAt + stampDelta(word, reapedAt | 0) : NaN);
    trace!.add(
      TraceKind.REQUEST,
      startedNs[tag]! + stampOffset,
      reapedAt,
      reaped[o + HWQ]!,
      whole(reaped[o + T_POP]!),
      whole(reaped[o + T_DEV]!),
      whole(reaped[o + T_DONE]!),
      task.completionPath === 'direct' ? NaN : whole(reaped[o + T_POST]!),
    );
  }

  arrive(control, 'vcpu', index, task);
  const failpoint = armFailpoint(task.failpoint, control, guard, parkMs);
  const measured = new WindowWatch(interrupt);
  const reapedSoFar = (): number => completed;
  let phase: number;
  while ((phase = control.phase()) < STOP) {
    measured.observe(phase, reapedSoFar);
    if (recorder !== null) trace = recorder.active(phase);
    if (failpoint !== null) failpoint.check();
    if (!measuring && phase === MEASURE) measuring = true;
    if (completeMin === 0) reap(NOT_WAITED);
    submitFree();
    // Every request is in flight: wait for at least max(1, min) completions (bounded, so
    // that a stop is noticed), then reap; the end of the wait is when the vCPU saw them.
    const want = Math.max(1, Math.min(completeMin, iodepth - free));
    let seen = NOT_WAITED;
    if (usedRing.size() < want) {
      // The end of a wait that parked is when the interrupt reached the vCPU: read the clock then
      // only (a park costs microseconds; a wait that polling ended costs little, and counts as
      // seen when reaped, which follows at once).
      const parks = threadWaits.parks;
      wanted = want;
      waitUntil(completionsThere, interrupt, pollWindow, parkMs);
      wanted = 1;
      if (stageTotals !== null && threadWaits.parks !== parks) seen = nowNs();
    }
    reap(seen);
  }
  measuring = false;
  measured.observe(phase, reapedSoFar);
  trace = null;

  // Drain: reap everything still in flight (bounded waits; ABORT ends it).
  while (free < iodepth && control.phase() !== ABORT) {
    if (failpoint !== null) failpoint.check(); // stall-in-drain fires here
    if (reap(NOT_WAITED) === 0) waitUntil(completionsThere, interrupt, pollWindow, parkMs);
  }
  control.vcpuDone();

  const lost: string[] = [];
  for (let tag = 0; tag < iodepth; tag++) if (inFlight[tag] === 1) lost.push(`${index}/${seqOf[tag]! >>> 0}`);
  return {
    index,
    submitted,
    completed,
    pushes,
    reapLocks,
    stages: stageTotals === null ? null : stageRecord(stagedRequests, stageTotals, stageBins),
    slat,
    clat,
    lat,
    latencyTotals: totals,
    unexpected,
    unexpectedCount,
    lost,
    verified,
    corrupt,
    window: measured.figures(),
    trace: recorder === null ? null : recorder.result(),
  };
}

/** The stage record a vCPU returns, from its per-stage arrays (in STAGES order). */
function stageRecord(requests: number, totalNs: Float64Array, bins: readonly Uint32Array[]): StageRecord {
  const byStage = <T>(value: (k: number) => T): Record<StageName, T> =>
    Object.fromEntries(STAGES.map((stage, k) => [stage, value(k)])) as Record<StageName, T>;
  // Each stage's bins as a histogram, with the count and sum they stand for.
  const histogram = (k: number): LatencyHistogramData => {
    const h = new LatencyHistogram();
    h.bins.set(bins[k]!);
    h.count = requests;
    h.sum = totalNs[k]!;
    return h;
  };
  return { requests, totalNs: byStage((k) => totalNs[k]!), histograms: byStage(histogram) };
}
