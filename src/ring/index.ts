/**
 * `vblk-mq/ring`: the shared-memory ring.
 * @packageDocumentation
 */
export { Ring, type RingHandle, type RingOptions, type RingShape } from './ring.js';
