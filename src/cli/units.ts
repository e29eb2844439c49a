/**
 * Pure parsers for command-line values: sizes, durations, integers, integer lists and name lists.
 *
 * Every parser takes the option's name (e.g. `--bs`) so that its {@link UsageError} says, on one
 * line, which option was wrong, the value given and what is accepted:
 * `--bs: "3q" is not a size; give bytes such as 4096, 512b, 4k, 1m or 1g (1k = 1024)`.
 */
import { UsageError } from './usage-error.js';
import { formatSize, SIZE_SHIFT } from '../report/format.js';

/** Inclusive bounds of an integer value. */
export interface IntBounds {
  min: number;
  max: number;
  /** Why `max` is the maximum, said when a value is above it, e.g. `this machine has 4 cores`. */
  maxReason?: string;
}

/** The longest list {@link parseIntList} expands, so that `1..1000000000` fails rather than eats memory. */
const MAX_LIST_LENGTH = 10_000;

const INTEGER = /^[+-]?\d+$/;
const SIZE = /^(\d+)\s*(b|[kmgtp](?:i?b)?)?$/i;
const DURATION = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|s|m|h)?$/i;
const LIST_ITEM = /^([+-]?\d+)(?:\.\.([+-]?\d+))?$/;

/** Milliseconds per duration unit. */
const MS_PER_UNIT: Readonly<Record<string, number>> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const SIZE_HINT = 'give bytes such as 4096, 512b, 4k, 1m or 1g (1k = 1024)';
const DURATION_HINT = 'give a duration such as 3s, 500ms, 1500us, 2m or 1h (a bare number is seconds)';

/**
 * The error every parser throws: `<option>: <what> <problem>; <hint>`.
 *
 * @param option The option as typed, e.g. `--jobs`.
 * @param what The bad value, already quoted, e.g. `"8..1"` or `"65" in "1,65"`.
 * @param problem What is wrong with it, e.g. `is a reversed range`.
 * @param hint What is accepted, e.g. `give low..high such as 1..8`.
 */
export function usageError(option: string, what: string, problem: string, hint: string): UsageError {
  return new UsageError(`${option}: ${what} ${problem}; ${hint}`);
}

/** `text` in double quotes, with anything odd escaped, so that the message stays one line. */
export function quote(text: string): string {
  return JSON.stringify(text);
}

/** How a part of a list value is named in a message: `"65"`, or `"65" in "1,65"` when the list has more. */
function quotePart(part: string, whole: string): string {
  return part === whole.trim() ? quote(whole) : `${quote(part)} in ${quote(whole)}`;
}

/** `an integer from 1 to 64` */
function describeBounds(bounds: IntBounds): string {
  return `an integer from ${bounds.min} to ${bounds.max}`;
}

/**
 * What is wrong with `value` against `bounds`, or undefined when nothing is. The one range check
 * behind every integer option.
 */
function rangeProblem(value: number, bounds: IntBounds): string | undefined {
  if (!Number.isInteger(value)) return 'is not an integer';
  if (value < bounds.min) return `is below the minimum ${bounds.min}`;
  if (value > bounds.max) {
    return bounds.maxReason === undefined
      ? `is above the maximum ${bounds.max}`
      : `is above ${bounds.max}: ${bounds.maxReason}`;
  }
  return undefined;
}

/**
 * Checks that `value` is an integer within `bounds` and returns it.
 *
 * @param shown How the value is named in the message; by default the value in quotes.
 * @throws UsageError e.g. `--iodepth: "1025" is above the maximum 1024; give an integer from 1 to 1024`.
 */
function checkIntRange(value: number, option: string, bounds: IntBounds, shown = quote(String(value))): number {
  const problem = rangeProblem(value, bounds);
  if (problem !== undefined) throw usageError(option, shown, problem, `give ${describeBounds(bounds)}`);
  return value;
}

/**
 * Parses a decimal integer (`42`, `+3`, `-1`) and checks it against `bounds`.
 *
 * @throws UsageError when `text` is not an integer or is out of bounds.
 */
export function parseInteger(text: string, option: string, bounds: IntBounds): number {
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) {
    throw usageError(option, quote(text), 'is not an integer', `give ${describeBounds(bounds)}`);
  }
  return checkIntRange(Number(trimmed), option, bounds, quote(text));
}

/**
 * Parses a size in bytes: a whole number with an optional binary suffix, as fio does:
 * `4096`, `512b`, `4k`/`4K`/`4kb`/`4KiB` (4096), `1m`, `1g`, `1t`, `1p`.
 *
 * Bounds (power of two, at least the block size, ...) are the caller's to check.
 *
 * @throws UsageError when `text` is not a size or exceeds 2^53 bytes.
 */
export function parseSize(text: string, option: string): number {
  const match = SIZE.exec(text.trim());
  if (match === null) throw usageError(option, quote(text), 'is not a size', SIZE_HINT);
  const unit = (match[2] ?? 'b').charAt(0).toLowerCase();
  const bytes = Number(match[1]) * 2 ** (SIZE_SHIFT[unit] ?? 0);
  if (!Number.isSafeInteger(bytes)) throw usageError(option, quote(text), 'is too large', SIZE_HINT);
  return bytes;
}

export { formatSize };

/**
 * Parses a duration into milliseconds: `3s`, `500ms`, `1500us` (1.5), `2m`, `1h`, `0.5s`.
 * A bare number is seconds, as fio's `runtime` reads it.
 *
 * Zero is returned as 0; callers that need a positive duration check that.
 *
 * @throws UsageError when `text` is not a duration, is negative, or is too large.
 */
export function parseDuration(text: string, option: string): number {
  const match = DURATION.exec(text.trim());
  if (match === null) throw usageError(option, quote(text), 'is not a duration', DURATION_HINT);
  const [, sign, amount, unit = 's'] = match;
  const ms = Number(amount) * (MS_PER_UNIT[unit.toLowerCase()] ?? 1000);
  if (sign === '-' && ms !== 0) throw usageError(option, quote(text), 'is negative', DURATION_HINT);
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) {
    throw usageError(option, quote(text), 'is too large', DURATION_HINT);
  }
  return ms;
}

/**
 * Parses a list of integers as `--jobs` takes it: `4`, an inclusive range `1..8`, a list
 * `1,2,4,8`, or a mix `1,2,4..6` (→ 1,2,4,5,6).
 *
 * The user's order is kept and nothing is dropped: duplicates stay. A reversed range (`8..1`),
 * values outside `bounds` (by default 1 and up, so zero and negatives fail), non-integers and
 * empty items are errors.
 *
 * @throws UsageError naming the bad item, e.g. `--jobs: "8..1" is a reversed range; give low..high such as 1..8`.
 */
export function parseIntList(
  text: string,
  option: string,
  bounds: IntBounds = { min: 1, max: Number.MAX_SAFE_INTEGER },
): number[] {
  const hint = `give N, low..high or a list such as 1,2,4..6, each ${describeBounds(bounds)}`;
  if (text.trim() === '') throw usageError(option, quote(text), 'is empty', hint);
  const values: number[] = [];
  for (const rawItem of text.split(',')) {
    const item = rawItem.trim();
    const match = LIST_ITEM.exec(item);
    if (match === null) {
      const problem = item === '' ? 'has an empty item' : 'is not an integer or a range low..high';
      throw usageError(option, item === '' ? quote(text) : quotePart(item, text), problem, hint);
    }
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    for (const end of [low, high]) {
      const problem = rangeProblem(end, bounds);
      if (problem !== undefined) throw usageError(option, quotePart(String(end), text), problem, hint);
    }
    if (high < low) {
      throw usageError(option, quotePart(item, text), 'is a reversed range', `give low..high such as ${high}..${low}`);
    }
    if (values.length + (high - low + 1) > MAX_LIST_LENGTH) {
      throw usageError(option, quote(text), `has more than ${MAX_LIST_LENGTH} values`, hint);
    }
    for (let value = low; value <= high; value++) values.push(value);
  }
  return values;
}

/** One name out of `allowed` (`--completion-path iothread`), case-insensitive. */
export function parseOneOf<T extends string>(text: string, allowed: readonly T[], option: string): T {
  const item = text.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(item)) return item as T;
  const problem = item === '' ? 'is empty' : 'is not known';
  throw usageError(option, quote(text), problem, `give one of ${allowed.join(', ')}`);
}

/**
 * Parses a comma-separated list of names, e.g. `--lock spin,adaptive`. Names are case-insensitive;
 * an alias stands for several names (`both` → `sq,mq`). Order is kept and duplicates stay.
 *
 * @param allowed The accepted names, in the order `--help` lists them.
 * @param aliases Extra names that expand to several allowed ones.
 * @throws UsageError naming the unknown item and listing what is accepted.
 */
export function parseNameList<T extends string>(
  text: string,
  allowed: readonly T[],
  option: string,
  aliases: Readonly<Record<string, readonly T[]>> = {},
): T[] {
  const names = [...allowed, ...Object.keys(aliases)].join(', ');
  const hint = `give one of ${names}, or a list such as ${allowed.slice(0, 2).join(',')}`;
  if (text.trim() === '') throw usageError(option, quote(text), 'is empty', hint);
  const result: T[] = [];
  for (const rawItem of text.split(',')) {
    const item = rawItem.trim().toLowerCase();
    const expansion = Object.hasOwn(aliases, item) ? aliases[item] : undefined;
    if (expansion !== undefined) {
      result.push(...expansion);
    } else if ((allowed as readonly string[]).includes(item)) {
      result.push(item as T);
    } else {
      const what = item === '' ? quote(text) : quotePart(rawItem.trim(), text);
      throw usageError(option, what, item === '' ? 'has an empty item' : 'is not known', hint);
    }
  }
  return result;
}
