/**
 * Failpoints: faults injected on purpose, so that tests can prove that every
 * fault ends a run within seconds with a message naming who failed. Off
 * unless the environment variable VBLK_FAILPOINTS is set, e.g.
 *
 *   VBLK_FAILPOINTS=vcpu.3=throw@500ms,iothread.0=exit@200ms
 *
 * Each entry is ROLE.INDEX=ACTION[@TIME]: the worker (vcpu.N, iothread.N,
 * nullblk.0), what it does, and when, counted from the start of each run (the
 * release of the start barrier; default at once). Actions:
 *   throw      the worker throws an Error
 *   exit       the worker thread calls process.exit(1)
 *   hold-lock  (vcpu only) takes its submission ring's lock and never lets go
 *   stall      stops working without a word
 * After hold-lock or stall the worker sits in bounded parks until the run is
 * aborted. An entry whose worker a run does not have (vcpu.3 in a run of 2
 * jobs) does nothing in that run; one due after the run ended never fires.
 *
 * This file is the main-process side: parsing, and picking each worker's
 * failpoint for its task. The worker side is failpoint-trigger.ts.
 */
import { LIMITS } from './options.js';
import { parseDuration, quote } from '../cli/units.js';
import { UsageError } from '../cli/usage-error.js';
import type { WorkerRole } from './run-control.js';

/** The environment variable that sets failpoints. */
export const FAILPOINTS_ENV = 'VBLK_FAILPOINTS';

export const FAIL_ACTIONS = ['throw', 'exit', 'hold-lock', 'stall'] as const;
/** What a failpoint makes its worker do. */
export type FailAction = (typeof FAIL_ACTIONS)[number];

const ROLES: readonly WorkerRole[] = ['vcpu', 'iothread', 'nullblk'];

/** One failpoint: structured-cloneable, it travels in the worker's task. */
export interface Failpoint {
  role: WorkerRole;
  index: number;
  action: FailAction;
  /** When it fires, ms after the start of the run. */
  atMs: number;
}

const ENTRY = /^([a-z]+)\.(\d+)=([a-z-]+)(?:@(.+))?$/;
const SYNTAX_HINT =
  'give ROLE.INDEX=ACTION@TIME entries separated by commas, such as vcpu.3=throw@500ms ' +
  `(roles ${ROLES.join(', ')}; actions ${FAIL_ACTIONS.join(', ')})`;

/** Highest index of each role a run can have. */
const MAX_INDEX: Readonly<Record<WorkerRole, number>> = {
  vcpu: LIMITS.maxJobs - 1,
  iothread: LIMITS.maxIothreads - 1,
  nullblk: 0,
};

/** `vcpu.3=throw@500ms`: a failpoint as it is written. */
export function describeFailpoint(failpoint: Failpoint): string {
  return `${failpoint.role}.${failpoint.index}=${failpoint.action}@${failpoint.atMs}ms`;
}

function bad(entry: string, problem: string, hint = SYNTAX_HINT): UsageError {
  return new UsageError(`${FAILPOINTS_ENV}: ${quote(entry)} ${problem}; ${hint}`);
}

/**
 * Parses the value of VBLK_FAILPOINTS.
 * @param text The variable's value; undefined or blank means no failpoints.
 * @throws UsageError naming VBLK_FAILPOINTS and the bad entry, on one line.
 */
export function parseFailpoints(text: string | undefined): Failpoint[] {
  if (text === undefined || text.trim() === '') return [];
  const failpoints: Failpoint[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const match = ENTRY.exec(entry);
    if (match === null) throw bad(entry, 'is not ROLE.INDEX=ACTION@TIME');
    const [, role = '', indexText = '', action = '', time] = match;
    if (!(ROLES as readonly string[]).includes(role)) throw bad(entry, `has an unknown role ${quote(role)}`);
    if (!(FAIL_ACTIONS as readonly string[]).includes(action)) throw bad(entry, `has an unknown action ${quote(action)}`);
    const worker = role as WorkerRole;
    const index = Number(indexText);
    if (index > MAX_INDEX[worker]) {
      throw bad(entry, `names ${role} ${index}, beyond any run`, `${role} indices run from 0 to ${MAX_INDEX[worker]}`);
    }
    if (action === 'hold-lock' && worker !== 'vcpu') {
      throw bad(entry, 'holds a lock in a role that takes none', 'hold-lock applies to vcpu.N only, which takes its submission ring lock');
    }
    if (failpoints.some((f) => f.role === worker && f.index === index)) {
      throw bad(entry, `sets a second failpoint on ${role}.${index}`, 'give each worker at most one');
    }
    const atMs = time === undefined ? 0 : parseDuration(time, FAILPOINTS_ENV);
    failpoints.push({ role: worker, index, action: action as FailAction, atMs });
  }
  return failpoints;
}

/** The failpoint of one worker, if `failpoints` has one for it. */
export function failpointOf(
  failpoints: readonly Failpoint[] | undefined,
  role: WorkerRole,
  index: number,
): Failpoint | undefined {
  return failpoints?.find((f) => f.role === role && f.index === index);
}
