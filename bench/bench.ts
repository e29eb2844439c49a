/**
 * `npm run bench`: the emulator's sweep, printed as tables and a chart, and
 * written as JSON and SVG on request.
 *
 * With --cpus the sweep is re-run once per core count, each time in a child
 * process pinned with taskset to that many cores (os.availableParallelism()
 * honours the pinning there), and the runs are merged.
 *
 * SIGINT/SIGTERM stop the sweep: the run in progress drains and is dropped,
 * the points done so far are printed and written with "interrupted": true,
 * and the exit status is 130/143 (a --cpus child gets the signal forwarded
 * and hands back its partial result). VBLK_FAILPOINTS (src/cli/failpoints-env.ts) is
 * read here, in the main process, and travels to the workers in their tasks.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, benchHelpText } from '../src/cli/bench-args.js';
import { runCli } from '../src/cli/run-cli.js';
import { createOutputFolder } from '../src/cli/common-args.js';
import { SignalStop } from '../src/cli/stop-signals.js';
import { FAILPOINTS_ENV, parseFailpoints } from '../src/cli/failpoints-env.js';
import { runSweep, sweepPoints, type SweepOutcome } from '../src/main-thread/sweep.js';
import { AUTO_ROUNDS, type OutputPath } from '../src/protocol/options.js';
import type { BenchOptions } from '../src/protocol/settings-table.js';
import { describeMachine, describeWakeups, machineInfo } from '../src/report/machine.js';
import { calibrateWakeups } from '../src/main-thread/calibrate.js';
import { formatCpuList, readAllowedCpus } from '../src/protocol/cpu-list.js';
import { RESULT_SCHEMA, type MachineInfo, type ResultFile, type RunResult } from '../src/report/result.js';
import { readResultFile, writeJsonFile, writeResultFile } from '../src/report/result-file.js';
import { renderPointTable, renderRunTable } from '../src/report/table.js';
import { describeRatioPoint, modeRatios, narrowEnough, renderModeRatios } from '../src/report/ratios.js';
import { DEFAULT_CONFIDENCE } from '../src/report/confidence.js';
import { OUTPUT_WIDTH, wrapText } from '../src/report/format.js';
import { pointSpreads, renderSpreadNote } from '../src/report/spread.js';
import { fioJsonOf, fioJsonPath } from '../src/report/fio-json.js';
import { SweepProgress } from '../src/cli/progress.js';
import { renderSettings } from '../src/report/settings.js';
import { renderTerminalChart } from '../src/report/chart.js';
import { renderSvg } from '../src/report/svg.js';
import { renderStageTable } from '../src/report/stage-table.js';
import { renderAccountingTable } from '../src/report/accounting.js';
import { explainSteps, explainWhy, renderExplain } from '../src/report/explain.js';
import { buildTraceEvents, writeTraceFile } from '../src/report/trace-json.js';
import { renderTraceSvg } from '../src/report/trace-svg.js';
import type { TraceInput } from '../src/report/trace-window.js';
import type { PointSpec } from '../src/main-thread/point-spec.js';

/** Set in a child run by --cpus: the options to use, as JSON, and where to write the result. */
const CHILD_OPTIONS = 'VBLK_CHILD_OPTIONS';
const CHILD_RESULT = 'VBLK_CHILD_RESULT';

async function main(argv: string[]): Promise<number> {
  const childOptions = process.env[CHILD_OPTIONS];
  if (childOptions !== undefined) return runChild(JSON.parse(childOptions) as BenchOptions);

  const parsed = parseBenchArgs(argv, {
    cores: os.availableParallelism(),
    cwd: process.env['INIT_CWD'] ?? process.cwd(),
  });
  if (parsed.help) {
    process.stdout.write(benchHelpText());
    return 0;
  }
  const failpoints = parseFailpoints(process.env[FAILPOINTS_ENV]);
  const options: BenchOptions = failpoints.length > 0 ? { ...parsed.options, failpoints } : parsed.options;
  const stop = new SignalStop({
    repeat: 'exit',
    announce: 'stopping: the run in progress drains (bounded) and is dropped (again to quit at once)',
  });
  const startedAt = new Date();
  const allowed = readAllowedCpus('/proc/self/status');
  const wakeup = await calibrateWakeups(allowed);
  process.stderr.write(`vblk-mq: ${describeWakeups(wakeup)}\n`);
  let outcome: SweepOutcome;
  try {
    outcome =
      options.cpus === undefined
        ? await sweepHere(options, stop.signal)
        : await sweepPerCoreCount(options, options.cpus, allowed, stop);
  } finally {
    stop.dispose();
  }
  report(options, outcome, { ...machineInfo(), wakeup }, startedAt);
  // A failure is one line, whatever its length, so that it can be grepped and read by tools.
  if (outcome.error !== undefined) process.stderr.write(`vblk-mq: ${outcome.error}\n`);
  if (outcome.interrupted !== true) return outcome.error === undefined ? 0 : 1;
  const by = stop.received === undefined ? '' : ` by ${stop.received}`;
  const done = outcome.runs.length;
  process.stderr.write(`vblk-mq: interrupted${by}; ${done} ${done === 1 ? 'point' : 'points'} done\n`);
  // A child of --cpus can be interrupted on its own (kill -INT CHILD): report it as SIGINT.
  return stop.exitStatus() ?? 130;
}

/** Runs the sweep in this process, with progress on stderr (see progress.ts); `stop` ends it early. */
async function sweepHere(options: BenchOptions, stop: AbortSignal): Promise<SweepOutcome> {
  const cpus = os.availableParallelism();
  const points = sweepPoints(options, cpus).length;
  // --repeat auto: at least options.repeat rounds, at most maxRounds; progress counts to the most.
  const maxRounds = options.repeatAuto === true ? (options.maxRounds ?? AUTO_ROUNDS.defaultMax) : options.repeat;
  const total = points * maxRounds;
  const runMs = options.rampMs + options.runtimeMs;
  const style = options.quiet ? 'quiet' : process.stderr.isTTY === true ? 'tty' : 'lines';
  if (style !== 'quiet') {
    const runs = `${total} run${total === 1 ? '' : 's'}`;
    const cores = `${cpus} core${cpus === 1 ? '' : 's'}`;
    const least = points * options.repeat;
    const estimate =
      options.repeatAuto === true
        ? `${least}..${runs} (--repeat auto: ${options.repeat} to ${maxRounds} rounds) on ${cores}, ` +
          `about ${Math.ceil((least * runMs) / 1000)}..${Math.ceil((total * runMs) / 1000)} s`
        : `${runs} on ${cores}, about ${Math.ceil((total * runMs) / 1000)} s`;
    process.stderr.write(`${wrapText(`vblk-mq: ${estimate}`, OUTPUT_WIDTH, '  ')}\n`);
  }
  const progress = new SweepProgress(process.stderr, style, total, runMs, maxRounds);
  try {
    return await runSweep(
      options,
      cpus,
      {
        onStart: (spec, repeat, done) => progress.start(spec, repeat, done),
        onLive: (iops) => progress.live(iops),
        onRun: (run, _repeat, done) => progress.finished(run, done),
        onTrace: (spec, trace) => writeTraces(options, spec, trace, points > 1 || CHILD_RESULT in process.env),
      },
      stop,
    );
  } finally {
    progress.end();
  }
}

/**
 * --trace and --trace-svg for one traced run: FILE itself for a sweep of one point, else FILE
 * with the point added before its extension (trace-sq-spin-2cpu-8j-qd32.json).
 */
function writeTraces(options: BenchOptions, spec: PointSpec, trace: TraceInput, perPoint: boolean): void {
  const named = (file: OutputPath): { path: string; given: string } => {
    if (!perPoint) return file;
    const point = `${spec.mode}-${spec.lock}-${spec.cpus}cpu-${spec.jobs}j-qd${spec.iodepth}`;
    const add = (p: string): string => {
      const { dir, name, ext } = path.parse(p);
      return path.join(dir, `${name}-${point}${ext}`);
    };
    return { path: add(file.path), given: add(file.given) };
  };
  if (options.trace !== undefined) {
    const file = named(options.trace);
    writeTraceFile(file.path, buildTraceEvents(trace, machineInfo()));
    process.stderr.write(`vblk-mq: wrote ${file.given}\n`);
  }
  if (options.traceSvg !== undefined) {
    const file = named(options.traceSvg);
    fs.writeFileSync(file.path, renderTraceSvg(trace));
    process.stderr.write(`vblk-mq: wrote ${file.given}\n`);
  }
}

/**
 * --cpus: one child per core count, pinned with taskset. A stop request is
 * forwarded to the child in progress, whose partial result is kept; no
 * further child starts.
 */
async function sweepPerCoreCount(
  options: BenchOptions,
  counts: number[],
  allowed: readonly number[] | null,
  stop: SignalStop,
): Promise<SweepOutcome> {
  const runs: RunResult[] = [];
  const order: string[] = [];
  const script = fileURLToPath(import.meta.url);
  for (const n of counts) {
    if (stop.signal.aborted) return { runs, order, interrupted: true };
    const resultPath = path.join(os.tmpdir(), `vblk-mq-${process.pid}-${n}cpu.json`);
    const childOptions: BenchOptions = {
      ...options,
      cpus: undefined,
      json: undefined,
      svg: undefined,
      fioJson: undefined,
    };
    const status = await new Promise<number>((resolve) => {
      // The first n of the CPUs this process may use (os.availableParallelism() counts them too).
      const cpuList = allowed === null ? `0-${n - 1}` : formatCpuList(allowed.slice(0, n));
      const child = spawn('taskset', ['-c', cpuList, process.execPath, script], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, [CHILD_OPTIONS]: JSON.stringify(childOptions), [CHILD_RESULT]: resultPath },
      });
      const forward = (): void => void child.kill(stop.received);
      // A second signal exits this process at once: take the child along.
      const killChild = (): void => void child.kill('SIGKILL');
      stop.signal.addEventListener('abort', forward, { once: true });
      process.on('exit', killChild);
      // Failing to start (taskset gone since the check) is reported like an exit without a result.
      child.on('error', () => resolve(127));
      child.on('exit', (code, signal) => {
        stop.signal.removeEventListener('abort', forward);
        process.off('exit', killChild);
        resolve(code ?? (signal === null ? 1 : 128 + os.constants.signals[signal]));
      });
    });
    if (!fs.existsSync(resultPath)) {
      // A signal that reached the child before it could handle it ends it without a result.
      if (stop.signal.aborted) return { runs, order, interrupted: true };
      return { runs, order, error: `the sweep on ${n} cores ended with status ${status} and wrote no result` };
    }
    const file = readResultFile(resultPath);
    fs.rmSync(resultPath, { force: true });
    runs.push(...file.runs);
    order.push(...(file.order ?? []).map((run) => `${run} cpus=${n}`));
    // A stop whose drain failed is still a stop: keep both, so that the exit status is the signal's.
    if (file.interrupted === true) {
      return { runs, order, interrupted: true, ...(file.error === undefined ? {} : { error: file.error }) };
    }
    if (file.error !== undefined) return { runs, order, error: file.error };
  }
  return { runs, order };
}

/**
 * A child of --cpus: run the sweep and write the result, partial or not, where
 * the parent said. Its parent forwards signals and announces them.
 */
async function runChild(options: BenchOptions): Promise<number> {
  const stop = new SignalStop({ repeat: 'ignore' });
  try {
    const outcome = await sweepHere(options, stop.signal);
    writeResultFile(process.env[CHILD_RESULT]!, resultFile(options, outcome, machineInfo()));
    return 0;
  } finally {
    stop.dispose();
  }
}

/** The level of every interval this sweep prints. */
function levelOf(options: BenchOptions): number {
  return options.confidence ?? DEFAULT_CONFIDENCE;
}

/** The rounds a sweep ran, and with --repeat auto the mq/sq ratios whose interval stayed wide. */
function roundsOf(options: BenchOptions, runs: readonly RunResult[]): NonNullable<ResultFile['rounds']> {
  const ran = Math.max(0, ...runs.map((run) => run.repeats));
  const auto = options.repeatAuto === true;
  const severalCpus = new Set(runs.map((run) => run.cpus)).size > 1;
  const wide = auto
    ? modeRatios(runs, levelOf(options))
        .filter((r) => !narrowEnough(r, AUTO_ROUNDS.tolerance))
        .map((r) => describeRatioPoint(r, severalCpus))
    : [];
  return { ran, auto, wide };
}

function resultFile(options: BenchOptions, outcome: SweepOutcome, machine: MachineInfo): ResultFile {
  // The output paths as typed: a relative one stays relative, so result files name no machine's paths.
  const paths = {
    json: options.json?.given,
    svg: options.svg?.given,
    fioJson: options.fioJson?.given,
    trace: options.trace?.given,
    traceSvg: options.traceSvg?.given,
  };
  const level = levelOf(options);
  return {
    schema: RESULT_SCHEMA,
    machine,
    options: { ...options, ...paths },
    runs: outcome.runs,
    order: outcome.order,
    ratios: modeRatios(outcome.runs, level),
    spread: pointSpreads(outcome.runs),
    rounds: roundsOf(options, outcome.runs),
    ...(options.explain
      ? { explain: explainSteps(outcome.runs, level), explainWhy: explainWhy(outcome.runs) }
      : {}),
    ...(outcome.interrupted === true ? { interrupted: true } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
  };
}

/** `--repeat auto`'s word on how many rounds it took, and which ratios stayed wide; '' otherwise. */
function renderRoundsNote(rounds: NonNullable<ResultFile['rounds']>, options: BenchOptions): string {
  if (!rounds.auto) return '';
  const tolerance = `±${AUTO_ROUNDS.tolerance * 100}%`;
  const max = options.maxRounds ?? AUTO_ROUNDS.defaultMax;
  const text =
    rounds.wide.length === 0
      ? `--repeat auto: ${rounds.ran} rounds; every mq/sq interval lies within ${tolerance} of its ratio`
      : `--repeat auto: ${rounds.ran} rounds (at most ${max}); ` +
        `still wider than ${tolerance}: ${rounds.wide.join(', ')}`;
  return `${wrapText(text, OUTPUT_WIDTH, '  ')}\n`;
}

function report(options: BenchOptions, outcome: SweepOutcome, machine: MachineInfo, startedAt: Date): void {
  const { runs } = outcome;
  const wide = options.output === 'wide';
  const level = levelOf(options);
  const out = (text: string): boolean => process.stdout.write(text);
  if (runs.length > 0) {
    const partial =
      outcome.error !== undefined
        ? ' (partial: the sweep failed; these are the runs done before it)'
        : outcome.interrupted === true
          ? ' (partial: the sweep was interrupted; these are the runs done before it)'
          : '';
    if (wide) {
      out(`\nmachine: ${describeMachine(machine)}\n${renderSettings(runs)}${renderRunTable(runs)}`);
      out(`${renderSpreadNote(runs)}\n`);
      const stages = renderStageTable(runs);
      if (stages !== '') out(`\n${stages}`);
      const accounting = renderAccountingTable(runs);
      if (accounting !== '') out(`\n${accounting}`);
    } else {
      // The default: every line within OUTPUT_WIDTH columns (the JSON keeps every figure).
      const fit = (text: string): string => `${wrapText(text, OUTPUT_WIDTH, '  ')}\n`;
      out(`\n${fit(`machine: ${describeMachine(machine)}`)}${fit(renderSettings(runs).trimEnd())}`);
      out(renderPointTable(runs));
    }
    out(renderRoundsNote(roundsOf(options, runs), options));
    if (options.explain) {
      // Its designs run at one job count: the steps take the place of the mq/sq tables and the chart.
      const explained = renderExplain(runs, level, wide);
      out(`\n${explained === '' ? 'explain: not every design ran; no steps to show\n' : explained}`);
      out(`${partial}\n`);
    } else {
      const ratios = renderModeRatios(runs, level, wide);
      if (ratios !== '') out(`\n${ratios}\n`);
      out(`\n${renderTerminalChart(runs)}\n${partial}\n`);
    }
  }
  const file = resultFile(options, outcome, machine);
  // Every path is echoed as the user typed it.
  if (options.json !== undefined) {
    writeResultFile(options.json.path, file);
    process.stderr.write(`vblk-mq: wrote ${options.json.given}\n`);
  }
  if (options.svg !== undefined && runs.length > 0) {
    fs.writeFileSync(options.svg.path, renderSvg(runs, 'vblk-mq: IOPS against fio jobs', file.machine));
    process.stderr.write(`vblk-mq: wrote ${options.svg.given}\n`);
  }
  if (options.fioJson !== undefined && runs.length > 0) {
    createOutputFolder(options.fioJson);
    for (const run of runs) {
      const target = fioJsonPath(options.fioJson.path, run, options.explain);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      writeJsonFile(target, fioJsonOf(run, machine, startedAt));
    }
    const count = `${runs.length} fio-format file${runs.length === 1 ? '' : 's'}`;
    process.stderr.write(`vblk-mq: wrote ${count} under ${options.fioJson.given}\n`);
  }
}

await runCli(main);
