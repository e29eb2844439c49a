/**
 * vblk-mq: shared-memory locks and rings, and the virtio-blk data-plane emulator built on them.
 * @packageDocumentation
 */
export * from './sync/index.js';
export * from './ring/index.js';
