/**
 * `vblk-mq/ring`: the shared-memory ring.
 * @packageDocumentation
 */
export { anyHasData, Ring, type RingHandle, type RingOptions, type RingShape, type RingViewOptions } from './ring.js';
