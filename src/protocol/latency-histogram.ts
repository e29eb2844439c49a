/**
 * Latency histograms in fio's own bins: the vCPU workers record into them, the main thread merges
 * them, and the percentiles and fio json+'s `bins` are read off them exactly as fio reads its own.
 *
 * The bins are fio's "plat" buckets (fio stat.h, the comment above FIO_IO_U_PLAT_BITS): a value
 * in ns is grouped by its most significant bit, and the PLAT_BITS bits below that bit pick one of
 * the group's PLAT_VAL bins; lower bits are dropped, so a bin is at most 1/64 of its value wide
 * (values below 128 get a bin each). Group 28 holds 2^33 ns (8.6 s) and everything above it.
 *
 * Memory of one histogram: `bins`, a Float64Array of PLAT_NR = 1856 counts (14.5 KiB; doubles
 * rather than 32-bit counts because a long run can pass 2^32 requests, and doubles count exactly
 * up to 2^53), and five numbers: count, sum, sumOfSquares, min, max. Recording touches one bin
 * and the five numbers, and allocates nothing. Every field is public data, so the structured
 * clone a worker's result goes through (piscina) hands the main thread a plain object with the
 * same fields: {@link LatencyHistogramData}, which {@link LatencyHistogram.add} merges.
 */

/** fio's FIO_IO_U_PLAT_BITS: bits of a value, below its most significant one, that pick its bin. */
export const PLAT_BITS = 6;
/** fio's FIO_IO_U_PLAT_VAL: bins per group. */
export const PLAT_VAL = 1 << PLAT_BITS;
/** fio's FIO_IO_U_PLAT_GROUP_NR: groups, the last one open-ended. */
export const PLAT_GROUP_NR = 29;
/** fio's FIO_IO_U_PLAT_NR: bins in all. */
export const PLAT_NR = PLAT_GROUP_NR * PLAT_VAL;

/** Values below this have a bin of their own (bin = value): fio's groups 0 and 1. */
const EXACT_BELOW = PLAT_VAL << 1;
const LOW_MASK = PLAT_VAL - 1;
const TWO_32 = 2 ** 32;

/**
 * The bin of `ns`, an integer from 0 to 2^53: fio's `plat_val_to_idx` (stat.c). For a value whose
 * most significant bit is `msb` (> PLAT_BITS), the bin is `(msb - PLAT_BITS + 1) * PLAT_VAL` plus
 * the PLAT_BITS bits under that bit, capped at the last bin.
 */
export function platIndex(ns: number): number {
  if (ns < TWO_32) {
    // The fast path, for everything under 4.3 s: one count of leading zeros.
    const value = ns >>> 0;
    if (value < EXACT_BELOW) return value;
    const droppedBits = 31 - Math.clz32(value) - PLAT_BITS;
    return ((droppedBits + 1) << PLAT_BITS) + ((value >>> droppedBits) & LOW_MASK);
  }
  // Above 2^32 the bit operators would wrap: find the top bit in the high word, and divide (exact
  // for powers of two) instead of shifting. `& LOW_MASK` is safe: it reads the low bits only.
  const msb = 32 + 31 - Math.clz32(Math.floor(ns / TWO_32));
  const droppedBits = msb - PLAT_BITS;
  const index = ((droppedBits + 1) << PLAT_BITS) + (Math.floor(ns / 2 ** droppedBits) & LOW_MASK);
  return Math.min(index, PLAT_NR - 1);
}

/**
 * The value fio gives bin `index`, ns: fio's `plat_idx_to_val` (stat.c), the middle of the bin's
 * range (its lowest value plus half its width; an integer, as every bin from 128 on is an even
 * number of ns wide). This is the value fio reports as a percentile and the key of json+'s `bins`.
 */
export function platValue(index: number): number {
  if (index < EXACT_BELOW) return index;
  const droppedBits = (index >> PLAT_BITS) - 1;
  const groupStart = 2 ** (droppedBits + PLAT_BITS);
  return groupStart + ((index & LOW_MASK) + 0.5) * 2 ** droppedBits;
}

/** A histogram as it crosses threads: the fields of {@link LatencyHistogram}, without its methods. */
export interface LatencyHistogramData {
  /** Requests per bin, PLAT_NR of them, by {@link platIndex}. */
  bins: Float64Array;
  /** Requests recorded: the sum of `bins`. */
  count: number;
  /** The exact sum of the values, ns (integers add exactly while the sum stays below 2^53 ns, 104 days). */
  sum: number;
  /**
   * The sum of the squares of the values, ns^2: exact up to 2^53, then to a double's precision
   * (1e-16 relative), which is more than the standard deviation made from it needs.
   */
  sumOfSquares: number;
  /** The smallest and largest value, ns; Infinity and 0 while nothing was recorded. */
  min: number;
  max: number;
}

/** A latency histogram in fio's bins; see the top of this file. */
export class LatencyHistogram implements LatencyHistogramData {
  readonly bins = new Float64Array(PLAT_NR);
  count = 0;
  sum = 0;
  sumOfSquares = 0;
  min = Infinity;
  max = 0;

  /** Records one value: an integer number of ns, 0 or more. */
  record(ns: number): void {
    this.bins[platIndex(ns)]!++;
    this.count++;
    this.sum += ns;
    this.sumOfSquares += ns * ns;
    if (ns < this.min) this.min = ns;
    if (ns > this.max) this.max = ns;
  }

  /** Adds another histogram's requests to this one (a worker's, as it arrived through a clone). */
  add(other: LatencyHistogramData): this {
    for (let i = 0; i < PLAT_NR; i++) this.bins[i]! += other.bins[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.sumOfSquares += other.sumOfSquares;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** One histogram holding every request of `histograms`. */
  static merged(histograms: readonly LatencyHistogramData[]): LatencyHistogram {
    const all = new LatencyHistogram();
    for (const histogram of histograms) all.add(histogram);
    return all;
  }
}

/**
 * The smallest running count of requests that fio's `calc_clat_percentiles` (stat.c) takes as
 * reaching percentile `p` of `total` requests: the first integer `sum` for which its test
 * `sum >= (long double) p / 100.0 * total` holds, as fio's binaries evaluate it.
 *
 * Two things decide the last digit, and a double gets it wrong in about 1% of cases:
 *  - long double on x86-64 (where Debian's and most fio binaries run) is the x87's 64-bit
 *    significand, rounded to nearest-even after each operation;
 *  - fio builds with -ffast-math (its Makefile's OPTFLAGS), and gcc -O3 then evaluates the test as
 *    `(total * 0.01L) * p`: 1/100 as a long double constant (a little under 0.01), the first
 *    product hoisted out of the loop. (Read off the disassembly of Debian's fio 3.33.)
 * For p = 30 and 90 requests, that is 27 - 2^-59, so fio takes 27 requests; the source's order in
 * long double gives 27 + 2^-58 (28 requests), and doubles give exactly 27. The operations are done
 * here exactly, in BigInt, and rounded as the x87 rounds them.
 */
export function percentileThreshold(p: number, total: number): number {
  if (!(p > 0) || total <= 0) return 0;
  const scaled = roundToSignificand(BigInt(total) * ONE_HUNDREDTH.mantissa, 1n, ONE_HUNDREDTH.exponent);
  const { numerator, exponent } = exactDouble(p);
  const product = roundToSignificand(scaled.mantissa * numerator, 1n, scaled.exponent + exponent);
  return Number(ceilOf(product));
}

/** Bits of the x87 extended format's significand: long double on x86-64. */
const LONG_DOUBLE_BITS = 64;

/** `mantissa * 2^exponent`. */
interface Binary {
  mantissa: bigint;
  exponent: number;
}

/** A positive finite double as `numerator * 2^exponent`, exactly, with an integer numerator. */
function exactDouble(value: number): { numerator: bigint; exponent: number } {
  let scaled = value;
  let exponent = 0;
  // Doubling is exact; a double has at most 1074 bits below the point.
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    exponent--;
  }
  return { numerator: BigInt(scaled), exponent };
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/**
 * `numerator / denominator * 2^exponent` (positive) rounded to LONG_DOUBLE_BITS significant bits,
 * to nearest, ties to even: the x87's rounding of one operation's exact result.
 */
function roundToSignificand(numerator: bigint, denominator: bigint, exponent: number): Binary {
  // Scale by 2^shift so that the quotient has LONG_DOUBLE_BITS bits (or one more; corrected below).
  let shift = LONG_DOUBLE_BITS - (bitLength(numerator) - bitLength(denominator));
  const divide = (s: number): { q: bigint; r: bigint; d: bigint } => {
    const n = s >= 0 ? numerator << BigInt(s) : numerator;
    const d = s >= 0 ? denominator : denominator << BigInt(-s);
    return { q: n / d, r: n % d, d };
  };
  let { q, r, d } = divide(shift);
  if (bitLength(q) > LONG_DOUBLE_BITS) ({ q, r, d } = divide(--shift));
  if (bitLength(q) < LONG_DOUBLE_BITS) ({ q, r, d } = divide(++shift));
  if (2n * r > d || (2n * r === d && (q & 1n) === 1n)) q++;
  if (bitLength(q) > LONG_DOUBLE_BITS) {
    // Rounded up to the next power of two.
    q >>= 1n;
    shift--;
  }
  return { mantissa: q, exponent: exponent - shift };
}

/** 1/100 rounded to a long double, as fio's binary holds it: 0xa3d70a3d70a3d70a * 2^-70. */
const ONE_HUNDREDTH = roundToSignificand(1n, 100n, 0);

/** The smallest integer at or above `value`. */
function ceilOf({ mantissa, exponent }: Binary): bigint {
  if (exponent >= 0) return mantissa << BigInt(exponent);
  const unit = 1n << BigInt(-exponent);
  return (mantissa + unit - 1n) / unit;
}

/**
 * The value at each percentile of `percentiles` (ascending, each in (0, 100]), ns, as fio's
 * `calc_clat_percentiles` (stat.c) finds them: walking the bins in order with a running count,
 * a percentile is the value ({@link platValue}) of the first bin at which the running count reaches
 * its {@link percentileThreshold}. All zeros when the histogram is empty (fio writes none then).
 */
export function platPercentiles(histogram: LatencyHistogramData, percentiles: readonly number[]): number[] {
  const values = percentiles.map(() => 0);
  if (histogram.count === 0) return values;
  const thresholds = percentiles.map((p) => percentileThreshold(p, histogram.count));
  let next = 0;
  let running = 0;
  for (let i = 0; i < PLAT_NR && next < percentiles.length; i++) {
    running += histogram.bins[i]!;
    while (next < percentiles.length && running >= thresholds[next]!) values[next++] = platValue(i);
  }
  return values;
}
