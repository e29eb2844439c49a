/**
 * Reading failpoints from the environment variable VBLK_FAILPOINTS, e.g.
 *
 *   VBLK_FAILPOINTS=vcpu.3=throw@500ms,iothread.0=exit@200ms
 *
 * Each entry is ROLE.INDEX=ACTION[@TIME]: the worker (vcpu.N, iothread.N,
 * nullblk.N), what it does (src/protocol/failpoint.ts lists the actions), and
 * when, counted from the start of each run (the release of the start
 * barrier; default at once). An entry whose worker a run does not have
 * (vcpu.3 in a run of 2 jobs) does nothing in that run; one due after the
 * run ended never fires. Off unless the variable is set.
 */
import { LIMITS } from '../protocol/options.js';
import { FAIL_ACTIONS, LOCK_ACTIONS, type FailAction, type Failpoint } from '../protocol/failpoint.js';
import { ROLES, type WorkerRole } from '../protocol/roster.js';
import { parseDuration, quote } from './units.js';
import { UsageError } from './usage-error.js';

/** The environment variable that sets failpoints. */
export const FAILPOINTS_ENV = 'VBLK_FAILPOINTS';

const ENTRY = /^([a-z]+)\.(\d+)=([a-z-]+)(?:@(.+))?$/;
const SYNTAX_HINT =
  'give ROLE.INDEX=ACTION@TIME entries separated by commas, such as vcpu.3=throw@500ms ' +
  `(roles ${ROLES.join(', ')}; actions ${FAIL_ACTIONS.join(', ')})`;

/** Highest index of each role a run can have. */
const MAX_INDEX: Readonly<Record<WorkerRole, number>> = {
  vcpu: LIMITS.maxJobs - 1,
  iothread: LIMITS.maxIothreads - 1,
  nullblk: LIMITS.maxIothreads - 1, // a device thread per hardware queue, at most
};

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
    if (!(FAIL_ACTIONS as readonly string[]).includes(action))
      throw bad(entry, `has an unknown action ${quote(action)}`);
    const worker = role as WorkerRole;
    const index = Number(indexText);
    if (index > MAX_INDEX[worker]) {
      throw bad(entry, `names ${role} ${index}, beyond any run`, `${role} indices run from 0 to ${MAX_INDEX[worker]}`);
    }
    if (LOCK_ACTIONS.includes(action as FailAction) && worker !== 'vcpu') {
      const hint = `${action} applies to vcpu.N only, which takes its submission ring lock`;
      throw bad(entry, 'holds a lock in a role that takes none', hint);
    }
    if (failpoints.some((f) => f.role === worker && f.index === index)) {
      throw bad(entry, `sets a second failpoint on ${role}.${index}`, 'give each worker at most one');
    }
    const atMs = time === undefined ? 0 : parseDuration(time, FAILPOINTS_ENV);
    failpoints.push({ role: worker, index, action: action as FailAction, atMs });
  }
  return failpoints;
}
