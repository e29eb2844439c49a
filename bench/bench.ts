/**
 * `npm run bench`: the emulator's sweep, printed as tables and a chart, and
 * written as JSON and SVG on request.
 *
 * With --cpus the sweep is re-run once per core count, each time in a child
 * process pinned with taskset to that many cores (os.availableParallelism()
 * honours the pinning there), and the runs are merged.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, benchHelpText } from '../src/cli/bench-args.js';
import { runCli } from '../src/cli/run-cli.js';
import { UsageError } from '../src/cli/usage-error.js';
import { runSweep, sweepPoints, type SweepOutcome } from '../src/emulator/sweep.js';
import type { BenchOptions } from '../src/emulator/options.js';
import { machineInfo } from '../src/report/machine.js';
import { RESULT_SCHEMA, type ResultFile, type RunResult } from '../src/report/result.js';
import { readResultFile, writeResultFile } from '../src/report/result-file.js';
import { renderModeRatios, renderRunLine, renderRunTable } from '../src/report/table.js';
import { renderTerminalChart } from '../src/report/chart.js';
import { renderSvg } from '../src/report/svg.js';

/** Set in a child run by --cpus: the options to use, as JSON, and where to write the result. */
const CHILD_OPTIONS = 'VBLK_CHILD_OPTIONS';
const CHILD_RESULT = 'VBLK_CHILD_RESULT';

async function main(argv: string[]): Promise<number> {
  const childOptions = process.env[CHILD_OPTIONS];
  if (childOptions !== undefined) return runChild(JSON.parse(childOptions) as BenchOptions);

  const parsed = parseBenchArgs(argv, { cores: os.availableParallelism(), cwd: process.env.INIT_CWD ?? process.cwd() });
  if (parsed.help) {
    process.stdout.write(benchHelpText());
    return 0;
  }
  const { options } = parsed;
  const outcome = options.cpus === undefined ? await sweepHere(options) : await sweepPerCoreCount(options, options.cpus);
  report(options, outcome);
  if (outcome.error !== undefined) {
    process.stderr.write(`vblk-mq: ${outcome.error}\n`);
    return 1;
  }
  return outcome.interrupted === true ? 130 : 0;
}

/** Runs the sweep in this process, with a progress line on a terminal. */
async function sweepHere(options: BenchOptions): Promise<SweepOutcome> {
  const cpus = os.availableParallelism();
  const total = sweepPoints(options, cpus).length * options.repeat;
  const seconds = (total * (options.rampMs + options.runtimeMs)) / 1000;
  const tty = process.stderr.isTTY === true;
  process.stderr.write(`vblk-mq: ${total} runs on ${cpus} cores, about ${Math.ceil(seconds)} s\n`);
  const outcome = await runSweep(options, cpus, {
    onStart(spec, repeat, done, all) {
      if (!tty) return;
      const rep = options.repeat > 1 ? ` repeat ${repeat + 1}/${options.repeat}` : '';
      process.stderr.write(`\r\x1b[K[${done + 1}/${all}] ${spec.mode} lock=${spec.lock} jobs=${spec.jobs} iodepth=${spec.iodepth} cpus=${spec.cpus}${rep}`);
    },
    onPoint(run) {
      process.stderr.write(`${tty ? '\r\x1b[K' : ''}${renderRunLine(run)}\n`);
    },
  });
  return outcome;
}

/** --cpus: one child per core count, pinned with taskset. */
async function sweepPerCoreCount(options: BenchOptions, counts: number[]): Promise<SweepOutcome> {
  if (process.platform !== 'linux' || spawnSync('taskset', ['--version']).error !== undefined) {
    throw new UsageError('--cpus: needs the taskset command (util-linux), which was not found; install it or leave out --cpus');
  }
  const runs: RunResult[] = [];
  const script = fileURLToPath(import.meta.url);
  for (const n of counts) {
    const resultPath = path.join(os.tmpdir(), `vblk-mq-${process.pid}-${n}cpu.json`);
    const childOptions: BenchOptions = { ...options, cpus: undefined, json: undefined, svg: undefined };
    const status = await new Promise<number>((resolve) => {
      const child = spawn('taskset', ['-c', `0-${n - 1}`, process.execPath, script], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, [CHILD_OPTIONS]: JSON.stringify(childOptions), [CHILD_RESULT]: resultPath },
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    });
    if (!fs.existsSync(resultPath)) {
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

/** A child of --cpus: run the sweep and write the result where the parent said. */
async function runChild(options: BenchOptions): Promise<number> {
  const outcome = await sweepHere(options);
  writeResultFile(process.env[CHILD_RESULT]!, resultFile(options, outcome));
  return 0;
}

function resultFile(options: BenchOptions, outcome: SweepOutcome): ResultFile {
  return {
    schema: RESULT_SCHEMA,
    machine: machineInfo(),
    options: { ...options },
    runs: outcome.runs,
    ...(outcome.interrupted === true ? { interrupted: true } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
  };
}

function report(options: BenchOptions, outcome: SweepOutcome): void {
  const { runs } = outcome;
  if (runs.length > 0) {
    const partial = outcome.error !== undefined || outcome.interrupted === true ? ' (partial: the sweep ended early)' : '';
    process.stdout.write(`\n${renderRunTable(runs)}\n`);
    const ratios = renderModeRatios(runs);
    if (ratios !== '') process.stdout.write(`\n${ratios}\n`);
    process.stdout.write(`\n${renderTerminalChart(runs)}\n${partial}\n`);
  }
  const file = resultFile(options, outcome);
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
