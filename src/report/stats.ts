/**
 * The median, defined once for every figure a report or result file gives as one.
 *
 * The median of n values is the middle one of them sorted; for an even n, the mean of the two
 * middle ones (the textbook definition, and the one bench:micro's ringbuf.js comparison and
 * bench:native's tables have always used). Where the median must be one of the items rather than
 * a number between two of them (a point's median run, whose latency bins and thread figures
 * cannot be averaged), {@link medianItem} takes the lower of the two middle items instead.
 * docs/bench.md says the same under "Medians".
 */

/** The median of `values` (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The item whose `value` is the median of `items`: for an even count the lower of the two middle
 * ones, since an item cannot be averaged. `items` must not be empty (RangeError).
 */
export function medianItem<T>(items: readonly T[], value: (item: T) => number): T {
  if (items.length === 0) throw new RangeError('the median of no items');
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  return sorted[(sorted.length - 1) >> 1]!;
}
