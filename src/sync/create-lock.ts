/**
 * Choosing a lock kind by name, and re-opening any lock from its handle.
 */
import type { Region } from './region.js';
import { AdaptiveLock } from './adaptive-lock.js';
import { SpinLock } from './spin-lock.js';
import { TicketLock } from './ticket-lock.js';
import type { Lock, LockHandle, LockKindName } from './lock-base.js';

/** The lock classes by kind name. */
export const LOCK_CLASSES = { spin: SpinLock, ticket: TicketLock, adaptive: AdaptiveLock } as const;

/** Bytes a lock of `kind` needs in a SharedArrayBuffer. */
export function lockBytes(kind: LockKindName): number {
  return LOCK_CLASSES[kind].BYTES;
}

/** Creates a lock of `kind` in `region` (or a buffer of its own). */
export function createLock(kind: LockKindName, region?: Partial<Region>): Lock {
  const Class = LOCK_CLASSES[kind];
  if (Class === undefined) {
    throw new TypeError(`createLock: kind must be one of ${Object.keys(LOCK_CLASSES).join(', ')}, got ${String(kind)}`);
  }
  return new Class(region);
}

/** A view of the lock described by `handle`, whatever its kind. */
export function lockFromHandle(handle: LockHandle): Lock {
  switch (handle?.kind) {
    case 'spin-lock':
      return SpinLock.from(handle);
    case 'ticket-lock':
      return TicketLock.from(handle);
    case 'adaptive-lock':
      return AdaptiveLock.from(handle);
    default:
      throw new TypeError(`lockFromHandle: not a lock handle (kind ${String((handle as { kind?: unknown })?.kind)})`);
  }
}
