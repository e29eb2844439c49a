/**
 * fio's latency bins (src/protocol/latency-histogram.ts) and the percentiles read off them,
 * against values worked out by hand from fio's formulas (stat.c: plat_val_to_idx,
 * plat_idx_to_val, calc_clat_percentiles), and, where fio is installed, against fio's own
 * percentiles of fio's own bins.
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

/** fio's default percentile_list. */
const FIO_PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

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
          const keys = Object.keys(theirs.percentile);
          const ours = platPercentiles(histogram, keys.map(Number));
          const keyed = Object.fromEntries(keys.map((key, i) => [key, ours[i]]));
          expect(keyed, `${side} of ${requests}`).toEqual(theirs.percentile);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
