/**
 * Confidence intervals for a ratio of throughputs: known answers for the t quantiles, the paired
 * and the Welch intervals, the verdicts, the formatting and the bad inputs.
 * Runs against the compiled code: `npx tsc -p tsconfig.json` first.
 */
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_CONFIDENCE,
  formatRatio,
  geometricMean,
  pairedRatio,
  studentTQuantile,
  unpairedRatio,
  verdictOf,
} from '../dist/src/report/confidence.js';

/** |actual - expected| within `relative` of expected. */
function expectRelative(actual: number | null, expected: number, relative = 1e-6): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(relative * Math.abs(expected));
}

describe('studentTQuantile', () => {
  it('matches the two-sided 95% table values within 1e-3', () => {
    const table: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [4, 2.776],
      [5, 2.571],
      [9, 2.262],
      [19, 2.093],
      [1000, 1.962],
    ];
    for (const [df, t] of table) expect(Math.abs(studentTQuantile(0.975, df) - t)).toBeLessThan(1e-3);
  });

  it('matches more digits, other probabilities and a non-integer df (values from scipy.stats.t.ppf)', () => {
    expectRelative(studentTQuantile(0.975, 1), 12.706204736174694, 1e-9);
    expectRelative(studentTQuantile(0.975, 2), 4.302652729749462, 1e-9);
    expectRelative(studentTQuantile(0.975, 1000), 1.9623390808264083, 1e-9);
    expectRelative(studentTQuantile(0.975, 2.5), 3.5746548420036817, 1e-9);
    expectRelative(studentTQuantile(0.995, 3), 5.840909309733355, 1e-9);
    // df 1 is the Cauchy distribution: t = tan(π (p - ½)).
    expectRelative(studentTQuantile(0.9, 1), Math.tan(Math.PI * 0.4), 1e-9);
  });

  it('is odd around p = ½', () => {
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expectRelative(studentTQuantile(0.025, 9), -studentTQuantile(0.975, 9), 1e-12);
  });

  it('refuses a probability outside (0, 1) and df below 1', () => {
    expect(() => studentTQuantile(0, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(Number.NaN, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, 0.5)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('pairedRatio', () => {
  it('calls identical samples ~, with 1 inside the (degenerate) interval', () => {
    const r = pairedRatio([100, 110, 90], [100, 110, 90]);
    expect(r).toEqual({ ratio: 1, ciLow: 1, ciHigh: 1, level: DEFAULT_CONFIDENCE, rounds: 3, verdict: '~' });
    expect(formatRatio(r)).toBe('1.00x [1.00x..1.00x] ~');
  });

  it('calls a spread around 1 ~', () => {
    const r = pairedRatio([100, 110, 90, 105], [104, 106, 93, 101]);
    expect(r.ciLow as number).toBeLessThan(1);
    expect(r.ciHigh as number).toBeGreaterThan(1);
    expect(r.verdict).toBe('~');
  });

  it('collapses a constant 2x to [2, 2], faster, and a constant 0.5x to slower', () => {
    const a = [100, 130, 70, 95];
    const double = pairedRatio(a, a.map((x) => 2 * x));
    expectRelative(double.ratio, 2, 1e-12);
    expectRelative(double.ciLow, 2, 1e-12);
    expectRelative(double.ciHigh, 2, 1e-12);
    expect(double.verdict).toBe('faster');
    expect(formatRatio(double)).toBe('2.00x [2.00x..2.00x] faster');

    const half = pairedRatio(a, a.map((x) => x / 2));
    expectRelative(half.ratio, 0.5, 1e-12);
    expect(half.verdict).toBe('slower');
    expect(formatRatio(half)).toBe('0.50x [0.50x..0.50x] slower');
  });

  it('matches a hand-computed interval', () => {
    // Log ratios d = 0.1, 0.2, 0.3: mean 0.2, sd = √((0.01 + 0 + 0.01)/2) = 0.1, n = 3,
    // standard error 0.1/√3 = 0.0577350269; t(0.975, 2) = 4.3026527297 (tables),
    // half width 4.3026527297 × 0.0577350269 = 0.2484137670;
    // ratio e^0.2 = 1.2214027582, low e^(0.2 - 0.2484137670) = e^-0.0484137670 = 0.9527394894,
    // high e^(0.2 + 0.2484137670) = e^0.4484137670 = 1.5658264555. Holds 1: '~'.
    const a = [100, 200, 400];
    const b = [100 * Math.exp(0.1), 200 * Math.exp(0.2), 400 * Math.exp(0.3)];
    const r = pairedRatio(a, b);
    expectRelative(r.ratio, 1.2214027582);
    expectRelative(r.ciLow, 0.9527394894);
    expectRelative(r.ciHigh, 1.5658264555);
    expect(r.rounds).toBe(3);
    expect(r.verdict).toBe('~');
    expect(formatRatio(r)).toBe('1.22x [0.95x..1.57x] ~');
  });

  it('narrows with a lower level', () => {
    const a = [100, 200, 400];
    const b = [100 * Math.exp(0.1), 200 * Math.exp(0.2), 400 * Math.exp(0.3)];
    const r95 = pairedRatio(a, b, 0.95);
    const r80 = pairedRatio(a, b, 0.8);
    expect(r80.level).toBe(0.8);
    expect(r80.ciLow as number).toBeGreaterThan(r95.ciLow as number);
    expect(r80.ciHigh as number).toBeLessThan(r95.ciHigh as number);
  });

  it('gives no interval from one round, and says it needs 2', () => {
    const r = pairedRatio([100], [120]);
    expectRelative(r.ratio, 1.2, 1e-12);
    expect(r.ciLow).toBeNull();
    expect(r.ciHigh).toBeNull();
    expect(r.verdict).toBeNull();
    expect(r.need).toBe(2);
    expect(r.rounds).toBe(1);
    expect(formatRatio(r)).toBe('1.20x (need >= 2 rounds)');
  });

  it('throws RangeError on a bad level, mismatched lengths or bad values', () => {
    for (const level of [1.5, 0, 1, -0.5, Number.NaN]) {
      expect(() => pairedRatio([1, 2], [1, 2], level)).toThrow(RangeError);
    }
    expect(() => pairedRatio([1, 2, 3], [1, 2])).toThrow(RangeError);
    expect(() => pairedRatio([1, 2], [1, 0])).toThrow(RangeError);
    expect(() => pairedRatio([1, -2], [1, 2])).toThrow(RangeError);
    expect(() => pairedRatio([1, Number.POSITIVE_INFINITY], [1, 2])).toThrow(RangeError);
    expect(() => pairedRatio([], [])).toThrow(RangeError);
    expect(() => pairedRatio([1, 2], [1, 2], 1.5)).toThrow(/confidence level must be a number in \(0, 1\)/);
  });
});

describe('unpairedRatio', () => {
  it('calls identical samples ~, with 1 inside a real interval', () => {
    const r = unpairedRatio([100, 110, 90], [100, 110, 90]);
    expect(r.ratio).toBe(1);
    expect(r.ciLow as number).toBeLessThan(1);
    expect(r.ciHigh as number).toBeGreaterThan(1);
    expect(r.verdict).toBe('~');
  });

  it('collapses constant samples to their ratio', () => {
    const faster = unpairedRatio([100, 100, 100], [200, 200]);
    expectRelative(faster.ratio, 2, 1e-12);
    expectRelative(faster.ciLow, 2, 1e-12);
    expectRelative(faster.ciHigh, 2, 1e-12);
    expect(faster.rounds).toBe(2);
    expect(faster.verdict).toBe('faster');
    expect(unpairedRatio([200, 200], [100, 100]).verdict).toBe('slower');
  });

  it('matches a hand-computed Welch interval (equal sizes and variances: df = 2(n - 1) = 4)', () => {
    // ln a = 0, 0.2, 0.4 and ln b = 0.5, 0.7, 0.9: means 0.2 and 0.7, variances 0.04 each.
    // Standard error √(0.04/3 + 0.04/3) = √0.0266667 = 0.1632993162;
    // df = (0.0266667)² / (2 × (0.0133333)² / 2) = 4, t(0.975, 4) = 2.7764451052 (tables);
    // half width 2.7764451052 × 0.1632993162 = 0.4533913760;
    // ratio e^0.5 = 1.6487212707, low e^(0.5 - 0.4533913760) = e^0.0466086240 = 1.0477116584,
    // high e^(0.5 + 0.4533913760) = e^0.9533913760 = 2.5944942072. Above 1: 'faster'.
    const r = unpairedRatio([0, 0.2, 0.4].map(Math.exp), [0.5, 0.7, 0.9].map(Math.exp));
    expectRelative(r.ratio, 1.6487212707);
    expectRelative(r.ciLow, 1.0477116584);
    expectRelative(r.ciHigh, 2.5944942072);
    expect(r.rounds).toBe(3);
    expect(r.verdict).toBe('faster');
    expect(formatRatio(r)).toBe('1.65x [1.05x..2.59x] faster');
  });

  it('takes the Welch–Satterthwaite df when sizes and variances differ', () => {
    // ln a = 0, 0.2, 0.4 (var/n = 0.04/3), ln b = 0.5, 0.7 (var/n = 0.02/2 = 0.01):
    // df = (0.0233333)² / ((0.0133333)²/2 + 0.01²/1) = 49/17 = 2.8823529;
    // t(0.975, 49/17) = 3.2572081255 (scipy), se = √0.0233333 = 0.1527525232, mean 0.4:
    // low e^(0.4 - 0.4975571) = 0.9070599268, high e^(0.4 + 0.4975571) = 2.4535765089.
    const r = unpairedRatio([0, 0.2, 0.4].map(Math.exp), [0.5, 0.7].map(Math.exp));
    expectRelative(r.ratio, Math.exp(0.4));
    expectRelative(r.ciLow, 0.9070599268);
    expectRelative(r.ciHigh, 2.4535765089);
    expect(r.rounds).toBe(2);
    expect(r.verdict).toBe('~');
  });

  it('gives no interval when either side has one round', () => {
    const r = unpairedRatio([100, 110, 90], [150]);
    expect(r.ciLow).toBeNull();
    expect(r.verdict).toBeNull();
    expect(r.need).toBe(2);
    expect(r.rounds).toBe(1);
    expect(formatRatio(r)).toMatch(/^1\.51x \(need >= 2 rounds\)$/);
  });

  it('throws RangeError on a bad level or bad values, and takes samples of different lengths', () => {
    for (const level of [1.5, 0, Number.NaN]) {
      expect(() => unpairedRatio([1, 2], [1, 2], level)).toThrow(RangeError);
    }
    expect(() => unpairedRatio([1, 2], [Number.NaN, 2])).toThrow(RangeError);
    expect(() => unpairedRatio([1, 2], [])).toThrow(RangeError);
    expect(() => unpairedRatio([1, 2, 3], [1, 2])).not.toThrow();
  });
});

describe('verdictOf, geometricMean, formatRatio', () => {
  it('calls faster or slower only when 1 lies strictly outside', () => {
    expect(verdictOf(1.01, 2)).toBe('faster');
    expect(verdictOf(0.5, 0.99)).toBe('slower');
    expect(verdictOf(0.9, 1.1)).toBe('~');
    expect(verdictOf(1, 1.5)).toBe('~');
    expect(verdictOf(0.5, 1)).toBe('~');
    expect(verdictOf(1, 1)).toBe('~');
  });

  it('takes the geometric mean', () => {
    expectRelative(geometricMean([1, 4]), 2, 1e-12);
    expectRelative(geometricMean([2, 8, 4]), 4, 1e-12);
    expect(() => geometricMean([])).toThrow(RangeError);
    expect(() => geometricMean([1, 0])).toThrow(RangeError);
  });

  it('prints 2 decimals below 100x and none above', () => {
    const r = { ratio: 123.4, ciLow: 99.5, ciHigh: 150.2, level: 0.95, rounds: 5, verdict: 'faster' as const };
    expect(formatRatio(r)).toBe('123x [99.50x..150x] faster');
    expect(formatRatio({ ...r, ratio: 0.134, ciLow: 0.1, ciHigh: 0.2, verdict: 'slower' })).toBe(
      '0.13x [0.10x..0.20x] slower',
    );
  });
});
