/**
 * Latency figures as fio keeps them: min, max, mean, stddev, the count, and the value at each
 * of fio's default percentiles, keyed the way fio's JSON writes them (`99.000000`), so that a
 * result converts to fio's format without loss. Also fio's latency distribution buckets.
 */
import type { RecordableHistogram } from 'node:perf_hooks';

/** fio's default percentile_list. */
export const FIO_PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99] as const;

/** `99.9` as fio keys it: `99.900000`. */
export function percentileKey(p: number): string {
  return p.toFixed(6);
}

/** A latency distribution in ns. */
export interface LatencyFigures {
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  /** The value at each of FIO_PERCENTILES, by percentileKey. */
  percentiles: Record<string, number>;
}

/** The value at percentile `p` (one of FIO_PERCENTILES), ns; 0 when nothing was measured. */
export function latencyAt(figures: LatencyFigures, p: (typeof FIO_PERCENTILES)[number]): number {
  return figures.percentiles[percentileKey(p)] ?? 0;
}

/** The figures of a histogram (all zeros when it holds nothing). */
export function latencyFigures(histogram: RecordableHistogram): LatencyFigures {
  const measured = histogram.count > 0;
  return {
    count: histogram.count,
    min: measured ? histogram.min : 0,
    max: measured ? histogram.max : 0,
    mean: measured ? histogram.mean : 0,
    stddev: measured ? histogram.stddev : 0,
    percentiles: Object.fromEntries(
      FIO_PERCENTILES.map((p) => [percentileKey(p), measured ? histogram.percentile(p) : 0]),
    ),
  };
}

/**
 * fio's latency distribution (latency_ns, latency_us, latency_ms): the share, in %, of requests
 * whose latency falls in each bucket up to the key (and above the previous key), read off the
 * histogram's percentile points, so to the histogram's precision.
 */
export interface LatencyDistribution {
  latency_ns: Record<string, number>;
  latency_us: Record<string, number>;
  latency_ms: Record<string, number>;
}

const BUCKETS = ['2', '4', '10', '20', '50', '100', '250', '500', '750', '1000'] as const;
const MS_BUCKETS = [...BUCKETS, '2000'] as const;

export function latencyDistribution(histogram: RecordableHistogram): LatencyDistribution {
  const points = [...histogram.percentiles.entries()].sort((a, b) => a[0] - b[0]);
  /** Share of requests at or under `ns`, %. */
  const upTo = (ns: number): number => {
    if (histogram.count === 0) return 0;
    let share = 0;
    for (const [p, value] of points) if (value <= ns) share = p;
    return share;
  };
  const buckets = (keys: readonly string[], scale: number, below: number): Record<string, number> => {
    let previous = upTo(below);
    return Object.fromEntries(
      keys.map((key) => {
        const here = upTo(Number(key) * scale);
        const share = Math.max(0, here - previous);
        previous = here;
        return [key, Math.round(share * 1e4) / 1e4];
      }),
    );
  };
  const ms = buckets(MS_BUCKETS, 1e6, 1e6);
  ms['>=2000'] = histogram.count === 0 ? 0 : Math.round((100 - upTo(2000 * 1e6)) * 1e4) / 1e4;
  return { latency_ns: buckets(BUCKETS, 1, 0), latency_us: buckets(BUCKETS, 1e3, 1e3), latency_ms: ms };
}
