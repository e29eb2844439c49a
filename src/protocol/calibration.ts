/**
 * What the main thread and the two calibration workers agree on (src/main-thread/calibrate.ts,
 * workers/calibrate.ts): the steps of the measurement, and the control words they share.
 */

/** One measurement: how the turn is handed, where each thread runs, how many round trips. */
export interface CalibrationStep {
  mode: 'wait' | 'spin';
  /** The CPUs of each thread for this step (sorted); null leaves them where they are. */
  pingCpus: number[] | null;
  pongCpus: number[] | null;
  rounds: number;
  /** Round trips before the clock starts, so that both threads are running. */
  warmup: number;
  timeoutMs: number;
}

/** The workerData of a calibration worker. */
export interface CalibrationData {
  role: 'ping' | 'pong';
  /** CALIBRATION_WORDS Int32 words over a SharedArrayBuffer: TURN, READY (see the worker). */
  control: Int32Array;
  steps: CalibrationStep[];
}

export const CALIBRATION_WORDS = 4;
