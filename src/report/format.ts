/**
 * Number formatting for everything a user reads: tables, charts, SVG, compare.
 *
 * Every helper returns {@link MISSING} for a value that is not a finite number,
 * so callers never print `NaN` or `Infinity`.
 */

/** What a cell shows when there is no value: no matching run, no lock, division by zero. */
export const MISSING = '-';

/** A ladder of units: `base` apart, with how many decimals a scaled value gets. */
interface UnitLadder {
  base: number;
  units: readonly string[];
  /** Decimals for `scaled` (already divided down) at `unitIndex`. */
  decimals(scaled: number, unitIndex: number): number;
}

/** 3 significant digits in scaled units (`1.23M`, `12.3k`, `123k`); plain below 1000. */
const COUNT_LADDER: UnitLadder = {
  base: 1000,
  units: ['', 'k', 'M', 'G', 'T', 'P'],
  decimals: (scaled, unitIndex) => (unitIndex === 0 ? 0 : significantDecimals(scaled, 3)),
};

const NS_LADDER: UnitLadder = {
  base: 1000,
  units: ['ns', 'us', 'ms', 's'],
  decimals: (_scaled, unitIndex) => (unitIndex === 0 ? 0 : 1),
};

const BYTES_PER_SEC_LADDER: UnitLadder = {
  base: 1024,
  units: ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s'],
  decimals: (_scaled, unitIndex) => (unitIndex === 0 ? 0 : 1),
};

/** Decimals that give `digits` significant digits for a value in [1, 1000). */
function significantDecimals(scaled: number, digits: number): number {
  const integerDigits = Math.abs(scaled) < 1 ? 1 : Math.floor(Math.log10(Math.abs(scaled))) + 1;
  return Math.max(0, digits - integerDigits);
}

/** The unit index whose range holds `value`, before rounding. */
function unitIndexFor(value: number, ladder: UnitLadder): number {
  let index = 0;
  let magnitude = Math.abs(value);
  while (magnitude >= ladder.base && index < ladder.units.length - 1) {
    magnitude /= ladder.base;
    index++;
  }
  return index;
}

/** Formats `value` at `unitIndex` of `ladder`, without choosing the unit. */
function formatAt(value: number, ladder: UnitLadder, unitIndex: number): string {
  const scaled = value / ladder.base ** unitIndex;
  return scaled.toFixed(ladder.decimals(scaled, unitIndex));
}

/**
 * Formats `value` in the largest unit of `ladder` that keeps it at or above 1,
 * moving up one unit when rounding reaches the next one (`999.96us` prints `1.0ms`).
 */
function formatScaled(value: number, ladder: UnitLadder): string {
  if (!Number.isFinite(value)) return MISSING;
  let index = unitIndexFor(value, ladder);
  let text = formatAt(value, ladder, index);
  if (Math.abs(Number(text)) >= ladder.base && index < ladder.units.length - 1) {
    index++;
    text = formatAt(value, ladder, index);
  }
  return text + ladder.units[index];
}

/**
 * A count with an SI suffix and 3 significant digits: `1234567` → `1.23M`, `45678` → `45.7k`.
 * Below 1000, integers print as they are and fractions with up to 3 significant digits (`0.25`).
 */
export function formatCount(value: number): string {
  if (Number.isFinite(value) && Math.abs(value) < 1000 && !Number.isInteger(value)) {
    return String(Number(value.toPrecision(3)));
  }
  return formatScaled(value, COUNT_LADDER);
}

/** An axis label: {@link formatCount} without trailing zeros after the point (`1.00M` → `1M`, `2.50M` → `2.5M`). */
export function formatTick(value: number): string {
  return formatCount(value).replace(/\.(\d*?)0+(?=\D*$)/, (_match, kept: string) => (kept === '' ? '' : `.${kept}`));
}

/** Binary exponent of each size suffix, as fio reads and writes them (kb_base=1024). */
export const SIZE_SHIFT: Readonly<Record<string, number>> = { b: 0, k: 10, m: 20, g: 30, t: 40, p: 50 };

/**
 * Writes bytes with the largest binary suffix that divides them exactly, the way the command
 * line reads them back (parseSize): 4096 → `4k`, 1048576 → `1m`, 1000 → `1000`.
 */
export function formatSize(bytes: number): string {
  for (const unit of ['p', 't', 'g', 'm', 'k']) {
    const scale = 2 ** (SIZE_SHIFT[unit] ?? 0);
    if (bytes !== 0 && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return String(bytes);
}

/** A duration in nanoseconds: `850ns`, `12.9us`, `8.1ms`, `2.5s`. */
export function formatNs(ns: number): string {
  return formatScaled(ns, NS_LADDER);
}

/**
 * A duration a person set or waited, in milliseconds: whole seconds as `3 s`, anything else as
 * `500 ms` or `1500 ms`, so that it reads back as the option that set it was typed.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING;
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A count and its noun: `1 point`, `3 points`, `0 rounds` (nouns that take an s). */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A bandwidth in binary units, one decimal: `512B/s`, `781.3MiB/s`, `1.2GiB/s`. */
export function formatBytesPerSec(bytesPerSec: number): string {
  return formatScaled(bytesPerSec, BYTES_PER_SEC_LADDER);
}

/** A fraction as a percentage: `0.1234` → `12.3%`. */
export function formatPercent(fraction: number, decimals = 1): string {
  if (!Number.isFinite(fraction)) return MISSING;
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/** A ratio of two figures: `2.345` → `2.35x`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return MISSING;
  return `${ratio.toFixed(2)}x`;
}

/** A plain number with fixed decimals (`0.998` for a fairness index). */
export function formatDecimal(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return MISSING;
  return value.toFixed(decimals);
}

/** `numerator / denominator`, or NaN (which every formatter prints as {@link MISSING}) when the denominator is 0. */
export function safeDivide(numerator: number, denominator: number): number {
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

/**
 * `text` folded at spaces into lines of at most `width` columns, every line after the first
 * indented by `indent`; a word longer than a line stands alone. For the default output, which
 * fits in 100 columns.
 */
export function wrapText(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (next.length > width && line !== '') {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = next;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

/** Columns the default output of the bench keeps within. */
export const OUTPUT_WIDTH = 100;
