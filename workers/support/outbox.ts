/**
 * An outbox: descriptors gathered per destination ring during a pass, each destination's batch
 * pushed in one pushBatch at the end and its consumer's doorbell rung once after it, so that a
 * consumer with several descriptors waiting is woken (interrupted, notified) once, not once per
 * descriptor: the producer half of the notification rule (docs/model.md).
 *
 * The device uses one for its completions (to each vCPU's used ring with --completion-path
 * direct, ringing the vCPU's bell; or to each hardware queue's completion queue, ringing its IO
 * thread's bell, by default), and an IO thread uses one to post completions to its vCPUs' used
 * rings (virtqueue_push for each, then one notification per vCPU, as QEMU's
 * virtio_blk_req_complete batches its irqfd writes with virtio_notify_irqfd once the queue's
 * requests are pushed).
 *
 * Memory: one Int32Array per destination, room for `room` descriptors of DESC_WORDS each. A
 * destination never holds more than `room` at once, because the rings are sized for every
 * request in flight (topology.ts), which is also what makes a push never find its ring full.
 */
import type { Ring } from '../../src/ring/ring.js';
import type { Doorbell } from '../../src/sync/doorbell.js';
import { DESC_WORDS, T_POST } from '../../src/protocol/descriptor.js';

/** Where an outbox delivers: each destination's ring, and the bell of the thread that consumes it. */
export interface Destinations {
  rings: readonly Ring[];
  bells: readonly Doorbell[];
  /** The source the outbox's owner rings under (run-control.ts BELL_SOURCE). */
  source: number;
  /** Names destination `d` in the error when its ring is full (a sizing bug). */
  name: (d: number) => string;
}

export class Outbox {
  /** Each destination's batch: add() copies a descriptor in and returns its word offset here. */
  readonly batches: readonly Int32Array[];
  private readonly counts: Int32Array;
  /** Descriptors pushed so far, over every destination. */
  pushed = 0;

  /** @param room most descriptors a destination can hold between two flushes */
  constructor(
    private readonly to: Destinations,
    room: number,
  ) {
    this.batches = to.rings.map(() => new Int32Array(room * DESC_WORDS));
    this.counts = new Int32Array(to.rings.length);
  }

  /** Copies the descriptor at word `o` of `src` in for destination `d`; returns its word offset in batches[d]. */
  add(d: number, src: Int32Array, o: number): number {
    const at = this.counts[d]! * DESC_WORDS;
    this.batches[d]!.set(src.subarray(o, o + DESC_WORDS), at);
    this.counts[d]!++;
    return at;
  }

  /**
   * Pushes every destination's batch, each in one pushBatch, stamping T_POST with `postStamp`
   * first unless it is null, and rings the destination's bell after each push.
   * @returns how many descriptors it pushed
   * @throws Error when a ring is full: rings are sized for every request in flight, so a full
   *   one means requests were duplicated
   */
  flush(postStamp: number | null): number {
    const { rings, bells, source } = this.to;
    let total = 0;
    for (let d = 0; d < rings.length; d++) {
      const n = this.counts[d]!;
      if (n === 0) continue;
      const batch = this.batches[d]!;
      if (postStamp !== null) for (let k = 0; k < n; k++) batch[k * DESC_WORDS + T_POST] = postStamp;
      if (rings[d]!.pushBatch(batch, n) !== n) throw ringFullError(this.to.name(d));
      this.counts[d] = 0;
      total += n;
      bells[d]!.ring(source);
    }
    this.pushed += total;
    return total;
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
