/**
 * The value lists and limits the bench's options are checked against, and the types of their
 * values. The options themselves are defined once, in settings-table.ts (BenchOptions);
 * `src/cli/bench-args.ts` parses argv into them and `src/main-thread/` runs them.
 * Every size is in bytes, every time in the unit its name says.
 */
import { LOCK_KINDS } from '../sync/lock-base.js';
import { ROLES, type WorkerRole } from './roster.js';
import { formatCpuList } from './cpu-list.js';

/**
 * Queue topology: `sq` = one shared submission ring drained by one IO thread
 * (QEMU's data plane); `mq` = one ring per vCPU and several IO threads (the
 * paper's design).
 */
export const MODES = ['sq', 'mq'] as const;
export type Mode = (typeof MODES)[number];

/**
 * The values of --lock: a lock kind guards the submission rings, `none`
 * leaves them lock-free (single-producer rings in mq, a multi-producer ring in
 * sq: see submissionRingShape in topology.ts).
 */
export const LOCK_CHOICES = [...LOCK_KINDS, 'none'] as const;
export type LockKind = (typeof LOCK_CHOICES)[number];

/**
 * Who posts a completion into the vCPU's used ring (--completion-path):
 *   iothread  the device hands each completion back to the IO thread that submitted it (one
 *             completion queue per hardware queue), and that IO thread, in the same loop as
 *             its submissions, pushes it to the vCPU and interrupts the vCPU if it sleeps, as
 *             QEMU's IOThread reaps linux-aio/io_uring completions and runs
 *             virtio_blk_req_complete (virtqueue_push, then the irqfd)
 *   direct    the device posts it to the vCPU itself: a shortcut that skips the IO thread
 */
export const COMPLETION_PATHS = ['iothread', 'direct'] as const;
export type CompletionPath = (typeof COMPLETION_PATHS)[number];

/**
 * Which sides take a submission ring's lock (--lock-sides):
 *   submit+pop   the vCPU for each push, the IO thread for each pop: the IO thread's pops stand
 *                in for the guest's reaping acquisitions, as in the paper's description (the IO
 *                thread "periodically tries to hold the lock")
 *   submit+reap  the vCPU for each push and once per reaping pass (as Linux's virtblk_done takes
 *                the virtqueue lock once per interrupt); the IO thread pops without it, as
 *                QEMU's virtqueue_pop takes no guest lock
 */
export const LOCK_SIDES = ['submit+pop', 'submit+reap'] as const;
export type LockSides = (typeof LOCK_SIDES)[number];

/** What the bench prints: `default` fits in 100 columns; `wide` is every table and column. */
export const OUTPUT_STYLES = ['default', 'wide'] as const;
export type OutputStyle = (typeof OUTPUT_STYLES)[number];

/** `--repeat auto`: the fewest rounds, the default most, and how narrow an interval must be (±10%). */
export const AUTO_ROUNDS = { min: 3, defaultMax: 10, tolerance: 0.1 } as const;

/** Limits stated in `--help` and enforced by the parser (settings-table.ts). */
export const LIMITS = {
  maxJobs: 64,
  maxIodepth: 1024, // virtio's largest queue size
  minBs: 512,
  maxBs: 1024 * 1024,
  maxIothreads: 64,
  maxRepeat: 100,
  /** Longest per-request CPU work (--guest-ns, --iothread-ns, --completion-ns), ns: 1 s. */
  maxNs: 1_000_000_000,
} as const;

/**
 * How requests are batched along the path, as a result file's `settings` records it (schema 3;
 * settings-table.ts maps each field to its option): `submit` is --iodepth-batch, `completeMin`
 * and `completeMax` are --iodepth-batch-complete-min/-max, `iothreadPop` is --iothread-batch.
 */
export interface Batching {
  submit: number;
  completeMin: number;
  completeMax: number;
  iothreadPop: number;
}

/**
 * Where the worker threads run (--pin):
 *   none   the kernel places them, as with an unpinned QEMU
 *   split  like fio's cpus_allowed_policy=split: vCPU i on CPU i mod C, IO thread k and device
 *          thread k on CPU k mod C, C being the CPUs this process may use (in order)
 *   sets   libvirt's vcpupin/iothreadpin/emulatorpin: each thread of a role takes the next CPU
 *          of its role's set, round-robin; a role without a set floats on every CPU
 */
export type PinPolicy =
  | { kind: 'none' }
  | { kind: 'split' }
  | { kind: 'sets'; sets: Partial<Record<WorkerRole, number[]>> };

/** The word of each role in a --pin set (`vcpus=0-3,iothreads=0-1,device=1`). */
export const PIN_ROLE_WORDS: Readonly<Record<WorkerRole, string>> = {
  vcpu: 'vcpus',
  iothread: 'iothreads',
  nullblk: 'device',
};

/** A policy as --pin takes it: `none`, `split`, or `vcpus=0-3,iothreads=0-1,device=1`. */
export function describePin(pin: PinPolicy): string {
  if (pin.kind !== 'sets') return pin.kind;
  return ROLES.flatMap((role) => {
    const cpus = pin.sets[role];
    return cpus === undefined ? [] : [`${PIN_ROLE_WORDS[role]}=${formatCpuList(cpus)}`];
  }).join(',');
}

/**
 * Per-request CPU time burnt in a role, ns, as a result file's `settings` records it: `guestNs` is
 * --guest-ns, `iothreadNs` is --iothread-ns.
 */
export interface RoleWork {
  guestNs: number;
  iothreadNs: number;
}

/**
 * Most requests an IO thread hands the device at once: QEMU's virtio-blk gathers at most
 * VIRTIO_BLK_MAX_MERGE_REQS (32) requests per submission, and linux-aio submits at most
 * aio-max-batch (32 by default) per io_submit. Also the most --iothread-batch can pop at once.
 */
export const SUBMIT_MAX = 32;

/**
 * A file or folder named on the command line (`--json out.json`): where to write, and the path as
 * the user typed it, which is what messages echo and result files record, so that a relative path
 * stays relative and names nothing of the machine.
 */
export interface OutputPath {
  /** Absolute: resolved against the folder the command was run from. */
  path: string;
  /** As typed. */
  given: string;
}

