/**
 * `vblk-mq/ring`: the shared-memory ring.
 * @packageDocumentation
 */
export {
  anyHasData,
  Ring,
  RING_PRODUCERS,
  type RingHandle,
  type RingOptions,
  type RingProducers,
  type RingShape,
  type RingViewOptions,
} from './ring.js';
