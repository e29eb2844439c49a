/**
 * `vblk-mq/sync`: locks and waiting primitives over SharedArrayBuffer, on Atomics alone.
 * @packageDocumentation
 */
export { SpinLock } from './spin-lock.js';
export { TicketLock, type TicketLockOptions } from './ticket-lock.js';
export { McsLock, type McsLockOptions } from './mcs-lock.js';
export { PvLock, SPIN_THRESHOLD, type PvLockOptions } from './pv-lock.js';
export { MutexLock, type MutexLockOptions } from './mutex-lock.js';
export { AdaptiveLock, type AdaptiveLockOptions } from './adaptive-lock.js';
export { createLock, openLock, lockBytes, LOCK_CLASSES, type LockOptions } from './create-lock.js';
export {
  LOCK_KINDS,
  LockOwnershipError,
  LockPoisonedError,
  type Lock,
  type LockHandle,
  type LockKindName,
  type RecoverOptions,
  type RecoverReport,
} from './lock-base.js';
export { recoverOnExit, type EndingThread, type RecoverOnExitOptions } from './robust.js';
export { MAX_QUEUED_WAITERS } from './waiter-table.js';
export { statsSince, type LockStats } from './lock-stats.js';
export { Doorbell, DOORBELL_SOURCES, type DoorbellHandle, type ParkResult } from './doorbell.js';
export { PollWindow, DEFAULT_POLL_MAX_NS } from './poll-window.js';
export { waitUntil, waitUntilAsync } from './wait-until.js';
export { LockHold } from './lock-hold.js';
export { Condition, type ConditionHandle } from './condition.js';
export { Semaphore, type SemaphoreHandle, type SemaphoreOptions } from './semaphore.js';
export { Latch, type LatchHandle } from './latch.js';
export { Barrier, type BarrierHandle, type BarrierPass } from './barrier.js';
export type { AbortableWaitOptions, AbortSignalLike } from './async-abort.js';
export { ASYNC_POLL_NS, hasWaitAsync, type AsyncWaitOptions } from './park.js';
export { CURRENT_THREAD_ID } from './thread-id.js';
export type { Region } from './region.js';
