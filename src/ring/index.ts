/**
 * `vblk-mq/ring`: the shared-memory rings, by who may push (Ring, GuardedRing,
 * MultiProducerRing, or createRing to pick one), and the closable Channel.
 * @packageDocumentation
 */
export { Ring, type RingOptions } from './ring.js';
export { GuardedRing, type GuardedRingOptions, type GuardedRingShape } from './guarded-ring.js';
export { MultiProducerRing, type MultiProducerRingOptions } from './multi-producer-ring.js';
export {
  createRing,
  openRing,
  ringBytes,
  type AnyRing,
  type CreateRingOptions,
  type RingProducers,
  type RingShape,
} from './create-ring.js';
export { RING_KINDS, type RingHandle, type RingKind, type RingSize } from './ring-core.js';
export {
  Channel,
  ChannelClosedError,
  type ChannelHandle,
  type ChannelOptions,
  type ChannelShape,
  type RecvResult,
  type TryRecvResult,
} from './channel.js';
