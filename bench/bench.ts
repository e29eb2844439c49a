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
import { SignalStop } from '../src/cli/stop-signals.js';
import { FAILPOINTS_ENV, parseFailpoints } from '../src/cli/failpoints-env.js';
import { runSweep, sweepPoints, type SweepOutcome } from '../src/main-thread/sweep.js';
import type { BenchOptions } from '../src/protocol/options.js';
import { describeMachine, describeWakeups, machineInfo } from '../src/report/machine.js';
import { calibrateWakeups } from '../src/main-thread/calibrate.js';
import { formatCpuList, readAllowedCpus } from '../src/protocol/cpu-list.js';
import { RESULT_SCHEMA, type MachineInfo, type ResultFile, type RunResult } from '../src/report/result.js';
import { readResultFile, writeResultFile } from '../src/report/result-file.js';
import { renderModeRatios, renderRunLine, renderRunTable } from '../src/report/table.js';
import { renderSettings } from '../src/report/settings.js';
import { renderTerminalChart } from '../src/report/chart.js';
import { renderSvg } from '../src/report/svg.js';

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
    announce: 'stopping: the run in progress drains and is dropped (again to quit at once)',
  });
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
  report(options, outcome, { ...machineInfo(), wakeup });
  if (outcome.error !== undefined) {
    process.stderr.write(`vblk-mq: ${outcome.error}\n`);
    return 1;
  }
  if (outcome.interrupted !== true) return 0;
  const by = stop.received === undefined ? '' : ` by ${stop.received}`;
  const done = outcome.runs.length;
  process.stderr.write(`vblk-mq: interrupted${by}; ${done} ${done === 1 ? 'point' : 'points'} done\n`);
  // A child of --cpus can be interrupted on its own (kill -INT CHILD): report it as SIGINT.
  return stop.exitStatus() ?? 130;
}

/** Runs the sweep in this process, with a progress line on a terminal; `stop` ends it early. */
async function sweepHere(options: BenchOptions, stop: AbortSignal): Promise<SweepOutcome> {
  const cpus = os.availableParallelism();
  const total = sweepPoints(options, cpus).length * options.repeat;
  const seconds = (total * (options.rampMs + options.runtimeMs)) / 1000;
  const tty = process.stderr.isTTY === true;
  const runs = `${total} run${total === 1 ? '' : 's'}`;
  const cores = `${cpus} core${cpus === 1 ? '' : 's'}`;
  process.stderr.write(`vblk-mq: ${runs} on ${cores}, about ${Math.ceil(seconds)} s\n`);
  const outcome = await runSweep(
    options,
    cpus,
    {
      onStart(spec, repeat, done, all) {
        if (!tty) return;
        const rep = options.repeat > 1 ? ` repeat ${repeat + 1}/${options.repeat}` : '';
        const point = `${spec.mode} lock=${spec.lock} jobs=${spec.jobs} iodepth=${spec.iodepth} cpus=${spec.cpus}`;
        process.stderr.write(`\r\x1b[K[${done + 1}/${all}] ${point}${rep}`);
      },
      onPoint(run) {
        process.stderr.write(`${tty ? '\r\x1b[K' : ''}${renderRunLine(run)}\n`);
      },
    },
    stop,
  );
  return outcome;
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
  const script = fileURLToPath(import.meta.url);
  for (const n of counts) {
    if (stop.signal.aborted) return { runs, interrupted: true };
    const resultPath = path.join(os.tmpdir(), `vblk-mq-${process.pid}-${n}cpu.json`);
    const childOptions: BenchOptions = { ...options, cpus: undefined, json: undefined, svg: undefined };
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
      if (stop.signal.aborted) return { runs, interrupted: true };
      return { runs, error: `the sweep on ${n} cores ended with status ${status} and wrote no result` };
    }
    const file = readResultFile(resultPath);
    fs.rmSync(resultPath, { force: true });
    runs.push(...file.runs);
    if (file.error !== undefined) return { runs, error: file.error };
    if (file.interrupted === true) return { runs, interrupted: true };
  }
  return { runs };
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

/** `file` relative to the folder the user ran the bench in: result files name no machine's paths. */
function userPath(file: string | undefined): string | undefined {
  return file === undefined ? undefined : path.relative(process.env['INIT_CWD'] ?? process.cwd(), file);
}

function resultFile(options: BenchOptions, outcome: SweepOutcome, machine: MachineInfo): ResultFile {
  return {
    schema: RESULT_SCHEMA,
    machine,
    options: { ...options, json: userPath(options.json), svg: userPath(options.svg) },
    runs: outcome.runs,
    ...(outcome.interrupted === true ? { interrupted: true } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
  };
}

function report(options: BenchOptions, outcome: SweepOutcome, machine: MachineInfo): void {
  const { runs } = outcome;
  if (runs.length > 0) {
    const partial =
      outcome.error !== undefined
        ? ' (partial: the sweep failed; these are the points done before)'
        : outcome.interrupted === true
          ? ' (partial: the sweep was interrupted; these are the points done before)'
          : '';
    process.stdout.write(`\nmachine: ${describeMachine(machine)}\n${renderSettings(runs)}${renderRunTable(runs)}\n`);
    const ratios = renderModeRatios(runs);
    if (ratios !== '') process.stdout.write(`\n${ratios}\n`);
    process.stdout.write(`\n${renderTerminalChart(runs)}\n${partial}\n`);
  }
  const file = resultFile(options, outcome, machine);
  if (options.json !== undefined) {
    writeResultFile(options.json, file);
    process.stderr.write(`vblk-mq: wrote ${options.json}\n`);
  }
  if (options.svg !== undefined && runs.length > 0) {
    fs.writeFileSync(options.svg, renderSvg(runs, 'vblk-mq: IOPS against fio jobs', file.machine));
    process.stderr.write(`vblk-mq: wrote ${options.svg}\n`);
  }
}

await runCli(main);
