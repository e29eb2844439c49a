/**
 * Every option of `npm run bench`, defined once: its flag, the field that carries it from the
 * options to the worker that reads it (one name all the way down), its unit, default, range, the
 * roles that consume it, its `--help` text, and where a result file records it.
 *
 * Derived from this table: {@link BenchOptions}, the point specification (main-thread/
 * point-spec.ts), each worker role's settings in its task (tasks.ts), the parser's defaults and
 * integer ranges and the `--help` text (cli/bench-args.ts), and a result's `settings` and its
 * settings line (report/settings.ts).
 */
import { LOCK_KINDS } from '../sync/lock-base.js';
import { DEFAULT_POLL_MAX_NS } from '../sync/poll-window.js';
import { SPIN_THRESHOLD } from '../sync/pv-lock.js';
import type { Failpoint } from './failpoint.js';
import type { WorkerRole } from './roster.js';
import {
  AUTO_ROUNDS,
  LIMITS,
  SUBMIT_MAX,
  describePin,
  type CompletionPath,
  type LockKind,
  type LockSides,
  type Mode,
  type OutputPath,
  type OutputStyle,
  type PinPolicy,
} from './options.js';

/** Who reads a setting: a worker role (from its task), or the main thread (sweep, topology, memory). */
export type Consumer = WorkerRole | 'main';

/** An integer option's accepted values; `maxReason` says why the maximum is what it is. */
export interface SettingRange {
  min: number;
  max: number;
  maxReason?: string;
}

/** One row of {@link SETTINGS}. */
export interface SettingSpec {
  /** The options' field that carries it (and the point's and tasks', where it goes there); none for --help. */
  field?: string;
  /** Placeholder of its value in `--help` (SIZE, TIME, LIST, N, FILE); absent for a flag. */
  value?: string;
  /** What one of its numbers counts (`ns`, `requests`, `bytes`), where it is a number. */
  unit?: string;
  /** Default as the user would type it; parsed like a typed value. */
  default?: string;
  /** What leaving it out means, in `--help`, when there is no {@link default}. */
  unset?: string;
  /** Integer bounds the parser checks (each value of a list). */
  range?: SettingRange;
  /** Who reads it. A worker role here puts the field in that role's task. */
  roles: readonly Consumer[];
  /** Carried into every point of a sweep as the options give it. */
  point?: true;
  /** May be left out of options built in code (bench/soak-plan.ts); readers fall back on the default. */
  optional?: true;
  /**
   * Meaning and accepted values, in `--help`; a function where the text shows a size, written as
   * the command line reads it (cli/units.ts formatSize).
   */
  help: string | ((size: (bytes: number) => string) => string);
  /** Another name of the option, as fio has for some (`iodepth_batch` = `iodepth_batch_submit`). */
  alias?: string;
  /**
   * Where a result file's `settings` keeps it, as a path (`batching.iothreadPop`): the JSON names
   * of schema 3, kept so that committed results and `compare` of them keep working.
   */
  json?: string;
  /** Its value as the result file records it, when not as it is. */
  record?: (value: never) => unknown;
  /**
   * How the settings line above a report's tables shows the recorded value (report/settings.ts):
   * as it is, as a size, or as on/off; a recorded null shows as `(unset)`.
   */
  line?: 'value' | 'size' | 'on-off';
  /** What a result file from before this option ran with, shown when the file lacks it. */
  before?: string | number | boolean;
}

/** The type of an option's parsed value: a type only, carried by each row for {@link BenchOptions}. */
declare const VALUE: unique symbol;
type Typed<T> = { readonly [VALUE]: T };

/** A row whose option parses to a `T`. */
function setting<T>() {
  return <const S extends SettingSpec>(spec: S): S & Typed<T> => spec as S & Typed<T>;
}

const SEED_MAX = 2 ** 32 - 1;
/** The largest --spin-threshold: the locks' own limit on a spin option (spin-budget.ts). */
const SPIN_THRESHOLD_MAX = 1 << 24;
const NS_MAX = LIMITS.maxNs;
/** Requests in flight or moved at once, up to a virtio ring's size. */
const UP_TO_IODEPTH = { min: 0, max: LIMITS.maxIodepth } as const;
/** Per-request CPU work or delay, ns. */
const NS_RANGE = { min: 0, max: NS_MAX } as const;
const WORKERS: readonly WorkerRole[] = ['vcpu', 'iothread', 'nullblk'];

/** Every option of `npm run bench`, in `--help` order. */
export const SETTINGS = {
  jobs: setting<number[]>()({
    field: 'jobs',
    value: 'LIST',
    default: '1..8',
    range: { min: 1, max: LIMITS.maxJobs },
    roles: ['main'],
    help: `fio numjobs values to sweep (vCPUs issuing I/O), each 1..${LIMITS.maxJobs}`,
  }),
  mode: setting<Mode[]>()({
    field: 'modes',
    value: 'LIST',
    default: 'both',
    roles: ['main'],
    help:
      'sq (one shared ring, one IO thread: QEMU), mq (a ring per vCPU, several IO threads), ' +
      'both (= sq,mq), or a list sq,mq',
  }),
  lock: setting<LockKind[]>()({
    field: 'locks',
    value: 'LIST',
    default: 'spin',
    roles: ['main'],
    help:
      `ring guards to compare: ${LOCK_KINDS.join(', ')}, none (lock-free: a single-producer ring per vCPU in mq, ` +
      "in sq a multi-producer ring as DPDK's rte_ring), or a list such as spin,adaptive",
  }),
  bs: setting<number>()({
    field: 'bs',
    value: 'SIZE',
    unit: 'bytes',
    default: '4k',
    roles: ['vcpu', 'nullblk'],
    point: true,
    help: (size) => `block size: a power of two from ${size(LIMITS.minBs)} to ${size(LIMITS.maxBs)}`,
    json: 'bs',
    line: 'size',
  }),
  iodepth: setting<number>()({
    field: 'iodepth',
    value: 'N',
    unit: 'requests',
    default: '1',
    range: {
      min: 1,
      max: LIMITS.maxIodepth,
      maxReason: `a virtio ring holds at most ${LIMITS.maxIodepth} requests`,
    },
    roles: ['vcpu', 'nullblk'],
    point: true,
    help: `requests in flight per job, 1..${LIMITS.maxIodepth} (the most a virtio ring holds)`,
  }),
  'iodepth-batch': setting<number>()({
    field: 'iodepthBatch',
    value: 'N',
    unit: 'requests',
    default: '1',
    range: UP_TO_IODEPTH,
    roles: ['vcpu'],
    point: true,
    alias: 'iodepth-batch-submit',
    help:
      "requests a vCPU pushes per lock acquisition of its ring, each push then kicking the IO thread (fio's " +
      'iodepth_batch_submit); 0 = --iodepth, and more than --iodepth counts as --iodepth, as in fio; ' +
      `0..${LIMITS.maxIodepth}`,
    json: 'batching.submit',
    line: 'value',
  }),
  'iodepth-batch-complete-min': setting<number>()({
    field: 'iodepthBatchCompleteMin',
    value: 'N',
    unit: 'requests',
    default: '1',
    range: UP_TO_IODEPTH,
    roles: ['vcpu'],
    point: true,
    alias: 'iodepth-batch-complete',
    help:
      'with every request in flight, wait for at least this many completions (at least 1); 0 also reaps, ' +
      `without waiting, before each submission (fio's iodepth_batch_complete_min); 0..${LIMITS.maxIodepth}`,
    json: 'batching.completeMin',
    line: 'value',
  }),
  'iodepth-batch-complete-max': setting<number>()({
    field: 'iodepthBatchCompleteMax',
    value: 'N',
    unit: 'requests',
    unset: 'the min, as in fio',
    range: UP_TO_IODEPTH,
    roles: ['vcpu'],
    point: true,
    help: `completions reaped at most at once (fio's iodepth_batch_complete_max), 0..${LIMITS.maxIodepth}`,
    json: 'batching.completeMax',
    line: 'value',
  }),
  'iothread-batch': setting<number>()({
    field: 'iothreadBatch',
    value: 'N',
    unit: 'requests',
    default: '1',
    range: {
      min: 1,
      max: SUBMIT_MAX,
      maxReason: `an IO thread hands the device at most ${SUBMIT_MAX} requests at once, as QEMU does`,
    },
    roles: ['iothread'],
    point: true,
    help:
      "requests an IO thread pops per lock acquisition (1 = QEMU's virtqueue_pop, one at a time); it pops " +
      `until its rings are empty either way, handing the device ${SUBMIT_MAX} at a time; 1..${SUBMIT_MAX}`,
    json: 'batching.iothreadPop',
    line: 'value',
  }),
  iothreads: setting<number | undefined>()({
    field: 'iothreads',
    value: 'N',
    unset: 'one per vCPU, at most the cores',
    range: { min: 1, max: LIMITS.maxIothreads },
    roles: ['main'],
    help: `IO threads in mq mode (sq always has one), 1..${LIMITS.maxIothreads}`,
  }),
  'device-threads': setting<number | undefined>()({
    field: 'deviceThreads',
    value: 'N',
    unset: 'one per hardware queue',
    range: { min: 1, max: LIMITS.maxIothreads },
    roles: ['main'],
    point: true,
    help:
      "null-block device threads (null_blk's submit_queues), the hardware queues spread over them " +
      `round-robin; 1..${LIMITS.maxIothreads}`,
    json: 'deviceThreads',
    record: (threads: number | undefined) => threads ?? null,
    line: 'value',
  }),
  runtime: setting<number>()({
    field: 'runtimeMs',
    value: 'TIME',
    unit: 'ms',
    default: '3s',
    roles: ['main'],
    point: true,
    help: 'measured time per run, above zero',
  }),
  ramp: setting<number>()({
    field: 'rampMs',
    value: 'TIME',
    unit: 'ms',
    default: '1s',
    roles: ['main'],
    point: true,
    help: 'warm-up before each measured run, above zero',
  }),
  size: setting<number>()({
    field: 'sizeBytes',
    value: 'SIZE',
    unit: 'bytes',
    default: '1g',
    roles: ['main'],
    point: true,
    help: 'device size: a multiple of --bs, at least --bs',
  }),
  seed: setting<number>()({
    field: 'seed',
    value: 'N',
    default: '1',
    range: { min: 0, max: SEED_MAX },
    roles: ['vcpu'],
    point: true,
    help: `PRNG seed for offsets, 0..${SEED_MAX}`,
  }),
  'guest-ns': setting<number>()({
    field: 'guestNs',
    value: 'N',
    unit: 'ns',
    default: '0',
    range: NS_RANGE,
    roles: ['vcpu'],
    point: true,
    help: `CPU time each request costs the vCPU before it enters the ring (guest block layer), ns; 0..${NS_MAX}`,
    json: 'work.guestNs',
    line: 'value',
  }),
  'iothread-ns': setting<number>()({
    field: 'iothreadNs',
    value: 'N',
    unit: 'ns',
    default: '0',
    range: NS_RANGE,
    roles: ['iothread'],
    point: true,
    help: `CPU time each request costs the IO thread after its pop (virtqueue processing), ns; 0..${NS_MAX}`,
    json: 'work.iothreadNs',
    line: 'value',
  }),
  'completion-ns': setting<number>()({
    field: 'completionNs',
    value: 'N',
    unit: 'ns',
    default: '0',
    range: NS_RANGE,
    roles: ['nullblk'],
    point: true,
    help: `extra completion delay per request in ns (like null_blk irqmode=2), 0..${NS_MAX}`,
    json: 'completionNs',
    line: 'value',
  }),
  'poll-max-ns': setting<number>()({
    field: 'pollMaxNs',
    value: 'N',
    unit: 'ns',
    default: String(DEFAULT_POLL_MAX_NS),
    range: NS_RANGE,
    roles: WORKERS,
    point: true,
    help:
      "longest adaptive polling before a waiting thread parks, in ns (QEMU's poll-max-ns; 0 = never poll), " +
      `0..${NS_MAX}`,
    json: 'pollMaxNs',
    line: 'value',
  }),
  'memory-backed': setting<boolean>()({
    field: 'memoryBacked',
    unset: 'off',
    roles: ['main'],
    point: true,
    help: 'the device writes a pattern into each buffer and the vCPU checks it',
    json: 'memoryBacked',
    line: 'on-off',
  }),
  'completion-path': setting<CompletionPath>()({
    field: 'completionPath',
    value: 'PATH',
    default: 'iothread',
    roles: ['main', 'vcpu', 'nullblk'],
    point: true,
    help:
      'who posts each completion to its vCPU: iothread (the device hands it back to the IO thread that ' +
      "submitted it, which pushes it to the vCPU's used ring and interrupts the vCPU, as QEMU's IOThread does), " +
      'or direct (the device posts it itself: a shortcut, for comparison)',
    json: 'completionPath',
    line: 'value',
    before: 'direct',
  }),
  'lock-sides': setting<LockSides>()({
    field: 'lockSides',
    value: 'SIDES',
    default: 'submit+pop',
    roles: ['main', 'vcpu'],
    point: true,
    help:
      "which sides take a submission ring's lock: submit+pop (each vCPU push and each IO thread pop, the paper's " +
      'shared queue) or submit+reap (each vCPU push, and each vCPU once per reaping pass as Linux virtblk_done ' +
      'does; the IO thread pops without it, as QEMU virtqueue_pop)',
    json: 'lockSides',
    line: 'value',
    before: 'submit+pop',
  }),
  'spin-threshold': setting<number>()({
    field: 'spinThreshold',
    value: 'N',
    default: String(SPIN_THRESHOLD),
    range: { min: 0, max: SPIN_THRESHOLD_MAX },
    roles: ['main'],
    point: true,
    help:
      "the pv lock's SPIN_THRESHOLD: iterations a queued waiter spins before it parks (Linux's 1 << 15); " +
      `applies to --lock pv; 0..${SPIN_THRESHOLD_MAX}`,
    json: 'spinThreshold',
    line: 'value',
    before: SPIN_THRESHOLD,
  }),
  breakdown: setting<boolean>()({
    field: 'breakdown',
    value: 'on|off',
    default: 'on',
    roles: [...WORKERS, 'main'],
    point: true,
    help: 'stage latencies and per-thread accounting; off leaves them out, to measure what they cost',
    json: 'breakdown',
    line: 'on-off',
    before: false,
  }),
  repeat: setting<number>()({
    field: 'repeat',
    value: 'N|auto',
    default: '1',
    range: { min: 1, max: LIMITS.maxRepeat },
    roles: ['main'],
    help:
      `runs per point, in interleaved rounds; the median is reported, 1..${LIMITS.maxRepeat}; auto runs ` +
      `${AUTO_ROUNDS.min} rounds, then adds rounds until every mq/sq interval lies within ` +
      `±${AUTO_ROUNDS.tolerance * 100}% of its ratio, or --max-rounds ran`,
  }),
  'max-rounds': setting<number>()({
    field: 'maxRounds',
    value: 'N',
    default: String(AUTO_ROUNDS.defaultMax),
    range: { min: AUTO_ROUNDS.min, max: LIMITS.maxRepeat },
    roles: ['main'],
    optional: true,
    help: `the most rounds --repeat auto runs, ${AUTO_ROUNDS.min}..${LIMITS.maxRepeat}`,
  }),
  confidence: setting<number>()({
    field: 'confidence',
    value: 'LEVEL',
    default: '0.95',
    roles: ['main'],
    optional: true,
    help: 'the level of every ratio\'s confidence interval, between 0 and 1 (as 0.9 or 0.99)',
  }),
  output: setting<OutputStyle>()({
    field: 'output',
    value: 'STYLE',
    default: 'default',
    roles: ['main'],
    optional: true,
    help:
      'default (one compact table per point, the mq/sq table with intervals and verdicts, and the chart, in ' +
      'at most 100 columns) or wide (every column, the stage and per-role tables too)',
  }),
  explain: setting<boolean>()({
    field: 'explain',
    unset: 'off',
    roles: ['main'],
    help:
      'at the one --jobs value given, run for each --lock kind: sq with the lock, mq with one IO thread, mq, ' +
      'and sq lock-free (a multi-producer ring), interleaved with --repeat; print the two steps from sq to mq ' +
      '(a queue per vCPU, more IO threads) and one queue without its lock beside them, each with its interval ' +
      'and verdict, and why, from the runs\' accounting',
  }),
  pin: setting<PinPolicy>()({
    field: 'pin',
    value: 'POLICY',
    default: 'none',
    roles: ['main'],
    point: true,
    help:
      'where the worker threads run: none (the kernel places them), split (as fio cpus_allowed_policy=split: ' +
      'vCPU i on CPU i mod C, IO thread and device thread k on CPU k mod C, C = the CPUs this process may use), ' +
      "or CPU sets by role, libvirt's way: vcpus=0-3,iothreads=0-1,device=1; needs Linux and taskset",
    json: 'pin',
    record: (pin: PinPolicy) => describePin(pin),
  }),
  cpus: setting<number[] | undefined>()({
    field: 'cpus',
    value: 'LIST',
    unset: 'the cores this process has',
    roles: ['main'],
    help: 'core counts to re-run the sweep on, like --jobs; each at most the cores of this machine',
  }),
  watchdog: setting<number>()({
    field: 'watchdogS',
    value: 'TIME',
    unit: 's',
    default: '10',
    roles: ['main'],
    help:
      'seconds without progress before a run fails, above zero; a TIME such as 5s also works. It also bounds ' +
      'each run: ramp + runtime + this until STOP, and this for the drain after it',
  }),
  json: setting<OutputPath | undefined>()({
    field: 'json',
    value: 'FILE',
    unset: 'none',
    roles: ['main'],
    help: 'write the results as JSON to FILE; its folder must exist',
  }),
  svg: setting<OutputPath | undefined>()({
    field: 'svg',
    value: 'FILE',
    unset: 'none',
    roles: ['main'],
    help: 'draw IOPS and the lock figures against jobs as SVG to FILE; its folder must exist',
  }),
  'fio-json': setting<OutputPath | undefined>()({
    field: 'fioJson',
    value: 'DIR',
    unset: 'none',
    roles: ['main'],
    help:
      "also write each point in fio's JSON format (--output-format=json, group_reporting) under DIR, a folder " +
      'per series as fio-plot reads them: DIR/<mode>-<lock>-<cpus>cpu/<bs>/randread-<iodepth>-<jobs>.json; ' +
      'DIR is created if missing, in a folder that must exist',
  }),
  trace: setting<OutputPath | undefined>()({
    field: 'trace',
    value: 'FILE',
    unset: 'none',
    roles: ['main'],
    optional: true,
    help:
      'write a timeline of --trace-window of each point\'s first run as Trace Event Format JSON, for ' +
      'ui.perfetto.dev or chrome://tracing: every thread, lock holds and waits, polls, parks, wake-ups as ' +
      'arrows, every 64th request\'s path (docs/model.md, trace events). One point: FILE itself; several ' +
      'points (or --cpus): one file per point, the point added before the extension (t.json -> ' +
      't-sq-spin-2cpu-8j-qd32.json); its folder must exist; needs --breakdown on',
  }),
  'trace-svg': setting<OutputPath | undefined>()({
    field: 'traceSvg',
    value: 'FILE',
    unset: 'none',
    roles: ['main'],
    optional: true,
    help:
      'draw the same window as swimlanes in SVG, 2 ms around the longest wait for a ring\'s lock; files named ' +
      'as --trace\'s',
  }),
  'trace-window': setting<number>()({
    field: 'traceWindowMs',
    value: 'TIME',
    unit: 'ms',
    default: '20ms',
    roles: ['main'],
    optional: true,
    help: 'how much of the measured window --trace and --trace-svg record, from its start; at most --runtime',
  }),
  quiet: setting<boolean>()({
    field: 'quiet',
    unset: 'off',
    roles: ['main'],
    help: 'show no progress on stderr (results, errors and files written still are)',
  }),
  help: { roles: [], help: 'show this help and exit' },
} satisfies Record<string, SettingSpec>;

/** An option's name: its flag without the dashes. */
export type OptionName = keyof typeof SETTINGS;
type Row = (typeof SETTINGS)[OptionName];

/** The rows that carry a field, and of those, the ones carried into each point. */
type FieldRow = Extract<Row, { field: string }>;
type OptionalRow = Extract<FieldRow, { optional: true }>;
type PointRow = Extract<FieldRow, { point: true }>;
type ValueOf<R> = R extends Typed<infer T> ? T : never;
type FieldsOf<R extends FieldRow> = { [E in R as E['field']]: ValueOf<E> };

/**
 * The options of one bench invocation, after parsing and validation: a field per option of
 * {@link SETTINGS}, and the few things that are set otherwise.
 */
export type BenchOptions = FieldsOf<Exclude<FieldRow, OptionalRow>> &
  Partial<FieldsOf<OptionalRow>> & {
    /**
     * `--repeat auto`: after `repeat` rounds, add rounds until every mq/sq interval lies within
     * ±10% of its ratio, or `maxRounds` rounds ran (src/main-thread/sweep.ts).
     */
    repeatAuto?: boolean;
    /** Faults to inject, from the environment variable VBLK_FAILPOINTS (tests only; see failpoint.ts). */
    failpoints?: Failpoint[];
    /** Where ring indices start; not an option, `npm run soak` sets it near 2^32 to cross the wrap. */
    initialIndex?: number;
  };

/** The settings every point of a sweep takes from the options as they are. */
export type PointSettings = FieldsOf<PointRow>;

/** The point rows whose roles include every one of `R` (not distributed: `[R]`). */
type RowsFor<R extends Consumer, E extends PointRow = PointRow> = E extends unknown
  ? [R] extends [E['roles'][number]]
    ? E
    : never
  : never;

/** The settings every worker finds in its task (--poll-max-ns, --breakdown). */
export type WorkerSettings = FieldsOf<RowsFor<WorkerRole>>;
/**
 * The settings a worker of `role` finds in its task: those whose row names the role (the
 * {@link WorkerSettings} among them, said again for a role not yet known).
 */
export type RoleSettings<R extends WorkerRole> = FieldsOf<RowsFor<R>> & WorkerSettings;

/** Every row, typed so that its optional parts can be read. */
export function settingOf(name: OptionName): SettingSpec {
  return SETTINGS[name];
}

export const OPTION_NAMES = Object.keys(SETTINGS) as OptionName[];

/** The rows carried into every point. */
const POINT_ROWS = OPTION_NAMES.map(settingOf).filter((row) => row.point === true);

/** The fields of `rows`, with their values in `from`. */
function fieldsOf(rows: readonly SettingSpec[], from: object): Record<string, unknown> {
  const values = from as Record<string, unknown>;
  return Object.fromEntries(rows.map(({ field }) => [field!, values[field!]]));
}

/** The settings of a point as the options give them. */
export function pointSettings(options: BenchOptions): PointSettings {
  return fieldsOf(POINT_ROWS, options) as PointSettings;
}

/** A worker role's settings, from a point's. */
export function roleSettings<R extends WorkerRole>(role: R, point: PointSettings): RoleSettings<R> {
  return fieldsOf(
    POINT_ROWS.filter((row) => row.roles.includes(role)),
    point,
  ) as RoleSettings<R>;
}
