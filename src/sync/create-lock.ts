/**
 * Choosing a lock kind by name, and re-opening any lock from its handle.
 */
import type { Region } from './region.js';
import { AdaptiveLock } from './adaptive-lock.js';
import type { EventualFairness } from './futex-lock.js';
import { McsLock } from './mcs-lock.js';
import { MutexLock } from './mutex-lock.js';
import { PvLock } from './pv-lock.js';
import { SpinLock } from './spin-lock.js';
import { TicketLock } from './ticket-lock.js';
import { LOCK_KINDS, type Lock, type LockHandle, type LockKindName } from './lock-base.js';

/** What each lock class offers besides the {@link Lock} interface. */
interface LockClass {
  readonly BYTES: number;
  new (options?: LockOptions): Lock;
  from(handle: LockHandle): Lock;
}

/** The lock classes by kind name. */
export const LOCK_CLASSES = {
  spin: SpinLock,
  ticket: TicketLock,
  mcs: McsLock,
  pv: PvLock,
  mutex: MutexLock,
  adaptive: AdaptiveLock,
} as const satisfies Record<LockKindName, LockClass>;

/** Bytes a lock of `kind` needs in a SharedArrayBuffer. */
export function lockBytes(kind: LockKindName): number {
  return LOCK_CLASSES[kind].BYTES;
}

/** Creates a lock of `kind` in `region` (or a buffer of its own). */
export function createLock(kind: LockKindName, options?: LockOptions): Lock {
  const Class = LOCK_CLASSES[kind];
  if (Class === undefined) {
    throw new TypeError(`createLock: kind must be one of ${LOCK_KINDS.join(', ')}, got ${String(kind)}`);
  }
  return new Class(options);
}

/**
 * Where a lock made by name lives, and its spin options: `spin` a fixed spin budget and `spinMax`
 * the ceiling of an adaptive one (TicketLock, McsLock, AdaptiveLock), `spinThreshold` PvLock's
 * SPIN_THRESHOLD; `eventualFairness` MutexLock's and AdaptiveLock's (futex-lock.ts, off by
 * default). A kind ignores what it has no use for.
 */
export interface LockOptions extends Partial<Region> {
  spin?: number;
  spinMax?: number;
  spinThreshold?: number;
  eventualFairness?: EventualFairness;
}

/** The handle kind of each lock kind: `spin` -> `spin-lock`. */
export function lockHandleKind(kind: LockKindName): LockHandle['kind'] {
  return `${kind}-lock`;
}

/** A view of the lock described by `handle`, whatever its kind. */
export function openLock(handle: LockHandle): Lock {
  const kind = LOCK_KINDS.find((k) => lockHandleKind(k) === handle?.kind);
  if (kind === undefined) {
    throw new TypeError(`openLock: not a lock handle (kind ${String((handle as { kind?: unknown })?.kind)})`);
  }
  return LOCK_CLASSES[kind].from(handle);
}
