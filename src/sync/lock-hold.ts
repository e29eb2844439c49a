/**
 * LockHold: a held lock as a disposable value, for scoped locking with `using`.
 *
 *   {
 *     using held = lock.hold();          // or: using held = await lock.holdAsync();
 *     ...                                // the lock is released when the block ends, even on a throw
 *   }
 *
 * `using` needs Symbol.dispose at run time. It is feature-tested: where this Node has no
 * Symbol.dispose (some Node 20 releases), a LockHold has no dispose method and only
 * release() works; lock.withLock(fn) works everywhere. The reference below (kept in the .d.ts) gives TypeScript
 * users the type of Symbol.dispose (TypeScript 5.2 or later) whatever their `lib` setting.
 */
/// <reference lib="esnext.disposable" preserve="true" />

/** What a LockHold releases. */
interface Releasable {
  unlock(): void;
}

/** Symbol.dispose where this Node has it, else undefined. */
const DISPOSE: symbol | undefined = (Symbol as { dispose?: symbol }).dispose;

/** A held lock that releases once, by release() or by `using` (Symbol.dispose). */
export class LockHold {
  private held = true;

  /** @param lock a lock the calling thread has just acquired */
  constructor(private readonly lock: Releasable) {}

  /** Releases the lock; later calls do nothing, so that a block may release early. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.lock.unlock();
  }

  /** Whether release() has not been called yet. */
  get isHeld(): boolean {
    return this.held;
  }
}

// The type of the dispose method, for `using` in TypeScript; present at run time only where
// the feature test below finds Symbol.dispose.
export interface LockHold {
  /** Same as release(): what `using` calls when the block ends. */
  [Symbol.dispose](): void;
}

if (DISPOSE !== undefined) {
  Object.defineProperty(LockHold.prototype, DISPOSE, {
    value: LockHold.prototype.release,
    writable: true,
    configurable: true,
  });
}
