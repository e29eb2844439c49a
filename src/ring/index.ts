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
export {
  Channel,
  ChannelClosedError,
  type ChannelHandle,
  type ChannelOptions,
  type ChannelShape,
  type RecvResult,
  type TryRecvResult,
} from './channel.js';
