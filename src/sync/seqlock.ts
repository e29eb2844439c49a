/**
 * The reader's side of a sequence lock ("seqlock"): how a thread reads a block of words that one
 * other thread writes, without a lock and without ever seeing a half-written block.
 *
 * The writer makes the sequence word odd (Atomics.add) before it writes the block and even again
 * after. A reader reads the sequence, the block, and the sequence again; the block is whole when
 * both readings are the same even value (every Atomics operation is sequentially consistent, so
 * no write of the block fell between them). Used by the locks' statistics (lock-stats.ts) and by
 * the emulator's per-worker progress blocks (src/protocol/run-control.ts).
 *
 * A writer that is preempted halfway leaves the sequence odd for as long as it is off its CPU
 * (milliseconds, where threads outnumber cores): the reader retries at once a few times, then in
 * short sleeps (Atomics.wait on the sequence word with a timeout: the writer does not notify),
 * and never hands back a torn reading. A writer whose thread died halfway would leave it odd for
 * good: after STUCK_MS the reader throws instead of waiting for ever.
 */

/** Retries at once before the reader starts to sleep between retries. */
const EAGER_TRIES = 64;
/** One sleep between retries, ms. */
const RETRY_SLEEP_MS = 0.05;
/** How long a block may stay half-written before the reader gives up, ms. */
const STUCK_MS = 5_000;

/**
 * Reads a block guarded by the sequence word `seqIndex` of `i32` with `read`, and returns the
 * first reading made while no write was in progress or happened.
 * @param what names the block in the error
 * @throws Error when the block stays half-written for STUCK_MS (its writer died mid-write)
 */
export function readConsistent<T>(i32: Int32Array, seqIndex: number, read: () => T, what: string): T {
  let deadline = 0;
  for (let tries = 1; ; tries++) {
    const before = Atomics.load(i32, seqIndex);
    if ((before & 1) === 0) {
      const reading = read();
      if (Atomics.load(i32, seqIndex) === before) return reading;
    }
    if (tries < EAGER_TRIES) continue;
    if (deadline === 0) deadline = performance.now() + STUCK_MS;
    else if (performance.now() > deadline) {
      const why = 'its writer stopped in the middle of an update';
      throw new Error(`${what} stayed half-written for ${STUCK_MS / 1000} s: ${why}`);
    }
    // Returns when the sequence moves or the sleep ends (nobody notifies: the writer does not know).
    Atomics.wait(i32, seqIndex, Atomics.load(i32, seqIndex), RETRY_SLEEP_MS);
  }
}
