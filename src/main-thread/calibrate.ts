/**
 * The wake-up calibration that precedes every sweep: what handing work from one thread to
 * another costs on this machine, measured in this process, so that every result says what its
 * figures were made against.
 *
 * Two worker threads (workers/calibrate.ts) pass a turn back and forth:
 *   - through Atomics.wait/notify, both pinned to one CPU: a wake-up that is a context switch;
 *   - the same with the two on two CPUs: a wake-up that also crosses cores (an IPI, and in a
 *     virtual machine an exit), the emulator's common case;
 *   - the same unpinned, where the kernel places them;
 *   - by spinning on the shared word, on two CPUs: a handoff between two running threads.
 * A wake-up is half a round trip. Pinning needs Linux and taskset; without them only the
 * unpinned figure is taken. The whole takes a few hundred milliseconds.
 */
import { Worker } from 'node:worker_threads';
import { CALIBRATION_WORDS, type CalibrationData, type CalibrationStep } from '../protocol/calibration.js';
import type { WakeupCosts } from '../report/result.js';
import { tasksetAvailable } from '../protocol/cpu-list.js';
import { within } from './timers.js';

const WORKER_URL = new URL('../../workers/calibrate.js', import.meta.url);
const WAIT_ROUNDS = 400;
const SPIN_ROUNDS = 20_000;
const STEP_TIMEOUT_MS = 1_000;
/** The longest the whole calibration may take before it is given up (worker start-up included). */
const TOTAL_TIMEOUT_MS = 10_000;

/**
 * Measures the handoff costs; `cpus` are the CPUs this process may use (null where unknown).
 * Resolves to null when the calibration could not run (its workers failed or took too long).
 */
export async function calibrateWakeups(cpus: readonly number[] | null): Promise<WakeupCosts | null> {
  const pin = cpus !== null && cpus.length > 0 && tasksetAvailable();
  const two = pin && cpus.length >= 2;
  const first = pin ? [cpus[0]!] : null;
  const second = two ? [cpus[1]!] : null;
  const step = (mode: CalibrationStep['mode'], ping: number[] | null, pong: number[] | null): CalibrationStep => ({
    mode,
    pingCpus: ping,
    pongCpus: pong,
    rounds: mode === 'wait' ? WAIT_ROUNDS : SPIN_ROUNDS,
    warmup: mode === 'wait' ? 20 : 1000,
    timeoutMs: STEP_TIMEOUT_MS,
  });
  const everywhere = cpus === null ? null : [...cpus];
  // Unpinned last: it also hands both threads every CPU back.
  const steps: { name: keyof WakeupCosts; step: CalibrationStep }[] = [
    ...(pin ? [{ name: 'sameCoreUs' as const, step: step('wait', first, first) }] : []),
    ...(two ? [{ name: 'crossCoreUs' as const, step: step('wait', first, second) }] : []),
    ...(two ? [{ name: 'spinHandoffUs' as const, step: step('spin', first, second) }] : []),
    { name: 'unpinnedUs' as const, step: step('wait', everywhere, everywhere) },
  ];
  const control = new Int32Array(new SharedArrayBuffer(CALIBRATION_WORDS * 4));
  const start = (role: CalibrationData['role']): { worker: Worker; done: Promise<unknown> } => {
    const data: CalibrationData = { role, control, steps: steps.map((s) => s.step) };
    const worker = new Worker(WORKER_URL, { workerData: data });
    const done = new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`calibration worker exited with code ${code}`)));
    });
    done.catch(() => undefined);
    return { worker, done };
  };
  const ping = start('ping');
  const pong = start('pong');
  try {
    const rtts = await within(
      Promise.all([ping.done, pong.done]).then(([results]) => results as number[]),
      TOTAL_TIMEOUT_MS,
    );
    if (rtts === null) return null;
    const costs: WakeupCosts = { sameCoreUs: null, crossCoreUs: null, unpinnedUs: null, spinHandoffUs: null };
    steps.forEach(({ name }, i) => {
      const half = rtts[i]! / 2;
      costs[name] = Number.isFinite(half) ? Math.round(half * 100) / 100 : null;
    });
    return costs;
  } catch {
    return null;
  } finally {
    await Promise.all([ping.worker.terminate(), pong.worker.terminate()]);
  }
}
