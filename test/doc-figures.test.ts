/**
 * Figures in the documentation's prose cannot drift from the result files they come from.
 *
 * A measured figure in README.md or docs/*.md is followed at once by a marker that names the
 * result file, the value and how it is printed:
 *
 *     sq did 461k<!-- figure docs/results/2cpu-spin-iodepth32.json runs[mode=sq,lock=spin,jobs=1].iops count -->
 *
 *   marker   <!-- figure FILE EXPR FORMAT -->
 *   FILE     a JSON file, relative to the repository
 *   EXPR     VALUE, or VALUE / VALUE (a ratio of two values of the file)
 *   VALUE    PATH, min(PATH) or max(PATH)
 *   PATH     steps joined by dots; a step is a field name, then any number of [SELECTOR]:
 *              [3]          the element at that index
 *              [k=v,k2=v2]  the one element whose fields k, k2 print as v, v2 (it must be one)
 *              [*]          every element: the rest of the path applies to each, giving a list
 *                           that min() or max() reduces
 *   FORMAT   how the report prints it (src/report/format.ts): count (461k), ratio (4.78x),
 *            percent (a fraction, 12.4%), ns (a time in ns, 52.0ms), bytes (a rate, 781.3MiB/s)
 *
 * The test recomputes each marked value and checks that the text just before the marker ends
 * with it, printed that way. A figure that is not measured (a paper's, a constant of the code)
 * may instead be followed by `<!-- cited WHERE -->`. In README.md's prose, every figure that
 * looks measured (a number with k, M, x, %, us or ms) must carry one of the two markers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { formatBytesPerSec, formatCount, formatNs, formatPercent, formatRatio } from '../dist/src/report/format.js';
import { REPO_ROOT } from './helpers/commands.js';
import { docFiles, proseOnly, readDoc } from './helpers/markdown.js';

const FORMATS: Readonly<Record<string, (value: number) => string>> = {
  count: formatCount,
  ratio: formatRatio,
  percent: (value) => formatPercent(value),
  ns: formatNs,
  bytes: formatBytesPerSec,
};

/** One `<!-- figure ... -->` marker of a file. */
interface Marker {
  file: string;
  line: number;
  source: string;
  expr: string;
  format: string;
  /** The text before the marker on its line and the lines above. */
  before: string;
}

/** The figure markers of a Markdown text's prose (not its code), with the text before each. */
function markers(file: string, text: string): Marker[] {
  const markdown = proseOnly(text);
  return [...markdown.matchAll(/<!-- figure (\S+) (.+?) (\w+) -->/g)].map((m) => ({
    file,
    line: markdown.slice(0, m.index).split('\n').length,
    source: m[1]!,
    expr: m[2]!,
    format: m[3]!,
    before: markdown.slice(0, m.index),
  }));
}

/** The steps of a PATH: a field name, then its selectors. */
function parsePath(text: string): { name: string; selectors: string[] }[] {
  const steps: { name: string; selectors: string[] }[] = [];
  let i = 0;
  while (i < text.length) {
    const name = /^[\w-]*/.exec(text.slice(i))![0];
    i += name.length;
    const selectors: string[] = [];
    while (text[i] === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) throw new Error(`unclosed [ in ${text}`);
      selectors.push(text.slice(i + 1, close));
      i = close + 1;
    }
    if (name === '' && selectors.length === 0) throw new Error(`empty step in ${text}`);
    steps.push({ name, selectors });
    if (i < text.length) {
      if (text[i] !== '.') throw new Error(`expected . at ${JSON.stringify(text.slice(i))} in ${text}`);
      i++;
    }
  }
  return steps;
}

/** Applies one selector to `value`; `each` is true when it fans out into a list. */
function select(value: unknown, selector: string, where: string): { value: unknown; each: boolean } {
  if (!Array.isArray(value)) throw new Error(`${where}: [${selector}] needs an array`);
  if (selector === '*') return { value, each: true };
  if (/^\d+$/.test(selector)) {
    if (Number(selector) >= value.length) throw new Error(`${where}: no element ${selector}`);
    return { value: value[Number(selector)], each: false };
  }
  const pairs = selector.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new Error(`${where}: [${selector}]: ${pair} is not key=value`);
    return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
  });
  const found = value.filter(
    (element) =>
      typeof element === 'object' &&
      element !== null &&
      pairs.every(([k, v]) => String((element as Record<string, unknown>)[k]) === v),
  );
  if (found.length !== 1) throw new Error(`${where}: [${selector}] matches ${found.length} elements, not one`);
  return { value: found[0], each: false };
}

/** The value (or, after [*], the values) a PATH names in `root`. */
function evaluatePath(root: unknown, text: string): unknown[] {
  let values: unknown[] = [root];
  for (const { name, selectors } of parsePath(text)) {
    values = values.map((value) => {
      if (name === '') return value;
      if (typeof value !== 'object' || value === null || !(name in value)) throw new Error(`${text}: no field ${name}`);
      return (value as Record<string, unknown>)[name];
    });
    for (const selector of selectors) {
      values = values.flatMap((value) => {
        const picked = select(value, selector, text);
        return picked.each ? (picked.value as unknown[]) : [picked.value];
      });
    }
  }
  return values;
}

/** A VALUE: one number, from a PATH or min()/max() of one. */
function evaluateValue(root: unknown, text: string): number {
  const reduce = /^(min|max)\((.+)\)$/.exec(text.trim());
  const values = evaluatePath(root, reduce === null ? text.trim() : reduce[2]!);
  const numbers = values.map((value) => {
    if (typeof value !== 'number') throw new Error(`${text}: ${JSON.stringify(value)} is not a number`);
    return value;
  });
  if (reduce !== null) return reduce[1] === 'min' ? Math.min(...numbers) : Math.max(...numbers);
  if (numbers.length !== 1) throw new Error(`${text}: ${numbers.length} values; reduce them with min() or max()`);
  return numbers[0]!;
}

/** An EXPR: a VALUE, or a ratio of two. */
function evaluate(root: unknown, expr: string): number {
  const [a, b, ...rest] = expr.split(' / ');
  if (rest.length > 0) throw new Error(`${expr}: one / at most`);
  return b === undefined ? evaluateValue(root, a!) : evaluateValue(root, a!) / evaluateValue(root, b);
}

/** The figure a marker's file gives, printed as the marker says. */
function expected(marker: Marker): string {
  const format = FORMATS[marker.format];
  if (format === undefined) {
    throw new Error(`unknown format ${marker.format}; one of ${Object.keys(FORMATS).join(', ')}`);
  }
  const file = path.join(REPO_ROOT, marker.source);
  if (!fs.existsSync(file)) throw new Error(`${marker.source} does not exist`);
  return format(evaluate(JSON.parse(fs.readFileSync(file, 'utf8')), marker.expr));
}

/** Whether `before` ends with `figure` as a whole figure (not the tail of a longer number). */
function endsWithFigure(before: string, figure: string): boolean {
  const text = before.trimEnd();
  return text.endsWith(figure) && !/[\d.]$/.test(text.slice(0, text.length - figure.length));
}

describe('the path language of figure markers', () => {
  const data = {
    runs: [
      { mode: 'sq', jobs: 1, iops: 100, samples: [{ iops: 90 }, { iops: 100 }, { iops: 120 }] },
      { mode: 'mq', jobs: 1, iops: 250, samples: [{ iops: 240 }, { iops: 250 }] },
    ],
    results: [{ name: 'a.b.c', opsPerSec: 3 }],
  };

  it('selects by fields, by index and by [*], reduces with min and max, divides', () => {
    expect(evaluate(data, 'runs[mode=mq,jobs=1].iops')).toBe(250);
    expect(evaluate(data, 'runs[0].samples[2].iops')).toBe(120);
    expect(evaluate(data, 'max(runs[mode=sq].samples[*].iops)')).toBe(120);
    expect(evaluate(data, 'min(runs[*].iops) / max(runs[*].iops)')).toBe(0.4);
    expect(evaluate(data, 'results[name=a.b.c].opsPerSec')).toBe(3);
  });

  it('refuses what it cannot name exactly', () => {
    expect(() => evaluate(data, 'runs[jobs=1].iops')).toThrow('matches 2 elements');
    expect(() => evaluate(data, 'runs[mode=sq].nothing')).toThrow('no field nothing');
    expect(() => evaluate(data, 'runs[*].iops')).toThrow('reduce them');
  });

  it('finds the figure just before a marker', () => {
    expect(endsWithFigure('sq did 461k', '461k')).toBe(true);
    expect(endsWithFigure('sq did 1461k', '461k')).toBe(false);
    expect(endsWithFigure('mq/sq 4.78x ', '4.78x')).toBe(true);
  });
});

describe('figures in README.md and docs/', () => {
  const all = docFiles().flatMap((file) => markers(file, readDoc(file)));

  it('has the README quote a few headline figures, each marked', () => {
    const readme = all.filter((m) => m.file === 'README.md');
    expect(readme.length).toBeGreaterThan(0);
    expect(readme.length).toBeLessThanOrEqual(8);
  });

  for (const marker of all) {
    it(`${marker.file}:${marker.line}: ${marker.expr} of ${marker.source}`, () => {
      const figure = expected(marker);
      const tail = marker.before.trimEnd().slice(-40).split('\n').pop();
      expect(endsWithFigure(marker.before, figure), `the file gives ${figure}; the text says "...${tail}"`).toBe(
        true,
      );
    });
  }

  it("leaves no unmarked figure in README.md's prose", () => {
    const prose = proseOnly(readDoc('README.md'));
    const figure = /(?<![\w.])\d+(?:\.\d+)?(?:[kM]|x|%| ?us| ?ms)(?![\w])/g;
    const unmarked = [...prose.matchAll(figure)]
      .filter((m) => !/^\s*<!-- (?:figure|cited) /.test(prose.slice(m.index + m[0].length)))
      .map((m) => `line ${prose.slice(0, m.index).split('\n').length}: ${m[0]}`);
    expect(unmarked, 'figures without a <!-- figure ... --> or <!-- cited ... --> marker').toEqual([]);
  });
});
