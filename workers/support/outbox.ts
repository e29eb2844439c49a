/**
 * An outbox: descriptors gathered per destination ring during a pass, each destination's batch
 * pushed in one pushBatch at the end, so that a consumer with several descriptors waiting is
 * woken (interrupted, kicked) once, not once per descriptor.
 *
 * The device uses one for its completions (to each vCPU's used ring with --completion-path
 * direct, or to each hardware queue's completion queue, back to the IO thread, by default), and
 * an IO thread uses one to post completions to its vCPUs' used rings (virtqueue_push for each,
 * then one notification per vCPU, as QEMU's virtio_blk_req_complete batches its irqfd writes
 * with virtio_notify_irqfd once the queue's requests are pushed).
 *
 * Memory: one Int32Array per destination, room for `room` descriptors of DESC_WORDS each. A
 * destination never holds more than `room` at once, because the rings are sized for every
 * request in flight (topology.ts), which is also what makes a push never find its ring full.
 */
import type { Ring } from '../../src/ring/ring.js';
import { DESC_WORDS, T_POST } from '../../src/protocol/descriptor.js';

export class Outbox {
  private readonly batches: Int32Array[];
  private readonly counts: Int32Array;
  /** Descriptors pushed so far, over every destination. */
  pushed = 0;

  /**
   * @param rings the destination rings
   * @param room most descriptors a destination can hold between two flushes
   * @param name names destination `d` in the error when its ring is full (a sizing bug)
   */
  constructor(
    private readonly rings: readonly Ring[],
    room: number,
    private readonly name: (d: number) => string,
  ) {
    this.batches = rings.map(() => new Int32Array(room * DESC_WORDS));
    this.counts = new Int32Array(rings.length);
  }

  /** Copies the descriptor at word `o` of `src` in for destination `d`; returns where it landed. */
  add(d: number, src: Int32Array, o: number): { batch: Int32Array; at: number } {
    const batch = this.batches[d]!;
    const at = this.counts[d]! * DESC_WORDS;
    batch.set(src.subarray(o, o + DESC_WORDS), at);
    this.counts[d]!++;
    return { batch, at };
  }

  /**
   * Pushes every destination's batch, each in one pushBatch, stamping T_POST with `postStamp`
   * first unless it is null; calls `pushed(d)` after each destination that got descriptors.
   * @returns how many descriptors it pushed
   * @throws Error when a ring is full: rings are sized for every request in flight, so a full
   *   one means requests were duplicated
   */
  flush(postStamp: number | null, pushed?: (d: number) => void): number {
    let total = 0;
    for (let d = 0; d < this.rings.length; d++) {
      const n = this.counts[d]!;
      if (n === 0) continue;
      const batch = this.batches[d]!;
      if (postStamp !== null) for (let k = 0; k < n; k++) batch[k * DESC_WORDS + T_POST] = postStamp;
      if (this.rings[d]!.pushBatch(batch, n) !== n) throw ringFullError(this.name(d));
      this.counts[d] = 0;
      total += n;
      pushed?.(d);
    }
    this.pushed += total;
    return total;
  }

  /** Pushes through these rings that woke a parked consumer (see Ring.consumerWakeups). */
  wakeups(): number {
    return this.rings.reduce((sum, ring) => sum + ring.consumerWakeups, 0);
  }
}

/**
 * The error of a push that found its ring full. Every ring of a run is sized for every request
 * that can be in flight through it (topology.ts), so a full one means requests were duplicated.
 */
export function ringFullError(name: string): Error {
  return new Error(`${name} is full: it is sized for every request in flight, so requests were duplicated`);
}

/**
 * A map from a run index (a vCPU, a hardware queue) to its position in `indexes`, -1 for those
 * not in it: how a worker finds its own list entry for a descriptor, which names run indices.
 */
export function localIndex(indexes: readonly number[]): Int32Array {
  const local = new Int32Array(Math.max(0, ...indexes) + 1).fill(-1);
  indexes.forEach((run, i) => (local[run] = i));
  return local;
}
