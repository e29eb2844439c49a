/**
 * One of the two threads of the wake-up calibration (src/main-thread/calibrate.ts): `ping` and
 * `pong` hand a turn back and forth through one shared word, for each step of the plan in turn.
 *
 * Control words (Int32):
 *   [0] TURN    whose turn it is: 0 ping, 1 pong; the handoff itself
 *   [1] READY   threads that have taken their CPUs, counted over every step so far
 * A `wait` step hands the turn with Atomics.store + notify and waits for it with Atomics.wait
 * (the wake-up the emulator's doorbells pay); a `spin` step only stores and loads (the cost of a
 * handoff between two running threads). Every wait is bounded by the step's deadline, and a
 * spin looks at the clock every SPIN_CLOCK loads: a step that runs out of time reports NaN
 * instead of hanging.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CalibrationData, CalibrationStep } from '../src/protocol/calibration.js';
import { placeThread } from './support/arrive.js';

const TURN = 0;
const READY = 1;
const SPIN_CLOCK = 1024;
/** Longest single Atomics.wait, ms, so that a deadline is noticed. */
const SLICE_MS = 20;

const { role, control, steps } = workerData as CalibrationData;
const me = role === 'ping' ? 0 : 1;

/** Waits until TURN is `me`; false when `deadline` (performance.now()) passed first. */
function awaitTurn(mode: CalibrationStep['mode'], deadline: number): boolean {
  if (mode === 'wait') {
    for (let other = 1 - me; Atomics.load(control, TURN) === other; ) {
      if (performance.now() > deadline) return false;
      Atomics.wait(control, TURN, other, SLICE_MS);
    }
    return true;
  }
  for (let i = 1; Atomics.load(control, TURN) !== me; i++) {
    if (i % SPIN_CLOCK === 0 && performance.now() > deadline) return false;
  }
  return true;
}

function handOver(mode: CalibrationStep['mode']): void {
  Atomics.store(control, TURN, 1 - me);
  if (mode === 'wait') Atomics.notify(control, TURN);
}

/** Both threads at step `s`, on their CPUs, before either starts. */
function meet(s: number, deadline: number): boolean {
  Atomics.add(control, READY, 1);
  Atomics.notify(control, READY);
  for (let n; (n = Atomics.load(control, READY)) < 2 * (s + 1); ) {
    if (performance.now() > deadline) return false;
    Atomics.wait(control, READY, n, SLICE_MS);
  }
  return true;
}

/** Round-trip times of each step, us (NaN for a step that ran out of time); ping only. */
const results: number[] = [];
for (let s = 0; s < steps.length; s++) {
  const step = steps[s]!;
  const deadline = performance.now() + step.timeoutMs;
  placeThread(role === 'ping' ? step.pingCpus : step.pongCpus);
  let ok = meet(s, deadline);
  let start = 0;
  for (let round = 0; ok && round < step.warmup + step.rounds; round++) {
    if (round === step.warmup) start = performance.now();
    if (role === 'ping') {
      handOver(step.mode);
      ok = awaitTurn(step.mode, deadline);
    } else {
      ok = awaitTurn(step.mode, deadline);
      if (ok) handOver(step.mode);
    }
  }
  results.push(ok ? ((performance.now() - start) * 1000) / step.rounds : Number.NaN);
}
parentPort?.postMessage(role === 'ping' ? results : null);
