/**
 * Placing a primitive in a SharedArrayBuffer: the region checks shared by
 * every lock and ring.
 *
 * Each primitive is a view over `bytes` bytes of a SharedArrayBuffer starting
 * at `byteOffset`. A caller may place many primitives in one buffer of their
 * own (each class says how much room it needs), or let the constructor
 * allocate a buffer of exactly that size.
 */

/** Cache-line size assumed for padding: x86-64 and most arm64 cores use 64 bytes. */
export const CACHE_LINE = 64;

/** Where a primitive lives. */
export interface Region {
  /** The shared memory the primitive lives in. */
  buffer: SharedArrayBuffer;
  /** Where in `buffer` it starts, in bytes: a multiple of 8 (64 avoids false sharing). */
  byteOffset: number;
}

/**
 * The argument a primitive's constructor gets from `X.from(handle)`: "open a
 * view of the primitive already initialised in this region" rather than
 * "create one". Every lock and ring attaches the same way, through
 * {@link openExisting} and {@link existingRegion}; the symbol key keeps it
 * apart from any options object a user could pass.
 */
export const EXISTING: unique symbol = Symbol('vblk-mq: open an existing primitive');

/** A request to open a view of the primitive in `[EXISTING]`; see {@link EXISTING}. */
export interface ExistingRegion {
  readonly [EXISTING]: Region;
}

/** The constructor argument of a view of the primitive at `region`. */
export function openExisting(region: Region): ExistingRegion {
  return { [EXISTING]: region };
}

/** The region to open when `arg` came from {@link openExisting}; undefined for creation options. */
export function existingRegion(arg: unknown): Region | undefined {
  return typeof arg === 'object' && arg !== null && EXISTING in arg ? (arg as ExistingRegion)[EXISTING] : undefined;
}

/** Rounds `n` up to a multiple of `align` (a power of two). */
export function alignUp(n: number, align: number): number {
  return (n + align - 1) & ~(align - 1);
}

/**
 * Checks that `region` can hold `bytes` bytes aligned to `align`, or allocates
 * a fresh buffer when `region` is undefined.
 * @throws TypeError when the buffer is not a SharedArrayBuffer.
 * @throws RangeError when the offset is misaligned or the region too small.
 */
export function claimRegion(what: string, region: Partial<Region> | undefined, bytes: number, align: number): Region {
  if (region === undefined || region.buffer === undefined) {
    return { buffer: new SharedArrayBuffer(alignUp(bytes, CACHE_LINE)), byteOffset: 0 };
  }
  const { buffer } = region;
  const byteOffset = region.byteOffset ?? 0;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(`${what}: buffer must be a SharedArrayBuffer, got ${describe(buffer)}`);
  }
  if (!Number.isInteger(byteOffset) || byteOffset < 0) {
    throw new RangeError(`${what}: byteOffset must be a non-negative integer, got ${String(byteOffset)}`);
  }
  if (byteOffset % align !== 0) {
    throw new RangeError(`${what}: byteOffset ${byteOffset} is not a multiple of ${align}`);
  }
  if (byteOffset + bytes > buffer.byteLength) {
    throw new RangeError(
      `${what}: region too small: needs ${bytes} bytes at byteOffset ${byteOffset}, buffer has ${buffer.byteLength}`,
    );
  }
  return { buffer, byteOffset };
}

/** Checks that `handle` is an object of the expected `kind` and returns it typed. */
export function checkHandle<H extends { kind: string }>(what: string, handle: unknown, kind: H['kind']): H {
  if (typeof handle !== 'object' || handle === null || !('kind' in handle)) {
    throw new TypeError(`${what}.from: expected a handle object with kind "${kind}", got ${describe(handle)}`);
  }
  const got = (handle as { kind: unknown }).kind;
  if (got !== kind) {
    throw new TypeError(`${what}.from: handle is of kind "${String(got)}", expected "${kind}"`);
  }
  return handle as H;
}

/** Checks a timeout argument: a number >= 0 (Infinity allowed) or undefined. */
export function checkTimeout(what: string, timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
    throw new TypeError(`${what}: timeoutMs must be a number, got ${describe(timeoutMs)}`);
  }
  if (timeoutMs < 0) throw new RangeError(`${what}: timeoutMs must be >= 0, got ${timeoutMs}`);
  return timeoutMs;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** What {@link claimView} returns: the primitive's handle and its words. */
export interface ClaimedView<K extends string> {
  handle: { kind: K; buffer: SharedArrayBuffer; byteOffset: number };
  i32: Int32Array;
  /** True when this view created (and initialised) the primitive; false when it opened one. */
  created: boolean;
}

/**
 * The constructor of a primitive that is a view over `bytes` of shared memory (Condition,
 * Semaphore, Latch, Barrier): claims its region, then either initialises it (zeroes its words,
 * `init(i32)` writes its starting values, and MAGIC goes last, so that an opener never sees a
 * half-initialised primitive) or, when `options` came from openExisting (the class's `from`),
 * checks that MAGIC says the region holds one.
 * @throws TypeError when an opened region holds no initialised primitive of this kind.
 */
export function claimView<K extends string>(
  what: string,
  kind: K,
  options: Partial<Region> | ExistingRegion | undefined,
  layout: { bytes: number; align: number; magicIndex: number; magic: number },
  init: (i32: Int32Array) => void,
): ClaimedView<K> {
  const existing = existingRegion(options);
  const creating = options as Partial<Region> | undefined;
  const { buffer, byteOffset } = claimRegion(what, existing ?? creating, layout.bytes, layout.align);
  const i32 = new Int32Array(buffer, byteOffset, layout.bytes / 4);
  if (existing === undefined) {
    i32.fill(0);
    init(i32);
    Atomics.store(i32, layout.magicIndex, layout.magic);
  } else if (Atomics.load(i32, layout.magicIndex) !== layout.magic) {
    throw new TypeError(`${what}.from: the region at byteOffset ${byteOffset} does not hold an initialised ${what}`);
  }
  return { handle: { kind, buffer, byteOffset }, i32, created: existing === undefined };
}
