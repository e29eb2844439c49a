/**
 * The clock of a run's stage stamps: one time line for every thread of the run, so that a
 * stamp an IO thread writes into a descriptor can be subtracted from one its vCPU took.
 *
 * Each thread reads its own monotonic clock (src/sync/clock.ts: performance.now() in whole
 * nanoseconds), whose origin may be the thread's own start. process.hrtime is the same
 * monotonic clock (libuv's uv_hrtime) with one origin for the whole process, so each thread
 * measures once how far its clock is from hrtime, and the main thread names the run's origin on
 * hrtime's line (`originHrNs`, in the task). A thread's stamp is then
 *   nowNs() + offset, offset = (hrtime - nowNs()) - originHrNs,
 * nanoseconds since the run's origin. The offset is measured as the best of several reads of
 * hrtime between two reads of nowNs(), so it is right to within half the narrowest pair
 * (tens of nanoseconds); a stage between two threads can be that far off, a stage within one
 * thread is exact, and the stages of a request always add up to its latency exactly.
 *
 * In a descriptor a stamp is an Int32 word: the time modulo 2^32 ns (4.3 s), written `| 0`.
 * The difference of two stamps `(later - earlier) | 0` is right as long as the stage took less
 * than 2^31 ns (2.1 s), far longer than any stage of a running request.
 */
import { nowNs } from '../sync/clock.js';

/** Reads of hrtime taken to find a thread's offset; the narrowest bracket wins. */
const OFFSET_TRIES = 32;

/** The main thread's side: the run's origin on hrtime's line, to put in every worker's task. */
export function stageClockOrigin(): bigint {
  return process.hrtime.bigint();
}

/**
 * The calling thread's offset from its nowNs() to the run's time line that starts at
 * `originHrNs`: add it to a nowNs() reading to get a stamp.
 */
export function stageClockOffset(originHrNs: bigint): number {
  let narrowest = Infinity;
  let offset = 0;
  for (let i = 0; i < OFFSET_TRIES; i++) {
    const before = nowNs();
    const hr = process.hrtime.bigint();
    const after = nowNs();
    if (after - before < narrowest) {
      narrowest = after - before;
      offset = Number(hr - originHrNs) - Math.round((before + after) / 2);
    }
  }
  return offset;
}

/** The ns between two stamp words, `later - earlier`, for stages shorter than 2^31 ns. */
export function stampDelta(later: number, earlier: number): number {
  return (later - earlier) | 0;
}

/** The calling thread's stamp clock for a run: each call returns the time now as a stamp word. */
export function stampClock(originHrNs: bigint): () => number {
  const offset = stageClockOffset(originHrNs);
  return () => (nowNs() + offset) | 0;
}
