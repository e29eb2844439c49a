/**
 * The command line of `npm run bench`: argv → validated {@link BenchOptions}, and `--help`.
 *
 * One table, {@link SPECS}, drives the parser and the help text. Defaults are written there as
 * the user would type them and go through the same parsers and checks as typed values.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import {
  COMPLETION_PATHS,
  LIMITS,
  LOCK_CHOICES,
  LOCK_SIDES,
  MODES,
  OUTPUT_STYLES,
  AUTO_ROUNDS,
  SUBMIT_MAX,
  type Batching,
  type BenchOptions,
} from '../protocol/options.js';
import { DEFAULT_POLL_MAX_NS } from '../sync/poll-window.js';
import { LOCK_KINDS } from '../sync/lock-base.js';
import { SPIN_THRESHOLD } from '../sync/pv-lock.js';
import {
  formatSize,
  parseDuration,
  parseInteger,
  parseIntList,
  parseNameList,
  parseOneOf,
  parseSize,
  quote,
  usageError,
  type IntBounds,
} from './units.js';
import { UsageError } from './usage-error.js';
import { parseConfidence } from '../report/confidence.js';
import { outputFile, outputFolder, translateParseError } from './common-args.js';
import { parsePin } from './pin-arg.js';
import { readAllowedCpus, tasksetAvailable } from '../protocol/cpu-list.js';

/** What {@link parseBenchArgs} needs to know about the machine it runs on. */
export interface BenchEnv {
  /** Cores available to this process (e.g. `os.availableParallelism()`): the largest `--cpus` value. */
  cores: number;
  /** The CPUs this process may use, sorted, for --pin; default read from /proc (null: unknown). */
  allowedCpus?: readonly number[] | null;
  /** Whether threads can be pinned (Linux with taskset); default found out. */
  canPin?: boolean;
  /**
   * Folder that relative `--json`/`--svg` paths are resolved against; default `process.cwd()`.
   * Under `npm run`, the user's folder is `process.env.INIT_CWD`.
   */
  cwd?: string;
}

/** The outcome of {@link parseBenchArgs}: help was asked for, or the validated options. */
export type BenchArgs = { help: true } | { help: false; options: BenchOptions };

/** One option of the table. */
interface OptionSpec {
  /** Placeholder of its value in `--help` (SIZE, TIME, LIST, N, FILE); absent for a flag. */
  value?: string;
  /** Default as the user would type it; parsed like a typed value. */
  default?: string;
  /** What leaving it out means, in `--help`, when there is no {@link default}. */
  unset?: string;
  /** Meaning and accepted values, in `--help`. */
  help: string;
  /** Another name of the option, as fio has for some (`iodepth_batch` = `iodepth_batch_submit`). */
  alias?: string;
}

const SEED_MAX = 2 ** 32 - 1;
/** The largest --spin-threshold: the locks' own limit on a spin option (spin-budget.ts). */
const SPIN_THRESHOLD_MAX = 1 << 24;
const NS_MAX = LIMITS.maxNs;

/** Every option of `npm run bench`, in `--help` order. */
const SPECS = {
  jobs: {
    value: 'LIST',
    default: '1..8',
    help: `fio numjobs values to sweep (vCPUs issuing I/O), each 1..${LIMITS.maxJobs}`,
  },
  mode: {
    value: 'LIST',
    default: 'both',
    help:
      'sq (one shared ring, one IO thread: QEMU), mq (a ring per vCPU, several IO threads), ' +
      'both (= sq,mq), or a list sq,mq',
  },
  lock: {
    value: 'LIST',
    default: 'spin',
    help:
      `ring guards to compare: ${LOCK_KINDS.join(', ')}, none (lock-free: a single-producer ring per vCPU in mq, ` +
      "in sq a multi-producer ring as DPDK's rte_ring), or a list such as spin,adaptive",
  },
  bs: {
    value: 'SIZE',
    default: '4k',
    help: `block size: a power of two from ${formatSize(LIMITS.minBs)} to ${formatSize(LIMITS.maxBs)}`,
  },
  iodepth: {
    value: 'N',
    default: '1',
    help: `requests in flight per job, 1..${LIMITS.maxIodepth} (the most a virtio ring holds)`,
  },
  'iodepth-batch': {
    value: 'N',
    default: '1',
    alias: 'iodepth-batch-submit',
    help:
      "requests a vCPU pushes per lock acquisition of its ring, each push then kicking the IO thread (fio's " +
      'iodepth_batch_submit); 0 = --iodepth, and more than --iodepth counts as --iodepth, as in fio; ' +
      `0..${LIMITS.maxIodepth}`,
  },
  'iodepth-batch-complete-min': {
    value: 'N',
    default: '1',
    alias: 'iodepth-batch-complete',
    help:
      'with every request in flight, wait for at least this many completions (at least 1); 0 also reaps, ' +
      `without waiting, before each submission (fio's iodepth_batch_complete_min); 0..${LIMITS.maxIodepth}`,
  },
  'iodepth-batch-complete-max': {
    value: 'N',
    unset: 'the min, as in fio',
    help: `completions reaped at most at once (fio's iodepth_batch_complete_max), 0..${LIMITS.maxIodepth}`,
  },
  'iothread-batch': {
    value: 'N',
    default: '1',
    help:
      "requests an IO thread pops per lock acquisition (1 = QEMU's virtqueue_pop, one at a time); it pops " +
      `until its rings are empty either way, handing the device ${SUBMIT_MAX} at a time; 1..${SUBMIT_MAX}`,
  },

  iothreads: {
    value: 'N',
    unset: 'one per vCPU, at most the cores',
    help: `IO threads in mq mode (sq always has one), 1..${LIMITS.maxIothreads}`,
  },
  'device-threads': {
    value: 'N',
    unset: 'one per hardware queue',
    help:
      "null-block device threads (null_blk's submit_queues), the hardware queues spread over them " +
      `round-robin; 1..${LIMITS.maxIothreads}`,
  },
  runtime: { value: 'TIME', default: '3s', help: 'measured time per run, above zero' },
  ramp: { value: 'TIME', default: '1s', help: 'warm-up before each measured run, above zero' },
  size: { value: 'SIZE', default: '1g', help: 'device size: a multiple of --bs, at least --bs' },
  seed: { value: 'N', default: '1', help: `PRNG seed for offsets, 0..${SEED_MAX}` },
  'completion-ns': {
    value: 'N',
    default: '0',
    help: `extra completion delay per request in ns (like null_blk irqmode=2), 0..${NS_MAX}`,
  },
  'guest-ns': {
    value: 'N',
    default: '0',
    help: `CPU time each request costs the vCPU before it enters the ring (guest block layer), ns; 0..${NS_MAX}`,
  },
  'iothread-ns': {
    value: 'N',
    default: '0',
    help: `CPU time each request costs the IO thread after its pop (virtqueue processing), ns; 0..${NS_MAX}`,
  },
  'memory-backed': { unset: 'off', help: 'the device writes a pattern into each buffer and the vCPU checks it' },
  'poll-max-ns': {
    value: 'N',
    default: String(DEFAULT_POLL_MAX_NS),
    help:
      "longest adaptive polling before a waiting thread parks, in ns (QEMU's poll-max-ns; 0 = never poll), " +
      `0..${NS_MAX}`,
  },
  'completion-path': {
    value: 'PATH',
    default: 'iothread',
    help:
      'who posts each completion to its vCPU: iothread (the device hands it back to the IO thread that ' +
      "submitted it, which pushes it to the vCPU's used ring and interrupts the vCPU, as QEMU's IOThread does), " +
      'or direct (the device posts it itself: a shortcut, for comparison)',
  },
  'lock-sides': {
    value: 'SIDES',
    default: 'submit+pop',
    help:
      "which sides take a submission ring's lock: submit+pop (each vCPU push and each IO thread pop, the paper's " +
      'shared queue) or submit+reap (each vCPU push, and each vCPU once per reaping pass as Linux virtblk_done ' +
      'does; the IO thread pops without it, as QEMU virtqueue_pop)',
  },
  'spin-threshold': {
    value: 'N',
    default: String(SPIN_THRESHOLD),
    help:
      "the pv lock's SPIN_THRESHOLD: iterations a queued waiter spins before it parks (Linux's 1 << 15); " +
      `applies to --lock pv; 0..${SPIN_THRESHOLD_MAX}`,
  },
  breakdown: {
    value: 'on|off',
    default: 'on',
    help: 'stage latencies and per-thread accounting; off leaves them out, to measure what they cost',
  },
  repeat: {
    value: 'N|auto',
    default: '1',
    help:
      `runs per point, in interleaved rounds; the median is reported, 1..${LIMITS.maxRepeat}; auto runs ` +
      `${AUTO_ROUNDS.min} rounds, then adds rounds until every mq/sq interval lies within ` +
      `±${AUTO_ROUNDS.tolerance * 100}% of its ratio, or --max-rounds ran`,
  },
  'max-rounds': {
    value: 'N',
    default: String(AUTO_ROUNDS.defaultMax),
    help: `the most rounds --repeat auto runs, ${AUTO_ROUNDS.min}..${LIMITS.maxRepeat}`,
  },
  confidence: {
    value: 'LEVEL',
    default: '0.95',
    help: 'the level of every ratio\'s confidence interval, between 0 and 1 (as 0.9 or 0.99)',
  },
  output: {
    value: 'STYLE',
    default: 'default',
    help:
      'default (one compact table per point, the mq/sq table with intervals and verdicts, and the chart, in ' +
      'at most 100 columns) or wide (every column, the stage and per-role tables too)',
  },
  explain: {
    unset: 'off',
    help:
      'at the one --jobs value given, run for each --lock kind: sq with the lock, mq with one IO thread, mq, ' +
      'and sq lock-free (a multi-producer ring), interleaved with --repeat; print the two steps from sq to mq ' +
      '(a queue per vCPU, more IO threads) and one queue without its lock beside them, each with its interval ' +
      'and verdict, and why, from the runs\' accounting',
  },
  pin: {
    value: 'POLICY',
    default: 'none',
    help:
      'where the worker threads run: none (the kernel places them), split (as fio cpus_allowed_policy=split: ' +
      'vCPU i on CPU i mod C, IO thread and device thread k on CPU k mod C, C = the CPUs this process may use), ' +
      "or CPU sets by role, libvirt's way: vcpus=0-3,iothreads=0-1,device=1; needs Linux and taskset",
  },
  cpus: {
    value: 'LIST',
    unset: 'the cores this process has',
    help: 'core counts to re-run the sweep on, like --jobs; each at most the cores of this machine',
  },
  watchdog: {
    value: 'TIME',
    default: '10',
    help:
      'seconds without progress before a run fails, above zero; a TIME such as 5s also works. It also bounds ' +
      'each run: ramp + runtime + this until STOP, and this for the drain after it',
  },
  json: { value: 'FILE', unset: 'none', help: 'write the results as JSON to FILE; its folder must exist' },
  svg: {
    value: 'FILE',
    unset: 'none',
    help: 'draw IOPS and the lock figures against jobs as SVG to FILE; its folder must exist',
  },
  'fio-json': {
    value: 'DIR',
    unset: 'none',
    help:
      "also write each point in fio's JSON format (--output-format=json, group_reporting) under DIR, a folder " +
      'per series as fio-plot reads them: DIR/<mode>-<lock>-<cpus>cpu/<bs>/randread-<iodepth>-<jobs>.json; ' +
      'DIR is created if missing, in a folder that must exist',
  },
  quiet: { unset: 'off', help: 'show no progress on stderr (results, errors and files written still are)' },
  help: { help: 'show this help and exit' },
} satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof SPECS;
type Values = ReturnType<typeof parseArgs>['values'];

const OPTION_NAMES = Object.keys(SPECS) as OptionName[];
/** Every name the command line takes: the options and their aliases. */
const ACCEPTED_NAMES: readonly string[] = OPTION_NAMES.flatMap((name) => {
  const alias = specOf(name).alias;
  return alias === undefined ? [name] : [name, alias];
});

/** The table as `util.parseArgs` wants it, aliases included. */
const PARSE_CONFIG: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(
  OPTION_NAMES.flatMap((name) => {
    const config = {
      type: specOf(name).value === undefined ? ('boolean' as const) : ('string' as const),
      ...(name === 'help' ? { short: 'h' } : {}),
    };
    const alias = specOf(name).alias;
    return alias === undefined
      ? [[name, config]]
      : [
          [name, config],
          [alias, config],
        ];
  }),
);

/** The spec of `name`, typed so that its optional fields can be read. */
function specOf(name: OptionName): OptionSpec {
  return SPECS[name];
}

/** `--name` */
function flag(name: OptionName): string {
  return `--${name}`;
}

/**
 * Parses and validates the arguments of `npm run bench` (argv without `node` and the script).
 *
 * `--help`/`-h` anywhere wins, even beside a bad option. Options given twice keep the last.
 *
 * @param argv e.g. `process.argv.slice(2)`.
 * @param env The machine: its cores bound `--cpus`; its folder resolves `--json`/`--svg`.
 * @returns `{ help: true }`, or the options with every default filled in, and the output paths
 *   (`--json`, `--svg`, `--fio-json`) resolved against `env.cwd` beside the text typed.
 * @throws UsageError with a one-line message naming the option, the value and what is accepted.
 */
export function parseBenchArgs(argv: readonly string[], env: BenchEnv): BenchArgs {
  const values = readArgv(argv);
  if (values['help'] === true) return { help: true };

  /** The value typed for `name` (or its alias), else its default. */
  const given = (name: OptionName): string | undefined => {
    const { alias, default: fallback } = specOf(name);
    const value = values[name];
    const aliasValue = alias === undefined ? undefined : values[alias];
    if (typeof value === 'string' && typeof aliasValue === 'string') {
      throw new UsageError(`${flag(name)} and --${alias} are one option, given twice; give it once`);
    }
    if (typeof value === 'string') return value;
    return typeof aliasValue === 'string' ? aliasValue : fallback;
  };
  /** {@link given} for an option that has a default. */
  const text = (name: OptionName): string => {
    const value = given(name);
    if (value === undefined) throw new Error(`bench-args: ${flag(name)} has no default`);
    return value;
  };
  const integer = (name: OptionName, bounds: IntBounds): number => parseInteger(text(name), flag(name), bounds);

  const modes = parseNameList(text('mode'), MODES, flag('mode'), { both: MODES });
  const locks = parseNameList(text('lock'), LOCK_CHOICES, flag('lock'));

  const lockSides = parseOneOf(text('lock-sides'), LOCK_SIDES, flag('lock-sides'));
  if (lockSides === 'submit+reap' && locks.every((lock) => lock === 'none')) {
    throw new UsageError('--lock-sides submit+reap needs a lock to take: give --lock a lock kind, not only none');
  }
  const explain = values['explain'] === true;
  if (explain) checkExplain(values, text('jobs'), locks);

  const iothreadsText = given('iothreads');
  const iothreads =
    iothreadsText === undefined
      ? undefined
      : parseInteger(iothreadsText, flag('iothreads'), { min: 1, max: LIMITS.maxIothreads });
  if (iothreadsText !== undefined && !modes.includes('mq') && !explain) {
    throw usageError(
      flag('iothreads'),
      quote(iothreadsText),
      'applies to --mode mq only',
      'sq always has one IO thread',
    );
  }

  const iodepth = integer('iodepth', {
    min: 1,
    max: LIMITS.maxIodepth,
    maxReason: `a virtio ring holds at most ${LIMITS.maxIodepth} requests`,
  });
  const upToIodepth = (name: OptionName, value: string): number =>
    parseInteger(value, flag(name), { min: 0, max: LIMITS.maxIodepth });
  // fio's resolution (init.c): 0 or more than iodepth submits iodepth at once; a complete max
  // below the min is raised to the min, and it defaults to the min.
  const submit = upToIodepth('iodepth-batch', text('iodepth-batch'));
  const completeMin = Math.min(iodepth, upToIodepth('iodepth-batch-complete-min', text('iodepth-batch-complete-min')));
  const maxText = given('iodepth-batch-complete-max');
  const completeMax = maxText === undefined ? completeMin : upToIodepth('iodepth-batch-complete-max', maxText);
  const batching: Batching = {
    submit: submit === 0 ? iodepth : Math.min(submit, iodepth),
    completeMin,
    completeMax: Math.max(1, Math.min(iodepth, Math.max(completeMax, completeMin))),
    iothreadPop: integer('iothread-batch', {
      min: 1,
      max: SUBMIT_MAX,
      maxReason: `an IO thread hands the device at most ${SUBMIT_MAX} requests at once, as QEMU does`,
    }),
  };
  const deviceThreadsText = given('device-threads');
  const deviceThreads =
    deviceThreadsText === undefined
      ? undefined
      : parseInteger(deviceThreadsText, flag('device-threads'), { min: 1, max: LIMITS.maxIothreads });

  const bs = parseBlockSize(text('bs'));
  const cores = Math.max(1, Math.floor(env.cores));
  const cpusText = given('cpus');
  const cwd = env.cwd ?? process.cwd();
  const jsonText = given('json');
  const svgText = given('svg');
  const fioJsonText = given('fio-json');

  const cpus =
    cpusText === undefined
      ? undefined
      : parseIntList(cpusText, flag('cpus'), {
          min: 1,
          max: cores,
          maxReason: `this machine has ${cores} ${cores === 1 ? 'core' : 'cores'}`,
        });
  const canPin = env.canPin ?? tasksetAvailable();
  if (cpus !== undefined && !canPin) {
    throw new UsageError(
      '--cpus: needs the taskset command (util-linux), which was not found; install it or leave out --cpus',
    );
  }

  const options: BenchOptions = {
    jobs: parseIntList(text('jobs'), flag('jobs'), { min: 1, max: LIMITS.maxJobs }),
    modes,
    locks,
    bs,
    iodepth,
    batching,
    iothreads,
    deviceThreads,
    work: {
      guestNs: integer('guest-ns', { min: 0, max: NS_MAX }),
      iothreadNs: integer('iothread-ns', { min: 0, max: NS_MAX }),
    },
    runtimeMs: positiveDuration(text('runtime'), flag('runtime')),
    rampMs: positiveDuration(text('ramp'), flag('ramp')),
    sizeBytes: parseDeviceSize(text('size'), bs),
    seed: integer('seed', { min: 0, max: SEED_MAX }),
    completionNs: integer('completion-ns', { min: 0, max: NS_MAX }),
    memoryBacked: values['memory-backed'] === true,
    pollMaxNs: integer('poll-max-ns', { min: 0, max: NS_MAX }),
    completionPath: parseOneOf(text('completion-path'), COMPLETION_PATHS, flag('completion-path')),
    lockSides,
    spinThreshold: integer('spin-threshold', { min: 0, max: SPIN_THRESHOLD_MAX }),
    breakdown: parseOneOf(text('breakdown'), ['on', 'off'] as const, flag('breakdown')) === 'on',
    ...parseRepeat(argv, text('repeat'), given('max-rounds'), values['max-rounds'] !== undefined),
    confidence: checkedConfidence(text('confidence'), flag('confidence')),
    output: parseOneOf(text('output'), OUTPUT_STYLES, flag('output')),
    explain,
    cpus,
    watchdogS: positiveDuration(text('watchdog'), flag('watchdog')) / 1000,
    pin: parsePin(text('pin'), {
      allowed: env.allowedCpus === undefined ? readAllowedCpus('/proc/self/status') : env.allowedCpus,
      canPin,
      cpuCounts: cpus,
    }),
    json: jsonText === undefined ? undefined : outputFile(jsonText, flag('json'), cwd),
    svg: svgText === undefined ? undefined : outputFile(svgText, flag('svg'), cwd),
    fioJson: fioJsonText === undefined ? undefined : outputFolder(fioJsonText, flag('fio-json'), cwd),
    quiet: values['quiet'] === true,
  };
  return { help: false, options };
}

/**
 * `--repeat N` or `--repeat auto` (with `--max-rounds`): the rounds a sweep runs. `--repeat`
 * given twice is refused rather than the last one silently winning, as `--repeat auto --repeat 5`
 * asks for two things.
 */
function parseRepeat(
  argv: readonly string[],
  repeatText: string,
  maxRoundsText: string | undefined,
  maxRoundsGiven: boolean,
): { repeat: number; repeatAuto?: true; maxRounds?: number } {
  const repeats = argv.filter((arg) => arg === '--repeat' || arg.startsWith('--repeat=')).length;
  if (repeats > 1) throw new UsageError('--repeat is given more than once; give it once: a count, or auto');
  const maxRounds =
    maxRoundsText === undefined
      ? AUTO_ROUNDS.defaultMax
      : parseInteger(maxRoundsText, '--max-rounds', { min: AUTO_ROUNDS.min, max: LIMITS.maxRepeat });
  if (repeatText.trim() === 'auto') return { repeat: AUTO_ROUNDS.min, repeatAuto: true, maxRounds };
  if (maxRoundsGiven) throw new UsageError('--max-rounds goes with --repeat auto; leave it out, or give --repeat auto');
  return { repeat: parseInteger(repeatText, '--repeat', { min: 1, max: LIMITS.maxRepeat }) };
}

/** `--confidence`: a level strictly between 0 and 1 (confidence.ts parseConfidence). */
function checkedConfidence(text: string, name: string): number {
  const level = parseConfidence(text);
  if (level === undefined) {
    throw new UsageError(`${name} must be a level between 0 and 1, such as 0.95, got ${quote(text)}`);
  }
  return level;
}

/**
 * --explain's rules: one job count (its designs compare at one point), lock kinds only (it runs
 * the lock-free design itself), its own modes, and no chart against jobs.
 */
function checkExplain(values: Values, jobsText: string, locks: readonly string[]): void {
  const jobs = parseIntList(jobsText, '--jobs', { min: 1, max: LIMITS.maxJobs });
  if (jobs.length !== 1) {
    const hint = '--explain compares at one, such as --jobs 8';
    throw usageError('--jobs', quote(jobsText), 'gives several job counts', hint);
  }
  if (locks.includes('none')) {
    throw new UsageError('--explain runs the lock-free design itself; give lock kinds only to --lock, such as spin');
  }
  for (const option of ['mode', 'svg'] as const) {
    if (typeof values[option] === 'string') {
      const why = option === 'mode' ? 'it runs sq and mq designs of its own' : 'its designs run at one job count';
      throw new UsageError(`--${option} does not go with --explain: ${why}; leave out --${option}`);
    }
  }
}

/** Runs `util.parseArgs` (strict, no positionals), turning its errors into one-line {@link UsageError}s. */
function readArgv(argv: readonly string[]): Values {
  try {
    return parseArgs({ args: argv, options: PARSE_CONFIG, strict: true, allowPositionals: false }).values;
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return { help: true };
    throw translateParseError(error, argv, ACCEPTED_NAMES);
  }
}

/** A duration in ms that must be above zero (`--runtime`, `--ramp`, `--watchdog`). */
function positiveDuration(text: string, option: string): number {
  const ms = parseDuration(text, option);
  if (ms <= 0) throw usageError(option, quote(text), 'is not above zero', 'give a duration such as 3s or 500ms');
  return ms;
}

/** `--bs`: a power of two from LIMITS.minBs to LIMITS.maxBs (so a multiple of 512). */
function parseBlockSize(text: string): number {
  const bytes = parseSize(text, '--bs');
  const hint = `give a power of two from ${formatSize(LIMITS.minBs)} to ${formatSize(LIMITS.maxBs)}, such as 4k`;
  if (bytes < LIMITS.minBs)
    throw usageError('--bs', quote(text), `is below the minimum ${formatSize(LIMITS.minBs)}`, hint);
  if (bytes > LIMITS.maxBs)
    throw usageError('--bs', quote(text), `is above the maximum ${formatSize(LIMITS.maxBs)}`, hint);
  if ((bytes & (bytes - 1)) !== 0) throw usageError('--bs', quote(text), 'is not a power of two', hint);
  return bytes;
}

/** `--size`: at least `bs` and a multiple of it. */
function parseDeviceSize(text: string, bs: number): number {
  const bytes = parseSize(text, '--size');
  const hint = `give a multiple of --bs ${formatSize(bs)}, such as 1g`;
  if (bytes < bs) throw usageError('--size', quote(text), `is smaller than --bs ${formatSize(bs)}`, hint);
  if (bytes % bs !== 0) throw usageError('--size', quote(text), `is not a multiple of --bs ${formatSize(bs)}`, hint);
  return bytes;
}

/** Width of the option table in `--help`. */
const HELP_WIDTH = 80;

/** A space that {@link wrap} does not break at. */
const NBSP = '\u00a0';

/** Greedy word wrap of `text` into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

/**
 * The text of `npm run bench -- --help`: usage line, every option with its accepted values and
 * default, the value formats, and two examples. Ends with a newline.
 */
export function benchHelpText(): string {
  const rows = OPTION_NAMES.map((name) => {
    const spec = specOf(name);
    const left = `${name === 'help' ? '-h, ' : ''}${flag(name)}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    const shownDefault = spec.default ?? spec.unset;
    // No break inside "(default: X)": its spaces are NBSP until wrapped.
    const suffix = shownDefault === undefined ? '' : ` (default: ${shownDefault})`.replace(/(?!^) /g, NBSP);
    const alias = spec.alias === undefined ? '' : `; also --${spec.alias}`;
    return { left, right: `${spec.help}${alias}${suffix}` };
  });
  const column = Math.max(...rows.map((row) => row.left.length)) + 4;
  const options = rows.flatMap(({ left, right }) =>
    wrap(right, HELP_WIDTH - column)
      .map((line) => line.replaceAll(NBSP, ' '))
      .map((line, i) => (i === 0 ? `  ${left.padEnd(column - 2)}${line}` : `${' '.repeat(column)}${line}`)),
  );
  return [
    'Usage: npm run bench -- [options]',
    '',
    'Sweeps the emulated virtio-blk data plane over jobs x modes x locks.',
    '',
    'Options:',
    ...options,
    '',
    'Values:',
    '  LIST  N, a range low..high (inclusive), or a list such as 1,2,4..6;',
    '        for --mode and --lock, a name or a list of names such as spin,adaptive',
    '  SIZE  bytes: 4096, 512b, 4k, 1m, 1g (binary, as fio: 1k = 1024)',
    '  TIME  3s, 500ms, 1500us, 2m, 1h; a bare number is seconds (as fio runtime)',
    '  POLICY  none, split, or vcpus=CPUS,iothreads=CPUS,device=CPUS with CPU lists as',
    '          taskset -c takes them (0-3,8); a role left out floats',
    '',
    'Examples:',
    '  npm run bench -- --jobs 1..8 --mode both',
    '  npm run bench -- --jobs 1,8 --iodepth 32 --lock spin,adaptive --json out.json --svg out.svg',
    '',
  ].join('\n');
}
