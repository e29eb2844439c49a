/**
 * Latency figures as fio keeps them: min, max, mean, stddev, the count, the value at each of
 * fio's default percentiles, keyed the way fio's JSON writes them (`99.000000`), and the
 * histogram's non-zero bins as fio json+ writes them, so that a result converts to fio's format
 * without loss. Also fio's latency distribution buckets (latency_ns, latency_us, latency_ms).
 */
import { platPercentiles, platValue, PLAT_NR, type LatencyHistogramData } from '../protocol/latency-histogram.js';

/** fio's default percentile_list. */
export const FIO_PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99] as const;

/** `99.9` as fio keys it: `99.900000`. */
export function percentileKey(p: number): string {
  return p.toFixed(6);
}

/** A latency distribution in ns. */
export interface LatencyFigures {
  count: number;
  /** Exact, from every request. */
  min: number;
  max: number;
  mean: number;
  /** The sample standard deviation (over count - 1), as fio's calc_lat gives it; 0 for one request. */
  stddev: number;
  /** The value at each of FIO_PERCENTILES, by percentileKey: a bin's value, as fio reports them. */
  percentiles: Record<string, number>;
  /**
   * fio json+'s `bins`: requests per bin of fio's histogram, keyed by the bin's value in ns
   * (fio's plat_idx_to_val), non-zero bins only, in ascending order of value; they add up to count.
   * Left out of the samples of a repeated point (RunResult.samples), which only their figures are
   * read from: the point's own (median) run keeps them.
   */
  bins?: Record<string, number>;
}

/** The value at percentile `p` (one of FIO_PERCENTILES), ns; 0 when nothing was measured. */
export function latencyAt(figures: LatencyFigures, p: (typeof FIO_PERCENTILES)[number]): number {
  return figures.percentiles[percentileKey(p)] ?? 0;
}

/** The figures of a histogram (all zeros, and no bins, when it holds nothing). */
export function latencyFigures(histogram: LatencyHistogramData): LatencyFigures {
  const { count, sum, sumOfSquares } = histogram;
  const measured = count > 0;
  const mean = measured ? sum / count : 0;
  // fio keeps a running sum of squared deviations (Welford); from the plain sums it is
  // sumOfSquares - sum * mean, never below 0 (rounding could take it there when all values are equal).
  const deviations = Math.max(0, sumOfSquares - sum * mean);
  const values = platPercentiles(histogram, FIO_PERCENTILES);
  const bins: Record<string, number> = {};
  for (let i = 0; i < PLAT_NR; i++) {
    const requests = histogram.bins[i]!;
    if (requests > 0) bins[String(platValue(i))] = requests;
  }
  return {
    count,
    min: measured ? histogram.min : 0,
    max: measured ? histogram.max : 0,
    mean,
    stddev: count > 1 ? Math.sqrt(deviations / (count - 1)) : 0,
    percentiles: Object.fromEntries(FIO_PERCENTILES.map((p, i) => [percentileKey(p), values[i]!])),
    bins,
  };
}

/**
 * fio's latency distribution (latency_ns, latency_us, latency_ms): the share, in %, of requests
 * in each bucket up to the key (from the previous key on), fio's io_u_lat_n/u/m.
 */
interface LatencyDistribution {
  latency_ns: Record<string, number>;
  latency_us: Record<string, number>;
  latency_ms: Record<string, number>;
}

/** The buckets' upper ends (exclusive), in their unit: fio's `ranges` (stat.c, show_thread_status_json). */
const BUCKETS = ['2', '4', '10', '20', '50', '100', '250', '500', '750', '1000'] as const;
const MS_BUCKETS = [...BUCKETS, '2000'] as const;
const MS_OVERFLOW = '>=2000';

/**
 * The distribution of the requests of `figures`, as fio fills it:
 *  - fio counts each request's clat (io_u.c, io_u_mark_latency) in whole ns under 1 us, whole us
 *    under 1 ms, whole ms above, into the first bucket whose key is above it (io_u_mark_lat_nsec/
 *    _usec/_msec; 2000 ms and more go to `>=2000`); give it the clat figures to match fio;
 *  - fio's share is 100 * bucket / requests issued, and a non-zero share under 0.01 is shown as
 *    0.01 (stat_calc_lat); printed with six decimals (json.c's %f), as here.
 * Where ours differs: fio counts each request's exact clat, and ours are read off the histogram's
 * bins, each counted at its value (platValue): a bin that straddles a bucket's edge (at most 1/64
 * of the value wide; 750 ns, for one, falls inside the bin 744..751) counts wholly on the side of
 * its value. And the share is of the requests reaped in the window, where fio divides by those
 * issued (the same but for the ones in flight at the end).
 */
export function latencyDistribution(figures: LatencyFigures): LatencyDistribution {
  const ns = new Array<number>(BUCKETS.length).fill(0);
  const us = new Array<number>(BUCKETS.length).fill(0);
  const ms = new Array<number>(MS_BUCKETS.length + 1).fill(0);
  /** Where io_u_mark_lat_* puts `amount` (in its unit): the first key above it, else past the end. */
  const bucketOf = (keys: readonly string[], amount: number): number => {
    const i = keys.findIndex((key) => amount < Number(key));
    return i < 0 ? keys.length : i;
  };
  for (const [key, requests] of Object.entries(figures.bins ?? {})) {
    const value = Number(key);
    if (value < 1e3) ns[bucketOf(BUCKETS, value)]! += requests;
    else if (value < 1e6) us[bucketOf(BUCKETS, Math.floor(value / 1e3))]! += requests;
    else ms[bucketOf(MS_BUCKETS, Math.floor(value / 1e6))]! += requests;
  }
  const share = (requests: number): number => {
    if (requests === 0) return 0;
    const percent = (100 * requests) / figures.count;
    return percent < 0.01 ? 0.01 : Math.round(percent * 1e6) / 1e6;
  };
  const keyed = (keys: readonly string[], counts: number[]): Record<string, number> =>
    Object.fromEntries(keys.map((key, i) => [key, share(counts[i]!)]));
  return {
    latency_ns: keyed(BUCKETS, ns),
    latency_us: keyed(BUCKETS, us),
    latency_ms: keyed([...MS_BUCKETS, MS_OVERFLOW], ms),
  };
}
