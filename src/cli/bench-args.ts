/**
 * The command line of `npm run bench`: argv → validated {@link BenchOptions}, and `--help`.
 *
 * The table of settings (src/protocol/settings-table.ts) drives the parser and the help text:
 * defaults are written there as the user would type them and go through the same parsers and
 * checks as typed values, and each integer option's range is checked as it states it.
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
} from '../protocol/options.js';
import { OPTION_NAMES, settingOf, type BenchOptions, type OptionName } from '../protocol/settings-table.js';
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

type Values = ReturnType<typeof parseArgs>['values'];

/** Every name the command line takes: the options and their aliases. */
const ACCEPTED_NAMES: readonly string[] = OPTION_NAMES.flatMap((name) => {
  const alias = settingOf(name).alias;
  return alias === undefined ? [name] : [name, alias];
});

/** The table as `util.parseArgs` wants it, aliases included. */
const PARSE_CONFIG: NonNullable<ParseArgsConfig['options']> = Object.fromEntries(
  OPTION_NAMES.flatMap((name) => {
    const config = {
      type: settingOf(name).value === undefined ? ('boolean' as const) : ('string' as const),
      ...(name === 'help' ? { short: 'h' } : {}),
    };
    const alias = settingOf(name).alias;
    return alias === undefined
      ? [[name, config]]
      : [
          [name, config],
          [alias, config],
        ];
  }),
);

/** The integer range of `name`, from the table. */
function rangeOf(name: OptionName): IntBounds {
  const { range } = settingOf(name);
  if (range === undefined) throw new Error(`bench-args: ${flag(name)} has no range`);
  return range;
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
    const { alias, default: fallback } = settingOf(name);
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
  /** The integer given for `name` (or its default), in the table's range. */
  const integer = (name: OptionName, value = text(name)): number => parseInteger(value, flag(name), rangeOf(name));
  /** {@link integer} for an option without a default: undefined when it is not given. */
  const optionalInteger = (name: OptionName): number | undefined => {
    const value = given(name);
    return value === undefined ? undefined : integer(name, value);
  };

  const modes = parseNameList(text('mode'), MODES, flag('mode'), { both: MODES });
  const locks = parseNameList(text('lock'), LOCK_CHOICES, flag('lock'));

  const lockSides = parseOneOf(text('lock-sides'), LOCK_SIDES, flag('lock-sides'));
  if (lockSides === 'submit+reap' && locks.every((lock) => lock === 'none')) {
    throw new UsageError('--lock-sides submit+reap needs a lock to take: give --lock a lock kind, not only none');
  }
  const explain = values['explain'] === true;
  if (explain) checkExplain(values, text('jobs'), locks);

  const iothreads = optionalInteger('iothreads');
  if (iothreads !== undefined && !modes.includes('mq') && !explain) {
    throw usageError(
      flag('iothreads'),
      quote(text('iothreads')),
      'applies to --mode mq only',
      'sq always has one IO thread',
    );
  }

  const iodepth = integer('iodepth');
  // fio's resolution (init.c): 0 or more than iodepth submits iodepth at once; a complete max
  // below the min is raised to the min, and it defaults to the min.
  const submit = integer('iodepth-batch');
  const completeMin = Math.min(iodepth, integer('iodepth-batch-complete-min'));
  const completeMax = optionalInteger('iodepth-batch-complete-max') ?? completeMin;

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
    jobs: parseIntList(text('jobs'), flag('jobs'), rangeOf('jobs')),
    modes,
    locks,
    bs,
    iodepth,
    iodepthBatch: submit === 0 ? iodepth : Math.min(submit, iodepth),
    iodepthBatchCompleteMin: completeMin,
    iodepthBatchCompleteMax: Math.max(1, Math.min(iodepth, Math.max(completeMax, completeMin))),
    iothreadBatch: integer('iothread-batch'),
    iothreads,
    deviceThreads: optionalInteger('device-threads'),
    guestNs: integer('guest-ns'),
    iothreadNs: integer('iothread-ns'),
    runtimeMs: positiveDuration(text('runtime'), flag('runtime')),
    rampMs: positiveDuration(text('ramp'), flag('ramp')),
    sizeBytes: parseDeviceSize(text('size'), bs),
    seed: integer('seed'),
    completionNs: integer('completion-ns'),
    memoryBacked: values['memory-backed'] === true,
    pollMaxNs: integer('poll-max-ns'),
    completionPath: parseOneOf(text('completion-path'), COMPLETION_PATHS, flag('completion-path')),
    lockSides,
    spinThreshold: integer('spin-threshold'),
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
    ...parseTrace(given('trace'), given('trace-svg'), text('trace-window'), cwd),
    quiet: values['quiet'] === true,
  };
  checkTrace(options);
  return { help: false, options };
}

/** A trace is drawn from the stamps and the wait account, and records the measured window only. */
function checkTrace(options: BenchOptions): void {
  if (options.trace === undefined && options.traceSvg === undefined) return;
  if (!options.breakdown) {
    throw new UsageError(
      '--trace and --trace-svg need --breakdown on: the stamps and the wait account are what they draw',
    );
  }
  const windowMs = options.traceWindowMs ?? 0;
  if (windowMs > options.runtimeMs) {
    throw new UsageError(
      `--trace-window ${windowMs} ms is longer than --runtime ${options.runtimeMs} ms: ` +
        'it records the measured window only',
    );
  }
}

/** --trace, --trace-svg and --trace-window: the files (checked like --json's) and the window. */
function parseTrace(
  traceText: string | undefined,
  svgText: string | undefined,
  windowText: string,
  cwd: string,
): Pick<BenchOptions, 'trace' | 'traceSvg' | 'traceWindowMs'> {
  return {
    trace: traceText === undefined ? undefined : outputFile(traceText, flag('trace'), cwd),
    traceSvg: svgText === undefined ? undefined : outputFile(svgText, flag('trace-svg'), cwd),
    traceWindowMs: positiveDuration(windowText, flag('trace-window')),
  };
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
      : parseInteger(maxRoundsText, flag('max-rounds'), rangeOf('max-rounds'));
  if (repeatText.trim() === 'auto') return { repeat: AUTO_ROUNDS.min, repeatAuto: true, maxRounds };
  if (maxRoundsGiven) throw new UsageError('--max-rounds goes with --repeat auto; leave it out, or give --repeat auto');
  return { repeat: parseInteger(repeatText, flag('repeat'), rangeOf('repeat')) };
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
  const jobs = parseIntList(jobsText, flag('jobs'), rangeOf('jobs'));
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
    const spec = settingOf(name);
    const left = `${name === 'help' ? '-h, ' : ''}${flag(name)}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    const shownDefault = spec.default ?? spec.unset;
    // No break inside "(default: X)": its spaces are NBSP until wrapped.
    const suffix = shownDefault === undefined ? '' : ` (default: ${shownDefault})`.replace(/(?!^) /g, NBSP);
    const alias = spec.alias === undefined ? '' : `; also --${spec.alias}`;
    const help = typeof spec.help === 'string' ? spec.help : spec.help(formatSize);
    return { left, right: `${help}${alias}${suffix}` };
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
