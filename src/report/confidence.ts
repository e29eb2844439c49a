/**
 * A ratio of throughputs with its uncertainty: a confidence interval for b/a (say, mq IOPS over
 * sq IOPS) from rounds of measurements, and a verdict that calls it faster or slower only when
 * the whole interval lies on one side of 1.
 *
 * Why logs. A speed-up is a ratio, and ratios multiply: 2x and 0.5x are the same distance from
 * 1x. So the figures are compared on a log scale, their mean there is the geometric mean, and
 * an interval computed for a difference of logs maps back with exp to an interval for the ratio
 * that is symmetric in the right sense (b/a in [L, H] exactly when a/b is in [1/H, 1/L]).
 * Fleming & Wallace, "How not to lie with statistics: the correct way to summarize benchmark
 * results", CACM 29(3), 1986, argue for the geometric mean of normalized figures; Kalibera &
 * Jones, "Rigorous benchmarking in reasonable time", ISMM 2013, for reporting a ratio with its
 * confidence interval rather than alone.
 *
 * The method:
 *   - paired (round i of a ran next to round i of b, on the same machine state): Student's
 *     t-interval on the per-round log ratios d_i = ln(b_i / a_i),
 *       mean(d) ± t(1 - (1 - level)/2, n - 1) · sd(d) / √n, mapped back with exp;
 *     pairing removes the drift that a and b share from round to round.
 *   - unpaired (independent samples): Welch's t-interval on mean(ln b) - mean(ln a), with the
 *     Welch–Satterthwaite degrees of freedom, which does not assume equal variances.
 *     B. L. Welch, "The generalization of 'Student's' problem when several different population
 *     variances are involved", Biometrika 34, 1947; F. E. Satterthwaite, "An approximate
 *     distribution of estimates of variance components", Biometrics Bulletin 2(6), 1946.
 *     Both intervals as in the NIST/SEMATECH e-Handbook of Statistical Methods, §7.2.2 and
 *     §1.3.5.3 (https://www.itl.nist.gov/div898/handbook/).
 *   - Either needs 2 rounds a side (a standard deviation needs two values); with fewer the
 *     point estimate still stands, with no interval and the rounds it needs, as benchstat
 *     (golang.org/x/perf/cmd/benchstat) prints "need >= N samples". Unlike benchstat, which
 *     uses medians and a Mann–Whitney U test and so needs 4 or more samples, a t-interval gives
 *     an answer from 2 rounds: wide, but honest, for the few long rounds a bench affords.
 *   - When all the log ratios are equal (standard deviation 0) the interval collapses to the
 *     ratio itself; its verdict is then '~' only when that ratio is exactly 1.
 *
 * Student's t quantiles come from its CDF through the regularized incomplete beta function
 * (Numerical Recipes in C, 2nd ed., §6.4, eq. 6.4.9 and betai/betacf; the continued fraction
 * evaluated by the modified Lentz method, §5.2, Thompson & Barnett, J. Comput. Phys. 64, 1986),
 * inverted by bisection. No dependencies.
 */

/** Whether b is faster than a, slower, or not distinguishable ('~') at the interval's level. */
export type Verdict = 'faster' | 'slower' | '~';

/** A ratio b/a of throughputs with its confidence interval. */
export interface RatioInterval {
  /**
   * The point estimate: the geometric mean of b_i/a_i (paired), or
   * exp(mean ln b - mean ln a) (unpaired).
   */
  ratio: number;
  /** The interval's low end; null when too few rounds for an interval. */
  ciLow: number | null;
  /** The interval's high end; null when too few rounds for an interval. */
  ciHigh: number | null;
  /** The confidence level, e.g. 0.95. */
  level: number;
  /** Paired: the number of pairs; unpaired: the smaller sample's size. */
  rounds: number;
  /** Null when no interval; 'faster' when ciLow > 1, 'slower' when ciHigh < 1, else '~'. */
  verdict: Verdict | null;
  /** Only when there is no interval: the rounds it needs (as benchstat's "need >= N samples"). */
  need?: number;
}

/** The usual level, 95%: a difference called out would show up by chance 1 time in 20. */
export const DEFAULT_CONFIDENCE = 0.95;

/** Rounds a side that a t-interval needs: a standard deviation takes two values. */
const MIN_ROUNDS = 2;

/**
 * The ratio b/a when round i of `b` ran paired with round i of `a` (same length, else
 * RangeError): a t-interval on the log ratios ln(b_i/a_i), mapped back with exp.
 */
export function pairedRatio(
  a: readonly number[],
  b: readonly number[],
  level: number = DEFAULT_CONFIDENCE,
): RatioInterval {
  checkLevel(level);
  checkSample('a', a);
  checkSample('b', b);
  if (a.length !== b.length) {
    throw new RangeError(`paired rounds need samples of the same length, got ${a.length} and ${b.length}`);
  }
  const logRatios = a.map((ai, i) => Math.log(b[i] as number) - Math.log(ai));
  const n = logRatios.length;
  const center = mean(logRatios);
  if (n < MIN_ROUNDS) return withoutInterval(Math.exp(center), level, n);
  const halfWidth = studentTQuantile(upperProbability(level), n - 1) * Math.sqrt(variance(logRatios) / n);
  return withInterval(center, halfWidth, level, n);
}

/**
 * The ratio b/a from independent samples: Welch's t-interval on mean(ln b) - mean(ln a), with
 * the Welch–Satterthwaite degrees of freedom, mapped back with exp.
 */
export function unpairedRatio(
  a: readonly number[],
  b: readonly number[],
  level: number = DEFAULT_CONFIDENCE,
): RatioInterval {
  checkLevel(level);
  checkSample('a', a);
  checkSample('b', b);
  const logA = a.map(Math.log);
  const logB = b.map(Math.log);
  const center = mean(logB) - mean(logA);
  const rounds = Math.min(a.length, b.length);
  if (rounds < MIN_ROUNDS) return withoutInterval(Math.exp(center), level, rounds);
  const varA = variance(logA) / a.length;
  const varB = variance(logB) / b.length;
  const varSum = varA + varB;
  if (varSum === 0) return withInterval(center, 0, level, rounds);
  const df = (varSum * varSum) / ((varA * varA) / (a.length - 1) + (varB * varB) / (b.length - 1));
  const halfWidth = studentTQuantile(upperProbability(level), df) * Math.sqrt(varSum);
  return withInterval(center, halfWidth, level, rounds);
}

/**
 * The inverse CDF of Student's t distribution with `df` degrees of freedom (a real df >= 1,
 * as Welch's gives): the t with P(T <= t) = p. Computed to about 1e-10 by bisection on the CDF.
 */
export function studentTQuantile(p: number, df: number): number {
  if (typeof p !== 'number' || !(p > 0 && p < 1)) {
    throw new RangeError(`a probability must be a number in (0, 1), got ${String(p)}`);
  }
  if (typeof df !== 'number' || !Number.isFinite(df) || !(df >= 1)) {
    throw new RangeError(`degrees of freedom must be a finite number >= 1, got ${String(df)}`);
  }
  if (p === 0.5) return 0;
  const tail = Math.min(p, 1 - p);
  // Bracket the t > 0 whose upper tail is `tail`, then halve the bracket.
  let low = 0;
  let high = 1;
  while (studentTUpperTail(high, df) > tail) {
    low = high;
    high *= 2;
  }
  for (let i = 0; i < 300 && high - low > 1e-13 * high; i++) {
    const middle = (low + high) / 2;
    if (studentTUpperTail(middle, df) > tail) low = middle;
    else high = middle;
  }
  const t = (low + high) / 2;
  return p > 0.5 ? t : -t;
}

/**
 * "2.47x [2.10x..2.81x] faster", "0.94x [0.76x..1.15x] ~", or, with no interval,
 * "1.20x (need >= 2 rounds)".
 */
export function formatRatio(r: RatioInterval): string {
  if (!Number.isFinite(r.ratio)) return '-';
  if (r.ciLow === null || r.ciHigh === null || r.verdict === null) {
    // No interval for want of rounds says how many it needs; for another reason (a round of 0
    // IOPS, whose logarithm there is none of), the ratio alone.
    return r.need === undefined ? formatTimes(r.ratio) : `${formatTimes(r.ratio)} (need >= ${r.need} rounds)`;
  }
  return `${formatTimes(r.ratio)} [${formatTimes(r.ciLow)}..${formatTimes(r.ciHigh)}] ${r.verdict}`;
}

/** A confidence level as a percentage: 0.95 → `95%`, 0.999 → `99.9%`. */
export function formatLevel(level: number): string {
  return `${Number((level * 100).toFixed(4))}%`;
}

/**
 * The level `--confidence` gives (bench, compare, ab): a decimal strictly between 0 and 1
 * (`0.95`, `.9`), or undefined when `text` is not one (the command line then says so).
 */
export function parseConfidence(text: string): number | undefined {
  const level = /^\s*(0?\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  return level > 0 && level < 1 ? level : undefined;
}

/**
 * 'faster' when the whole interval lies above 1, 'slower' when below, else '~': an interval
 * that holds 1 (even at an end) cannot tell b from a.
 */
export function verdictOf(ciLow: number, ciHigh: number): Verdict {
  if (ciLow > 1) return 'faster';
  if (ciHigh < 1) return 'slower';
  return '~';
}

/**
 * The geometric mean, exp(mean ln x): the mean that suits ratios and rates (Fleming & Wallace,
 * CACM 1986). Values must be finite and > 0, and there must be at least one, else RangeError.
 */
export function geometricMean(values: readonly number[]): number {
  checkSample('values', values);
  return Math.exp(mean(values.map(Math.log)));
}

/** A ratio with 2 decimals below 100, none above, and an "x": "0.13x", "20.40x", "123x". */
function formatTimes(ratio: number): string {
  return `${Math.abs(ratio) < 100 ? ratio.toFixed(2) : ratio.toFixed(0)}x`;
}

function withInterval(center: number, halfWidth: number, level: number, rounds: number): RatioInterval {
  const ciLow = Math.exp(center - halfWidth);
  const ciHigh = Math.exp(center + halfWidth);
  return { ratio: Math.exp(center), ciLow, ciHigh, level, rounds, verdict: verdictOf(ciLow, ciHigh) };
}

function withoutInterval(ratio: number, level: number, rounds: number): RatioInterval {
  return { ratio, ciLow: null, ciHigh: null, level, rounds, verdict: null, need: MIN_ROUNDS };
}

/** The t quantile a two-sided interval at `level` takes: 1 - (1 - level)/2. */
function upperProbability(level: number): number {
  return 1 - (1 - level) / 2;
}

function checkLevel(level: number): void {
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new RangeError(`confidence level must be a number in (0, 1), got ${String(level)}`);
  }
}

function checkSample(name: string, values: readonly number[]): void {
  if (values.length === 0) throw new RangeError(`${name} needs at least one round, got none`);
  values.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
      throw new RangeError(`${name}[${i}] must be a finite number > 0, got ${String(value)}`);
    }
  });
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The sample variance (n - 1 in the denominator). */
function variance(values: readonly number[]): number {
  const center = mean(values);
  return values.reduce((sum, value) => sum + (value - center) ** 2, 0) / (values.length - 1);
}

/**
 * P(T > t) for t >= 0: ½ I_x(df/2, ½) with x = df/(df + t²) (Numerical Recipes §6.4,
 * eq. 6.4.9; Abramowitz & Stegun 26.7.1). 1 - x is passed as t²/(df + t²), not subtracted,
 * so that small t keep their precision.
 */
function studentTUpperTail(t: number, df: number): number {
  const denominator = df + t * t;
  return 0.5 * regularizedBeta(df / 2, 0.5, df / denominator, (t * t) / denominator);
}

/**
 * The regularized incomplete beta function I_x(a, b), with y = 1 - x given separately
 * (Numerical Recipes in C, 2nd ed., §6.4, betai): the continued fraction converges fast for
 * x < (a + 1)/(a + b + 2); beyond, I_x(a, b) = 1 - I_y(b, a).
 */
function regularizedBeta(a: number, b: number, x: number, y: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(y));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, y)) / b;
}

/** Below this a Lentz denominator counts as zero (Numerical Recipes' FPMIN). */
const TINY = 1e-300;

/**
 * The continued fraction for I_x(a, b) (Numerical Recipes §6.4, eq. 6.4.5, betacf), evaluated
 * by the modified Lentz method (§5.2). Converges in O(√max(a, b)) steps.
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const guard = (value: number): number => (Math.abs(value) < TINY ? TINY : value);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let h = d;
  const maxSteps = 10_000 + Math.ceil(10 * Math.sqrt(Math.max(a, b)));
  for (let m = 1; m <= maxSteps; m++) {
    const m2 = 2 * m;
    // The even step.
    let term = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / guard(1 + term * d);
    c = guard(1 + term / c);
    h *= d * c;
    // The odd step.
    term = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / guard(1 + term * d);
    c = guard(1 + term / c);
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The Lanczos coefficients for g = 7, n = 9 (as tabulated by P. Godfrey), good to ~1e-15. */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/**
 * ln Γ(z) for z >= 0.5 by the Lanczos approximation (C. Lanczos, "A precision approximation of
 * the gamma function", SIAM J. Numer. Anal. B 1, 1964; Numerical Recipes §6.1). Here z is
 * always df/2 >= 0.5, ½, or their sum.
 */
function logGamma(z: number): number {
  const shifted = z - 1;
  let series: number = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) series += (LANCZOS[i] as number) / (shifted + i);
  const t = shifted + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}
