/**
 * fio's latency bins (src/protocol/latency-histogram.ts) and the figures read off them
 * (src/report/latency.ts), against values worked out by hand from fio's formulas (stat.c:
 * plat_val_to_idx, plat_idx_to_val, calc_clat_percentiles; io_u.c: io_u_mark_latency), and,
 * where fio is installed, against fio's own percentiles of fio's own bins.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  LatencyHistogram,
  PLAT_NR,
  percentileThreshold,
  platIndex,
  platPercentiles,
  platValue,
} from '../dist/src/protocol/latency-histogram.js';
import { FIO_PERCENTILES, latencyDistribution, latencyFigures } from '../dist/src/report/latency.js';

/** fio's plat_val_to_idx, line for line in BigInt: the reference for every value, 2^32 and up included. */
function referenceIndex(value: bigint): number {
  const msb = value === 0n ? 0 : value.toString(2).length - 1;
  if (msb <= 6) return Number(value);
  const errorBits = msb - 6;
  const base = (errorBits + 1) << 6;
  const offset = Number((value >> BigInt(errorBits)) & 63n);
  return Math.min(base + offset, 1856 - 1);
}

/** A histogram of `values`, each recorded `times` times. */
function histogramOf(entries: readonly (readonly [value: number, times: number])[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const [value, times] of entries) for (let i = 0; i < times; i++) histogram.record(value);
  return histogram;
}

describe("fio's bins", () => {
  it('has fio’s 29 groups of 64', () => {
    expect(PLAT_NR).toBe(1856);
  });

  it('gives each value below 128 a bin of its own', () => {
    for (let v = 0; v < 128; v++) {
      expect(platIndex(v)).toBe(v);
      expect(platValue(v)).toBe(v);
    }
  });

  it('puts the group boundaries where fio does, and gives a bin the middle of its range', () => {
    // [value, bin, the bin's value]: msb 7 drops 1 bit (bins 2 wide), msb 8 drops 2, ...
    const cases: [number, number, number][] = [
      [128, 128, 129],
      [129, 128, 129],
      [130, 129, 131],
      [255, 191, 255],
      [256, 192, 258],
      [1000, 317, 1004], // msb 9, 3 bits dropped: 256 + (1000 >> 3 & 63 = 61); 512 + 61.5 * 8
      [2 ** 32 - 1, 1727, 2 ** 31 + 63.5 * 2 ** 25], // the last value of the 32-bit path
      [2 ** 32, 1728, 2 ** 32 + 0.5 * 2 ** 26], // the first past it
      [2 ** 33, 1792, 2 ** 33 + 0.5 * 2 ** 27], // group 28, the last
      [2 ** 34 - 1, 1855, 17_112_760_320],
      [2 ** 34, 1855, 17_112_760_320], // beyond: counted in the last bin, as fio does
      [2 ** 50, 1855, 17_112_760_320],
    ];
    for (const [value, bin, binValue] of cases) {
      expect(platIndex(value), `bin of ${value}`).toBe(bin);
      expect(platValue(bin), `value of bin ${bin}`).toBe(binValue);
    }
  });

  it('agrees with fio’s formula everywhere, across 2^32 too', () => {
    const values: number[] = [];
    for (let bit = 0; bit < 40; bit++) {
      for (const delta of [-3, -1, 0, 1, 2, 7]) values.push(Math.max(0, 2 ** bit + delta));
      for (let k = 1; k < 8; k++) values.push(Math.floor(2 ** bit * (1 + k / 8)) + 1);
    }
    for (const value of values) expect(platIndex(value), String(value)).toBe(referenceIndex(BigInt(value)));
  });

  it('round-trips every bin: a bin’s value falls in that bin, between the bins around it', () => {
    for (let bin = 0; bin < PLAT_NR; bin++) {
      expect(platIndex(platValue(bin))).toBe(bin);
      if (bin > 0) expect(platValue(bin)).toBeGreaterThan(platValue(bin - 1));
    }
  });
});

describe("percentiles as fio's calc_clat_percentiles finds them", () => {
  it('reads the first bin whose running count reaches p% of the requests', () => {
    const histogram = histogramOf(Array.from({ length: 100 }, (_, i) => [i + 1, 1] as const));
    expect(platPercentiles(histogram, FIO_PERCENTILES)).toEqual([
      1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 100, 100, 100, 100,
    ]);
  });

  it('reports the bin’s value, not the value recorded', () => {
    const histogram = histogramOf([[1000, 10]]);
    expect(platPercentiles(histogram, [50])).toEqual([1004]);
  });

  it('compares the running count as fio’s binary does (x87 long double, -ffast-math’s order)', () => {
    // (total * 0.01L) * p, each product rounded to 64 significant bits; worked out in C on x86-64.
    expect(percentileThreshold(30, 90)).toBe(27); // 27 - 2^-59; the source's order would need 28
    expect(percentileThreshold(60, 25)).toBe(15);
    expect(percentileThreshold(99.95, 2000)).toBe(2000); // 99.95 is a double above it; doubles say 1999
    expect(percentileThreshold(0.1, 1000)).toBe(2); // likewise: doubles say 1
    expect(percentileThreshold(99.99, 10_000)).toBe(9999);
    expect(percentileThreshold(50, 100)).toBe(50);
    expect(percentileThreshold(50, 0)).toBe(0);
  });

  it('gives what fio 3.33 printed for its own bins (30% of 90 requests)', () => {
    // fio --output-format=json+ (ioengine=null, number_ios=90): lat_ns bins 120: 19, 121: 8,
    // 131: 52, ...; fio's 30.000000 percentile was 121, at a running count of exactly 27.
    const histogram = histogramOf([
      [120, 19],
      [121, 8],
      [131, 63],
    ]);
    expect(platPercentiles(histogram, [30, 40])).toEqual([121, 131]);
  });

  it('takes the last request for 99.95% of 2000, where doubles would take the one before', () => {
    const histogram = histogramOf([
      [100, 1999],
      [5000, 1],
    ]);
    expect(platPercentiles(histogram, [99.9, 99.95])).toEqual([100, 4096 + 14.5 * 64]);
  });

  it('gives zeros for an empty histogram', () => {
    expect(platPercentiles(new LatencyHistogram(), [50, 99])).toEqual([0, 0]);
  });
});

describe('merging and the exact totals', () => {
  it('merges as if every request had gone into one histogram, through a structured clone too', () => {
    const a = histogramOf([
      [5, 3],
      [1500, 2],
    ]);
    const b = histogramOf([
      [7, 1],
      [2 ** 33, 1],
    ]);
    const all = histogramOf([
      [5, 3],
      [1500, 2],
      [7, 1],
      [2 ** 33, 1],
    ]);
    // A worker's histogram reaches the main thread as a structured clone: data without methods.
    const merged = LatencyHistogram.merged([structuredClone(a), structuredClone(b)]);
    expect(merged).toEqual(all);
    expect(merged.count).toBe(7);
    expect(merged.min).toBe(5);
    expect(merged.max).toBe(2 ** 33);
    expect(merged.sum).toBe(3 * 5 + 2 * 1500 + 7 + 2 ** 33);
  });

  it('keeps the mean exact and fio’s sample standard deviation, whatever the bins', () => {
    // 1000, 1001 and 1003 share the bin of 1004.
    const figures = latencyFigures(histogramOf([1000, 1001, 1003].map((v) => [v, 1] as const)));
    expect(figures.mean).toBe(3004 / 3);
    expect(figures.min).toBe(1000);
    expect(figures.max).toBe(1003);
    expect(figures.bins).toEqual({ 1004: 3 });
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations 32, over n - 1 = 7 (fio's calc_lat).
    const spread = latencyFigures(histogramOf([2, 4, 4, 4, 5, 5, 7, 9].map((v) => [v, 1] as const)));
    expect(spread.mean).toBe(5);
    expect(spread.stddev).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(latencyFigures(histogramOf([[42, 1]])).stddev).toBe(0);
  });

  it('writes only the non-zero bins, keyed by their values in ascending order, adding up to the count', () => {
    const figures = latencyFigures(
      histogramOf([
        [3_000_000_000, 1],
        [1, 2],
        [200, 4],
      ]),
    );
    expect(Object.entries(figures.bins!)).toEqual([
      ['1', 2],
      ['201', 4],
      [String(platValue(platIndex(3_000_000_000))), 1],
    ]);
    expect(figures.count).toBe(7);
  });

  it('has all zeros and no bins when nothing was measured', () => {
    const figures = latencyFigures(new LatencyHistogram());
    expect(figures).toMatchObject({ count: 0, min: 0, max: 0, mean: 0, stddev: 0, bins: {} });
    expect(Object.values(figures.percentiles).every((v) => v === 0)).toBe(true);
  });
});

describe("fio's latency distribution (latency_ns, latency_us, latency_ms)", () => {
  it('counts each bin in fio’s bucket of its value, in %, with 0.01 for a share that is not zero', () => {
    const figures = latencyFigures(
      histogramOf([
        [1, 5000], // ns bucket "2" (0..1)
        [3, 4999], // "4" (2..3)
        [1500, 5000], // bin value 1496: 1 us, bucket "2"
        // fio counts 999_999 ns as 999 us (bucket "1000"); its bin, 999_424..1_007_615, has the value
        // 1_003_520, so here it counts as 1 ms (bucket "2"): the difference latency.ts describes.
        [999_999, 4000],
        [5_000_000, 1000], // 5 ms: "10"
        [3_000_000_000, 1], // 3 s: ">=2000"
      ]),
    );
    expect(figures.count).toBe(20_000);
    const distribution = latencyDistribution(figures);
    expect(distribution.latency_ns).toMatchObject({ 2: 25, 4: 24.995, 10: 0, 1000: 0 });
    expect(distribution.latency_us).toMatchObject({ 2: 25, 4: 0, 1000: 0 });
    expect(distribution.latency_ms).toMatchObject({ 2: 20, 10: 5, 2000: 0, '>=2000': 0.01 });
    expect(Object.keys(distribution.latency_ms)).toEqual([
      '2', '4', '10', '20', '50', '100', '250', '500', '750', '1000', '2000', '>=2000',
    ]);
  });
});

const fio = spawnSync('fio', ['--version'], { encoding: 'utf8' });
const noFio = fio.error === undefined ? '' : ' (skipped: fio is not installed; apt-get install fio)';
describe.skipIf(fio.error !== undefined)(`against fio itself${noFio}`, () => {
  it('finds fio’s own percentiles in fio’s own json+ bins', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-fio-bins-'));
    try {
      for (const requests of [25, 90, 400]) {
        const jobFile = path.join(dir, `job-${requests}.fio`);
        fs.writeFileSync(
          jobFile,
          '[global]\nioengine=null\nrw=randread\nbs=4k\nsize=16m\niodepth=4\nslat_percentiles=1\nlat_percentiles=1\n' +
            `number_ios=${requests}\nrate_iops=50000\n[job]\n`,
        );
        const r = spawnSync('fio', ['--output-format=json+', jobFile], { encoding: 'utf8', timeout: 20_000 });
        expect(r.status).toBe(0);
        const read = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).jobs[0].read;
        for (const side of ['slat_ns', 'clat_ns', 'lat_ns']) {
          const theirs = read[side] as { N: number; percentile: Record<string, number>; bins: Record<string, number> };
          const histogram = histogramOf(Object.entries(theirs.bins).map(([value, n]) => [Number(value), n] as const));
          expect(histogram.count, `${side} of ${requests}`).toBe(theirs.N);
          expect(latencyFigures(histogram).percentiles, `${side} of ${requests}`).toEqual(theirs.percentile);
          expect(latencyFigures(histogram).bins).toEqual(theirs.bins);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
