/**
 * The options of one bench invocation, after parsing and validation, with
 * the value lists and limits they are checked against.
 *
 * `src/cli/bench-args.ts` turns argv into this; `src/main-thread/` runs it.
 * Every size is in bytes, every time in the unit its name says.
 */
import { LOCK_KINDS } from '../sync/lock-base.js';
import type { Failpoint } from './failpoint.js';
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

/** Limits stated in `--help` and enforced by the parser. */
/** What the bench prints: `default` fits in 100 columns; `wide` is every table and column. */
export const OUTPUT_STYLES = ['default', 'wide'] as const;
export type OutputStyle = (typeof OUTPUT_STYLES)[number];

/** `--repeat auto`: the fewest rounds, the default most, and how narrow an interval must be (±10%). */
export const AUTO_ROUNDS = { min: 3, defaultMax: 10, tolerance: 0.1 } as const;

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
 * How requests are batched along the path, each with the name of the real knob it follows.
 * Resolved by the parser: every value is what a run uses.
 */
export interface Batching {
  /**
   * fio `iodepth_batch_submit` (`--iodepth-batch`): requests a vCPU pushes per lock acquisition
   * of its submission ring, each push followed by a kick. 1..iodepth; fio's 0 means iodepth.
   */
  submit: number;
  /**
   * fio `iodepth_batch_complete_min`: with every request in flight, the vCPU waits until at
   * least max(1, this) completions are there ("if the queue is full, we MUST reap at least 1
   * event", fio backend.c). 0 also makes it check for completions, without waiting, before
   * each submission, as fio does. 0..iodepth.
   */
  completeMin: number;
  /**
   * fio `iodepth_batch_complete_max`: completions reaped at most at once. fio's default is the
   * min (init.c raises a max below the min to the min), so 1.
   */
  completeMax: number;
  /**
   * `--iothread-batch`: requests an IO thread pops per lock acquisition, 1..SUBMIT_MAX. 1 =
   * QEMU's virtqueue_pop, one request at a time; either way it pops until its rings are empty
   * and hands the device SUBMIT_MAX requests at a time.
   */
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

/** Per-request CPU time burnt in a role, ns: a busy loop against the clock, for what-if runs. */
export interface RoleWork {
  /** The guest block layer and virtio driver, in the vCPU, before the request enters the ring. */
  guestNs: number;
  /** Virtqueue processing and a share of io_submit, in the IO thread, after the pop. */
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

/** fio's defaults: submit each I/O as it is ready; reap at least 1 and at most 1 at once. */
export const DEFAULT_BATCHING: Batching = { submit: 1, completeMin: 1, completeMax: 1, iothreadPop: 1 };

export interface BenchOptions {
  /** fio numjobs values to sweep (`--jobs 1..8` or `1,2,4,8`). */
  jobs: number[];
  /** Modes to run at every point (`--mode sq|mq|both`, or a list `sq,mq`). */
  modes: Mode[];
  /** Ring guards to run at every point (`--lock spin,adaptive`). */
  locks: LockKind[];
  /** Block size in bytes (`--bs 4k`): a power-of-two multiple of 512. */
  bs: number;
  /** Requests in flight per job (`--iodepth`). */
  iodepth: number;
  /** How requests are batched along the path (`--iodepth-batch`, ...). */
  batching: Batching;
  /** IO threads in mq mode; undefined = one per vCPU, capped at the cores available. sq always has one. */
  iothreads: number | undefined;
  /** Device threads (`--device-threads`); undefined = one per hardware queue, as null_blk's submit_queues. */
  deviceThreads: number | undefined;
  /** CPU time burnt per request in each vCPU (`--guest-ns`) and IO thread (`--iothread-ns`), ns. */
  work: RoleWork;
  /** Where the worker threads run (`--pin`). */
  pin: PinPolicy;
  /** Measured time per run (`--runtime 3s`). */
  runtimeMs: number;
  /** Warm-up excluded from the figures (`--ramp 1s`). */
  rampMs: number;
  /** Device size in bytes (`--size 1g`); offsets are uniform and bs-aligned within it. */
  sizeBytes: number;
  /** PRNG seed for offsets (`--seed`). */
  seed: number;
  /** Extra completion delay in ns per request (`--completion-ns`, like null_blk irqmode=2). */
  completionNs: number;
  /** The device writes a pattern into each vCPU's buffer and the vCPU checks it (`--memory-backed`). */
  memoryBacked: boolean;
  /** Ceiling of every waiting thread's polling window, ns (`--poll-max-ns`, QEMU's poll-max-ns); 0 = never poll. */
  pollMaxNs: number;
  /** Who posts completions to the vCPUs (`--completion-path`). */
  completionPath: CompletionPath;
  /** Which sides take a submission ring's lock (`--lock-sides`). */
  lockSides: LockSides;
  /**
   * The pv lock's SPIN_THRESHOLD (`--spin-threshold`): iterations a queued waiter spins before it
   * parks; Linux's is 1 << 15 (arch/x86/include/asm/spinlock.h).
   */
  spinThreshold: number;
  /**
   * Stage stamps and per-thread accounting (`--breakdown on|off`): off leaves them out, to
   * measure what they cost.
   */
  breakdown: boolean;
  /** Runs per point; the median is reported (`--repeat`). With `--repeat auto`, the fewest rounds (3). */
  repeat: number;
  /**
   * `--repeat auto`: after `repeat` rounds, add rounds until every mq/sq interval lies within
   * ±10% of its ratio, or `maxRounds` rounds ran (src/main-thread/sweep.ts).
   */
  repeatAuto?: boolean;
  /** `--max-rounds`: the most rounds `--repeat auto` runs (default 10). */
  maxRounds?: number;
  /** `--confidence`: the level of every interval the report prints (default 0.95). */
  confidence?: number;
  /** `--output`: `default` (fits 100 columns) or `wide` (every table and column). */
  output?: OutputStyle;
  /**
   * `--explain`: run the designs of src/main-thread/explain.ts at the one job count given, and
   * report each step's share of mq/sq.
   */
  explain: boolean;
  /** Core counts to re-run the sweep on (`--cpus 1,2`); undefined = the cores this process has. */
  cpus: number[] | undefined;
  /** Seconds without progress before the watchdog fails the run (`--watchdog`). */
  watchdogS: number;
  /** Faults to inject, from the environment variable VBLK_FAILPOINTS (tests only; see failpoint.ts). */
  failpoints?: Failpoint[];
  /** Where ring indices start; not an option, `npm run soak` sets it near 2^32 to cross the wrap. */
  initialIndex?: number;
  /** Write results as JSON here (`--json FILE`). */
  json: OutputPath | undefined;
  /** Draw IOPS and the lock figures against jobs as SVG here (`--svg FILE`). */
  svg: OutputPath | undefined;
  /** Write each point in fio's JSON format under this folder (`--fio-json DIR`), created if missing. */
  fioJson: OutputPath | undefined;
  /** No progress on stderr (`--quiet`). */
  quiet: boolean;
}
