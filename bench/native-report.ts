/**
 * The text `npm run bench:native` prints for one Node version: each case's rates on both sides,
 * the ratio ours/native with its paired interval, and each target as MET or MISSED with its
 * figures. A missed target is printed like a met one, never left out.
 */
import { formatRatio as formatInterval, pairedRatio, type RatioInterval } from '../src/report/confidence.js';
import { formatCount } from '../src/report/format.js';
import { median } from '../src/report/stats.js';
import { renderAligned } from '../src/report/table.js';
import type { NativeCaseName, Peer, Side } from './native-protocol.js';
import { isMtCase, type MtCaseName } from './native-mt.js';

/** What ours/native should reach, per case (issue 30, item 5). */
export const TARGETS: Readonly<Record<NativeCaseName, number>> = {
  'lock.uncontended': 1.5,
  'lock.contended.t2': 1.2,
  'lock.contended.t4': 1.2,
  'condition.ping-pong': 1,
};

/** One case's rounds on one Node version. */
interface CaseRounds {
  name: NativeCaseName | MtCaseName;
  /** Whose primitive `theirs` measured: V8's, or the `multithreading` package's. */
  peer: Peer;
  /** What a rate counts: lock/unlock pairs, or ping-pong round trips, per second. */
  unit: string;
  /** Rates per round, round i of ours paired with round i of theirs. */
  ours: number[];
  theirs: number[];
  /** The side that ran first in each round (ABBA: ours, theirs, theirs, ours, ...). */
  first: Side[];
}

/** A case's ratio ours/native and its target. */
export interface CaseOutcome extends CaseRounds {
  ratio: RatioInterval;
  /** None for the mt.* cases: issue 30 sets targets against V8's primitives only. */
  target: number | null;
  /** The point ratio reaches the target. */
  met: boolean;
  /** The whole interval lies at or above the target (false without an interval). */
  clear: boolean;
}

/** The ratio ours/theirs (theirs as a, ours as b) and the verdict on its target. */
export function outcomeOf(rounds: CaseRounds): CaseOutcome {
  const ratio = pairedRatio(rounds.theirs, rounds.ours);
  const target = isMtCase(rounds.name) ? null : TARGETS[rounds.name];
  if (target === null) return { ...rounds, ratio, target, met: true, clear: true };
  return { ...rounds, ratio, target, met: ratio.ratio >= target, clear: ratio.ciLow !== null && ratio.ciLow >= target };
}

/** A case as the JSON file keeps it: the peer's rates under its own name (`native`, `multithreading`). */
export function outcomeJson(o: CaseOutcome): Record<string, unknown> {
  const { theirs, peer, first, ...rest } = o;
  return { ...rest, [peer]: theirs, first: first.map((side) => (side === 'ours' ? 'ours' : peer)) };
}

/** The table of one version: medians of each side, and the paired ratio with its interval. */
export function renderOutcomes(outcomes: readonly CaseOutcome[], level: string, peer: Peer = 'native'): string {
  return renderAligned(
    ['case', 'unit', 'ours (median)', `${peer} (median)`, `ours/${peer} (${level} paired interval)`],
    outcomes.map((o) => [
      o.name,
      o.unit,
      formatCount(median(o.ours)),
      formatCount(median(o.theirs)),
      formatInterval(o.ratio),
    ]),
    ['left', 'left', 'right', 'right', 'left'],
  );
}

/** Every round's rates, so that a reader can see the spread the interval summarises. */
export function renderRounds(outcomes: readonly CaseOutcome[]): string {
  const rounds = outcomes[0]?.ours.map((_, i) => `round ${i + 1}`) ?? [];
  const rows = outcomes.flatMap((o) =>
    (['ours', 'theirs'] as const).map((side) => [
      o.name,
      side === 'ours' ? side : o.peer,
      ...o[side].map(formatCount),
    ]),
  );
  return renderAligned(['case', 'side', ...rounds], rows, ['left', 'left', ...rounds.map(() => 'right' as const)]);
}

/** One MET/MISSED line per case. */
export function renderTargets(outcomes: readonly CaseOutcome[]): string {
  return outcomes
    .filter((o) => o.target !== null)
    .map((o) => {
      const clears = o.clear ? 'its interval clears it' : 'its interval does not';
      const where = o.ratio.ciLow === null ? 'no interval' : clears;
      const figures = `ours/native ${formatInterval(o.ratio)}`;
      return `  ${o.met ? 'MET   ' : 'MISSED'}  ${o.name}: ${figures}; target >= ${o.target}x (${where})`;
    })
    .join('\n');
}
