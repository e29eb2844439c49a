/**
 * A run's settings (RunSettings) as people read them: one line of command-line options for
 * the table's header, and the differences that make two runs not comparable, for compare.
 */
import type { RunResult, RunSettings } from './result.js';
import { formatSize } from './format.js';
import { SPIN_THRESHOLD } from '../sync/pv-lock.js';

/** Each setting as the option that sets it, and its value as typed. */
function settingItems(s: RunSettings): [option: string, value: string][] {
  return [
    ['--bs', formatSize(s.bs)],
    ['--iodepth-batch', String(s.batching.submit)],
    ['--iodepth-batch-complete-min', String(s.batching.completeMin)],
    ['--iodepth-batch-complete-max', String(s.batching.completeMax)],
    ['--iothread-batch', String(s.batching.iothreadPop)],
    ['--device-threads', s.deviceThreads === null ? '(one per hardware queue)' : String(s.deviceThreads)],
    ['--guest-ns', String(s.work.guestNs)],
    ['--iothread-ns', String(s.work.iothreadNs)],
    ['--completion-ns', String(s.completionNs)],
    ['--poll-max-ns', String(s.pollMaxNs)],
    ['--memory-backed', s.memoryBacked ? 'on' : 'off'],
    // Files from before these options ran with the paths they stand for today's defaults of.
    ['--completion-path', s.completionPath ?? 'direct'],
    ['--lock-sides', s.lockSides ?? 'submit+pop'],
    ['--spin-threshold', String(s.spinThreshold ?? SPIN_THRESHOLD)],
    ['--breakdown', (s.breakdown ?? false) ? 'on' : 'off'],
  ];
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
