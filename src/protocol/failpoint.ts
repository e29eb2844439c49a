/**
 * A failpoint: a fault injected on purpose into one worker, so that tests
 * can prove that every fault ends a run within seconds with a message naming
 * who failed. Set with the environment variable VBLK_FAILPOINTS (parsed by
 * src/cli/failpoints-env.ts), carried to the worker in its task, and fired
 * there (workers/support/armed-failpoint.ts).
 *
 * Actions:
 *   throw            the worker throws an Error
 *   exit             the worker thread calls process.exit(1)
 *   hold-lock        (vcpu only) takes its submission ring's lock and never lets go
 *   exit-holding-lock (vcpu only) takes that lock, then exits without releasing it
 *   slow-lock        (vcpu only) from then on holds its ring's lock for SLOW_LOCK_MS once per
 *                    loop turn, and goes on working: lock contention on demand
 *   stall            stops working without a word
 *   stall-in-drain   stalls once its time has come and the run is past STOP: a drain that
 *                    cannot finish (for the tests of the run's bounds and of a stop signal)
 * After hold-lock, stall or stall-in-drain the worker sits in bounded parks until the run is
 * aborted.
 */
import type { WorkerRole } from './roster.js';

export const FAIL_ACTIONS = [
  'throw',
  'exit',
  'hold-lock',
  'exit-holding-lock',
  'slow-lock',
  'stall',
  'stall-in-drain',
] as const;
/** What a failpoint makes its worker do. */
export type FailAction = (typeof FAIL_ACTIONS)[number];

/** The actions that take the vCPU's submission ring lock: vCPUs only, and not with --lock none. */
export const LOCK_ACTIONS: readonly FailAction[] = ['hold-lock', 'exit-holding-lock', 'slow-lock'];

/** How long slow-lock holds the lock each time, ms. */
export const SLOW_LOCK_MS = 1;

/** One failpoint: structured-cloneable, it travels in the worker's task. */
export interface Failpoint {
  role: WorkerRole;
  index: number;
  action: FailAction;
  /** When it fires, ms after the start of the run. */
  atMs: number;
}

/** `vcpu.3=throw@500ms`: a failpoint as it is written. */
export function describeFailpoint(failpoint: Failpoint): string {
  return `${failpoint.role}.${failpoint.index}=${failpoint.action}@${failpoint.atMs}ms`;
}

/** The failpoint of one worker, if `failpoints` has one for it. */
export function failpointOf(
  failpoints: readonly Failpoint[] | undefined,
  role: WorkerRole,
  index: number,
): Failpoint | undefined {
  return failpoints?.find((f) => f.role === role && f.index === index);
}
