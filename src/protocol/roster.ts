/**
 * The workers of a run, by role and index: the one list that run control's
 * memory, the watchdog and the run itself are laid out by.
 *
 * A run has, in this order: vCPU 0..jobs-1, IO thread 0..iothreads-1, and
 * the null-block device's thread(s). Each worker is named `<role> <index>`
 * in every message (`vcpu 3`, `iothread 0`, `nullblk 0`), and
 * `<role>.<index>` in VBLK_FAILPOINTS.
 */

/** The roles a worker thread plays, in roster order. */
export const ROLES = ['vcpu', 'iothread', 'nullblk'] as const;
export type WorkerRole = (typeof ROLES)[number];

/** How many workers of each role a run has. */
export type RoleCounts = Readonly<Record<WorkerRole, number>>;

/** One worker of a run. */
export interface WorkerId {
  role: WorkerRole;
  index: number;
}

/** Every worker of a run with `counts`, in roster order. */
export function roster(counts: RoleCounts): WorkerId[] {
  return ROLES.flatMap((role) => Array.from({ length: counts[role] }, (_, index) => ({ role, index })));
}

/** Position of a worker in the roster of a run with `counts`. */
export function rosterSlot(counts: RoleCounts, role: WorkerRole, index: number): number {
  let slot = index;
  for (const r of ROLES) {
    if (r === role) return slot;
    slot += counts[r];
  }
  throw new RangeError(`rosterSlot: unknown role ${String(role)}`);
}

/** How many workers a run with `counts` has. */
export function rosterSize(counts: RoleCounts): number {
  return ROLES.reduce((sum, role) => sum + counts[role], 0);
}

/** `vcpu 3`: how messages name a worker. */
export function workerName(worker: WorkerId): string {
  return `${worker.role} ${worker.index}`;
}
