/**
 * `npm run soak -- --minutes N`: mixed sweeps (soak-plan.ts) for N minutes,
 * one line per run and a summary at the end. Every run's conservation check
 * is on (each request completed exactly once, buffers checked when
 * memory-backed), its watchdog turns a hang into an error, and a sweep that
 * still does not finish in time is reported as a hang. Exit status: 0 when
 * every run passed, 1 on the first violation, hang or error, 2 on a bad
 * argument, 130/143 when stopped by SIGINT/SIGTERM (after the summary).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runCli } from '../src/cli/run-cli.js';
import { translateParseError } from '../src/cli/common-args.js';
import { parseInteger, quote, usageError } from '../src/cli/units.js';
import { SignalStop } from '../src/cli/stop-signals.js';
import { runSweep, sweepPoints } from '../src/main-thread/sweep.js';
import { within } from '../src/main-thread/timers.js';
import { formatCount } from '../src/report/format.js';
import type { Mode } from '../src/protocol/options.js';
import type { BenchOptions } from '../src/protocol/settings-table.js';
import { SoakPlan } from './soak-plan.js';
import type { RunResult } from '../src/report/result.js';

const HELP = `usage: npm run soak -- [--minutes N] [--seed N] [--watchdog S]

Runs mixed sweeps of the emulator for N minutes: both modes, every lock kind
(none too) with both --lock-sides and both --completion-path values, each at
2 to 8 jobs in turn, iodepth 1 and 32, 1 to 8 jobs, 300 ms runs, some memory-backed, some with ring
indices starting just below 2^32. Prints a line per run and a summary; fails
on the first lost or duplicated request, corrupt buffer, hang or error.

options:
  --minutes N   how long to soak, above zero; fractions work (default: 10)
  --seed N      seed of the random choices, 0..${2 ** 32 - 1}, to repeat a soak (default: 1)
  --watchdog S  seconds without progress before a run counts as hung, 1..600 (default: 10)
  -h, --help    show this help and exit

exit status: 0 all passed, 1 a violation, hang or error, 2 a bad argument,
130/143 stopped by SIGINT/SIGTERM
`;

const OPTIONS = {
  minutes: { type: 'string' },
  seed: { type: 'string' },
  watchdog: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Time a sweep may take beyond its own runs before it counts as hung, ms. */
const HANG_SLACK_MS = 60_000;
/** A week: longer is surely a typo. */
const MAX_MINUTES = 7 * 24 * 60;

interface SoakArgs {
  minutes: number;
  seed: number;
  watchdogS: number;
}

/** Parses argv; every mistake is a one-line UsageError. */
function parseSoakArgs(argv: string[]): SoakArgs | 'help' {
  let values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return 'help';
    throw translateParseError(error, argv, Object.keys(OPTIONS));
  }
  if (values.help === true) return 'help';
  const minutesText = values.minutes ?? '10';
  const minutes = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(minutesText) ? Number(minutesText) : NaN;
  if (!(minutes > 0) || minutes > MAX_MINUTES) {
    throw usageError(
      '--minutes',
      quote(minutesText),
      'is not a number of minutes above zero',
      `give one up to ${MAX_MINUTES}, such as 10 or 0.5`,
    );
  }
  return {
    minutes,
    seed: parseInteger(values.seed ?? '1', '--seed', { min: 0, max: 2 ** 32 - 1 }),
    watchdogS: parseInteger(values.watchdog ?? '10', '--watchdog', { min: 1, max: 600 }),
  };
}

/** `mem idx=2^32-1234 bs=512 ...`: what sets a run of this sweep apart, for its line. */
function describeRun(options: BenchOptions, mode: Mode): string {
  const parts: string[] = [];
  if (options.memoryBacked) parts.push('mem');
  if (options.initialIndex !== undefined) parts.push(`idx=2^32-${2 ** 32 - options.initialIndex}`);
  if (options.bs !== 4096) parts.push(`bs=${options.bs}`);
  if (options.completionNs > 0) parts.push(`delay=${options.completionNs / 1000}us`);
  if (options.pollMaxNs === 0) parts.push('nopoll');
  if (options.iothreads !== undefined && mode === 'mq') parts.push(`iothreads=${options.iothreads}`);
  return parts.join(' ');
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function main(argv: string[]): Promise<number> {
  const args = parseSoakArgs(argv);
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const cpus = os.availableParallelism();
  const plan = new SoakPlan(args.seed, args.watchdogS);
  const stop = new SignalStop({
    repeat: 'exit',
    announce: 'stopping after the run in progress (again to quit at once)',
  });
  const startMs = performance.now();
  const endMs = startMs + args.minutes * 60_000;
  let runs = 0;
  let sweeps = 0;
  let requests = 0;
  let failure: string | undefined;
  // Memory: the resident set after the first sweep (the pool and the code warmed up) and at the
  // end, so that a leak shows as growth between them; the peak is the process's whole-life maximum.
  let rssFirstSweep: number | undefined;
  process.stdout.write(`soak: ${args.minutes} minutes on ${cpus} cores, seed ${args.seed}\n`);

  while (performance.now() < endMs && !stop.signal.aborted && failure === undefined) {
    const options = plan.next();
    sweeps++;
    const onRun = (run: RunResult): void => {
      runs++;
      requests += run.submitted;
      // The run already passed its conservation check; this re-checks the figures it reports.
      if (run.submitted !== run.completed)
        failure ??= `run ${runs}: submitted ${run.submitted} but completed ${run.completed}`;
      const extra = describeRun(options, run.mode);
      const point = `${run.mode} lock=${run.lock} jobs=${run.jobs} iodepth=${run.iodepth}`;
      const what = extra === '' ? point : `${point} ${extra}`;
      const figures = `${formatCount(run.iops)} IOPS, ${formatCount(run.submitted)} requests checked`;
      process.stdout.write(`[${String(runs).padStart(5)} ${clock(performance.now() - startMs)}] ${what}: ${figures}\n`);
    };
    const points = sweepPoints(options, cpus).length;
    const limitMs = points * (options.rampMs + options.runtimeMs + args.watchdogS * 1000) + HANG_SLACK_MS;
    const outcome = await within(runSweep(options, cpus, { onRun }, stop.signal), limitMs);
    if (outcome === null) {
      const limit = `${Math.round(limitMs / 1000)} s`;
      failure = `hang: sweep ${sweeps} (${JSON.stringify(options)}) did not finish within ${limit}`;
    } else if (outcome.error !== undefined) {
      failure = `sweep ${sweeps} (seed ${args.seed}; options ${JSON.stringify(options)}): ${outcome.error}`;
    }
    rssFirstSweep ??= process.memoryUsage().rss;
  }
  stop.dispose();

  const minutes = (performance.now() - startMs) / 60_000;
  const status =
    failure !== undefined ? 'FAILED' : stop.received !== undefined ? `interrupted by ${stop.received}` : 'passed';
  process.stdout.write(
    `soak ${status}: ${runs} runs in ${sweeps} sweeps, ${requests} requests checked (${formatCount(requests)}), ` +
      `${minutes.toFixed(1)} minutes, seed ${args.seed}\n`,
  );
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const first = rssFirstSweep === undefined ? '-' : mib(rssFirstSweep);
  const peak = mib(process.resourceUsage().maxRSS * 1024);
  const last = mib(process.memoryUsage().rss);
  process.stdout.write(`soak memory: rss ${first} after the first sweep, ${last} at the end, peak ${peak}\n`);
  if (failure !== undefined) {
    process.stderr.write(`vblk-mq: soak: ${failure}\n`);
    // A hung sweep still has workers: leave without waiting for them.
    process.exit(1);
  }
  return stop.exitStatus() ?? 0;
}

await runCli(main);
