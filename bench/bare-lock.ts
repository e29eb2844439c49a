/**
 * BareLock: the baseline of `npm run bench:micro`'s uncontended figures. A lock word and
 * nothing else: compare-and-swap 0 -> 1 to acquire, store 0 to release.
 *
 * No statistics, no holder word, no ownership check, no parking: what the library's locks add
 * on their uncontended path (one holder store, one statistics increment, one ownership check)
 * shows as the gap between `lock.uncontended.bare` and the others. It is not meant for
 * contended use: a waiter spins without bound and never yields its core.
 */
export class BareLock {
  /** Bytes a BareLock needs in a SharedArrayBuffer. */
  static readonly BYTES = 4;
  private readonly i32: Int32Array;

  /** A lock in `buffer` at `byteOffset` (a multiple of 4), or in a buffer of its own. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(BareLock.BYTES), byteOffset = 0) {
    this.i32 = new Int32Array(buffer, byteOffset, 1);
  }

  /** Acquires the lock, spinning (test-and-test-and-set) while another thread holds it. */
  lock(): void {
    while (Atomics.compareExchange(this.i32, 0, 0, 1) !== 0) {
      while (Atomics.load(this.i32, 0) !== 0) {
        // spin: read-only, so that the holder's line is not stolen on every iteration
      }
    }
  }

  /** Releases the lock. Unchecked: the caller must hold it. */
  unlock(): void {
    Atomics.store(this.i32, 0, 0);
  }
}
