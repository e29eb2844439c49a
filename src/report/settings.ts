/**
 * A run's settings (RunSettings) as people read them: one line of command-line options for
 * the table's header, and the differences that make two runs not comparable, for compare.
 */
import type { RunResult, RunSettings } from './result.js';
import { formatSize } from './format.js';
import { OPTION_NAMES, settingOf, type PointSettings, type SettingSpec } from '../protocol/settings-table.js';

/** The rows a result file records, with the path of each in its `settings`. */
const RECORDED = OPTION_NAMES.map((name) => ({ name, ...settingOf(name) })).flatMap((row) =>
  row.json === undefined ? [] : [{ ...row, path: row.json.split('.'), field: row.field! }],
);

/** A point's settings as its result file records them (`settings`, with schema 3's names). */
export function recordSettings(point: PointSettings): RunSettings {
  const values = point as unknown as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const { path, field, record } of RECORDED) {
    const value = values[field];
    let at = settings;
    for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[path.at(-1)!] = record === undefined ? value : record(value as never);
  }
  return settings as unknown as RunSettings;
}

/** How the settings line writes a recorded value, by the row's `line`. */
const SHOW: Record<NonNullable<SettingSpec['line']>, (recorded: unknown) => string> = {
  value: String,
  size: (recorded) => formatSize(recorded as number),
  'on-off': (recorded) => (recorded === true ? 'on' : 'off'),
};

/** Each setting on the settings line as the option that sets it, and its value as typed. */
function settingItems(s: RunSettings): [option: string, value: string][] {
  return RECORDED.flatMap(({ name, path, line, unset, before }) => {
    if (line === undefined) return [];
    const recorded = path.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], s);
    return [[`--${name}`, recorded === null ? `(${unset})` : SHOW[line](recorded ?? before)]];
  });
}

/** `--bs 4k --iodepth-batch 1 ...`: every setting of a run on one line. */
export function describeSettings(settings: RunSettings): string {
  return settingItems(settings)
    .map(([option, value]) => `${option} ${value}`)
    .join(' ');
}

/** The settings on which `a` and `b` differ, as `--iodepth-batch 1 against 32`; empty when equal. */
export function settingsDifferences(a: RunSettings, b: RunSettings): string[] {
  const theirs = new Map(settingItems(b));
  return settingItems(a).flatMap(([option, value]) => {
    const other = theirs.get(option);
    return other === value ? [] : [`${option} ${value} against ${other}`];
  });
}

/**
 * The settings line above a table of `runs`: `settings: --bs 4k ...`, and a second line naming
 * the runs whose settings differ from the first run's (a sweep's runs share theirs).
 */
export function renderSettings(runs: readonly RunResult[]): string {
  const first = runs[0];
  if (first === undefined) return '';
  const odd = runs.filter((run) => settingsDifferences(first.settings, run.settings).length > 0);
  const note = odd.length === 0 ? '' : `(${odd.length} of ${runs.length} runs have other settings: see the JSON)\n`;
  return `settings: ${describeSettings(first.settings)}\n${note}`;
}
