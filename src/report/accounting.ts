/**
 * Where each role's time goes, per request: the per-thread accounting of a run (ThreadFigures:
 * schedstat's CPU time, and the wait account of src/sync/wait-account.ts) summed over the
 * threads of each role and divided by the requests they handled in the measured window.
 *
 *   cpu      time on a CPU (schedstat), split into
 *     spin   busy-waiting for a lock another thread held
 *     poll   busy-polling for work before parking (QEMU's adaptive polling)
 *     notify inside Atomics.notify calls that had a sleeper to wake (V8 takes a process-wide
 *            mutex for each)
 *     rest   everything else: the request path itself, and the park/wake system calls
 *   parks, wakeups, notifies   per request: how often the role slept, was woken by another
 *            thread, and woke another thread
 *   poll hits  the share of its adaptive poll windows (QEMU's poll-max-ns) that caught work
 *            before the thread parked
 *   signals  per request: the wake-ups it delivered downstream, as the woken threads' bells
 *            counted them, read as QEMU engineers read them: kicks (vCPU to IO thread: VM
 *            exits through the ioeventfd), interrupts (to a vCPU: injected through the irqfd),
 *            the device's completion notices to its IO thread (the AIO eventfd), and the IO
 *            thread's doorbells to the device (io_submit)
 */
import { ROLES, type WorkerRole } from '../protocol/roster.js';
import type { RunResult, ThreadFigures } from './result.js';
import { renderColumns, type Column } from './table.js';
import { formatDecimal, formatNs, formatPercent, MISSING, safeDivide } from './format.js';

/** One role's accounting per request handled. */
export interface RoleAccounting {
  role: WorkerRole;
  threads: number;
  requests: number;
  cpuNs: number;
  spinNs: number;
  pollNs: number;
  notifyNs: number;
  /** cpu - spin - poll - notify; never below 0. */
  restNs: number;
  parks: number;
  wakeups: number;
  notifies: number;
  signals: number;
  /** Of its adaptive poll windows (PollWindow), the share that caught work before parking; NaN without any. */
  pollHitRate: number;
}

function sum(threads: readonly ThreadFigures[], figure: (t: ThreadFigures) => number): number {
  return threads.reduce((total, t) => total + figure(t), 0);
}

/**
 * The wake-ups `role` delivered over the window: from the bells, every thread's wake-ups rung by
 * that role (run-control.ts); in files made before bells counted, the role's own `signals`.
 */
function signalsOf(threads: readonly ThreadFigures[], role: WorkerRole): number {
  if (threads.every((t) => t.woken !== undefined)) return sum(threads, (t) => t.woken![role]);
  return sum(
    threads.filter((t) => t.role === role),
    (t) => t.signals ?? NaN,
  );
}

/**
 * The accounting of each role of `run`, per request, or null when the run has no thread figures
 * (no /proc) or no wait accounts (--breakdown off).
 */
export function roleAccounting(run: RunResult): RoleAccounting[] | null {
  const threads = run.threads;
  if (threads === null || threads.some((t) => t.waits === null)) return null;
  return ROLES.map((role) => {
    const mine = threads.filter((t) => t.role === role);
    const requests = sum(mine, (t) => t.requests);
    const per = (figure: (t: ThreadFigures) => number): number => safeDivide(sum(mine, figure), requests);
    const cpuNs = per((t) => t.cpuNs);
    const spinNs = per((t) => t.waits!.spinNs);
    const pollNs = per((t) => t.waits!.pollNs);
    const notifyNs = per((t) => t.waits!.notifyNs);
    return {
      role,
      threads: mine.length,
      requests,
      cpuNs,
      spinNs,
      pollNs,
      notifyNs,
      restNs: Math.max(0, cpuNs - spinNs - pollNs - notifyNs),
      parks: per((t) => t.waits!.parks),
      wakeups: per((t) => t.waits!.wakeups),
      notifies: per((t) => t.waits!.notifies),
      signals: safeDivide(signalsOf(threads, role), requests),
      pollHitRate: safeDivide(
        sum(mine, (t) => t.waits!.pollHits),
        sum(mine, (t) => t.waits!.pollHits + t.waits!.pollMisses),
      ),
    };
  });
}

/**
 * Kicks and interrupts per request reaped, the figures QEMU engineers read as VM exits and
 * injected interrupts; null without wait accounts. Interrupts come from the IO threads with
 * --completion-path iothread, from the device threads with direct.
 */
export function kicksAndInterrupts(run: RunResult): { kicks: number; interrupts: number } | null {
  if (run.threads === null || run.threads.some((t) => t.waits === null)) return null;
  const reaped = sum(
    run.threads.filter((t) => t.role === 'vcpu'),
    (t) => t.requests,
  );
  const vcpus = run.threads.filter((t) => t.role === 'vcpu');
  if (vcpus.every((t) => t.woken !== undefined)) {
    // Interrupts are the wake-ups of the vCPUs' own bells, whoever posted.
    const interrupts = sum(vcpus, (t) => t.woken!.iothread + t.woken!.nullblk);
    return { kicks: safeDivide(signalsOf(run.threads, 'vcpu'), reaped), interrupts: safeDivide(interrupts, reaped) };
  }
  const poster: WorkerRole = run.settings.completionPath === 'direct' ? 'nullblk' : 'iothread';
  return {
    kicks: safeDivide(sum(vcpus, (t) => t.signals ?? NaN), reaped),
    interrupts: safeDivide(sum(run.threads.filter((t) => t.role === poster), (t) => t.signals ?? NaN), reaped),
  };
}

interface AccountingRow {
  run: RunResult;
  role: RoleAccounting;
}

const perRequest = (value: number): string => (Number.isFinite(value) ? formatDecimal(value, 2) : MISSING);
const time = (value: number): string => (Number.isFinite(value) ? formatNs(value) : MISSING);
const percent = (value: number): string => (Number.isFinite(value) ? formatPercent(value, 0) : MISSING);

const ACCOUNTING_COLUMNS: readonly Column<AccountingRow>[] = [
  { header: 'mode', align: 'left', cell: ({ run }) => run.mode },
  { header: 'lock', align: 'left', cell: ({ run }) => run.lock },
  { header: 'cpus', align: 'right', cell: ({ run }) => String(run.cpus) },
  { header: 'jobs', align: 'right', cell: ({ run }) => String(run.jobs) },
  { header: 'role', align: 'left', cell: ({ role }) => `${role.role} x${role.threads}` },
  { header: 'cpu/req', align: 'right', cell: ({ role }) => time(role.cpuNs) },
  { header: 'spin', align: 'right', cell: ({ role }) => time(role.spinNs) },
  { header: 'poll', align: 'right', cell: ({ role }) => time(role.pollNs) },
  { header: 'notify', align: 'right', cell: ({ role }) => time(role.notifyNs) },
  { header: 'rest', align: 'right', cell: ({ role }) => time(role.restNs) },
  { header: 'parks/req', align: 'right', cell: ({ role }) => perRequest(role.parks) },
  { header: 'wakeups/req', align: 'right', cell: ({ role }) => perRequest(role.wakeups) },
  { header: 'notifies/req', align: 'right', cell: ({ role }) => perRequest(role.notifies) },
  { header: 'signals/req', align: 'right', cell: ({ role }) => perRequest(role.signals) },
  { header: 'poll hits', align: 'right', cell: ({ role }) => percent(role.pollHitRate) },
];

/**
 * The per-role table: three rows per run (vCPU, IO thread, device), then a legend line.
 * Returns '' when no run has accounting.
 */
export function renderAccountingTable(runs: readonly RunResult[]): string {
  const rows = runs.flatMap((run) => (roleAccounting(run) ?? []).map((role) => ({ run, role })));
  if (rows.length === 0) return '';
  return (
    'where each role\'s time goes, per request it handled (cpu = spin + poll + notify + rest):\n' +
    renderColumns(ACCOUNTING_COLUMNS, rows) +
    'signals: kicks (vcpu), interrupts (iothread, or nullblk with --completion-path direct), ' +
    'completion notices to the IO thread (nullblk), doorbells to the device (iothread)\n'
  );
}
