/**
 * `npm run bench:micro`: what the building blocks cost, each measured on its own.
 *
 *   lock.uncontended.<bare|kind>                  lock+unlock pairs per second in one thread (tinybench),
 *                                                 for the bare baseline and every kind of LOCK_KINDS
 *   ring.spsc.cross-thread                        8-word descriptors per second from one worker to
 *                                                 another through an unguarded Ring, in batches of 32
 *   ring.spsc.32b.push-pop                        32-byte items per second from one worker to another,
 *                                                 one push() and one pop() each (the fast SPSC path)
 *   ring.guarded.32b.push-pop                     the same through a ring guarded by an AdaptiveLock
 *   channel.32b.cross-thread                      32-byte items through a Channel, one send() and one
 *                                                 recv() each (issue 30: at least 5x postMessage)
 *   message-port.cross-thread                     the same descriptors, one postMessage each
 *   lock.contended.<kind>.t<2|4|8>                increments per second of a counter shared by t
 *                                                 threads, each increment under the lock (every kind)
 *   lock.contended.adaptive-spin<N>.t<8|2>        the same with AdaptiveLock's spin ceiling at N
 *                                                 (spin0: park at once), to choose the default
 *   lock.contended.<mutex|adaptive>-fair.t8      lock.contended.<kind>.t8 with eventualFairness: true
 *                                                 (futex-lock.ts: a waiter past 1 ms is handed the lock);
 *                                                 compare its ops/s and "wait max" (the lock's waitNsMax)
 *                                                 with the plain case's, in alternating runs
 *
 * and checks four targets (PASS/MISS): adaptive uncontended >= 0.8x bare; the ring >= 10x the
 * message port; the channel >= 5x the message port; adaptive >= 2x spin with 8 contending threads.
 *
 * With `--ringbuf DIR` (an installed ringbuf.js, kept outside this project) it also compares
 * ring.spsc.32b.push-pop with padenot's ringbuf.js on the same loop: `--pairs` alternating
 * pairs of runs (ours, then theirs), the median of each side, and a fourth target: ours >= 1x.
 *
 * Every case runs in worker threads of its own (bench/micro-worker.ts), started afresh, so
 * that no case inherits another's JIT state; see micro-protocol.ts for the handshake.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { MessageChannel, Worker, type Transferable } from 'node:worker_threads';

import { runCli } from '../src/cli/run-cli.js';
import { parseInteger } from '../src/cli/units.js';
import { UsageError } from '../src/cli/usage-error.js';
import { outputFile, translateParseError } from '../src/cli/common-args.js';
import type { OutputPath } from '../src/protocol/options.js';
import { SignalStop } from '../src/cli/stop-signals.js';
import { pause } from '../src/main-thread/timers.js';
import { machineInfo } from '../src/report/machine.js';
import { writeJsonFile } from '../src/report/result-file.js';
import {
  formatCount,
  formatDecimal,
  formatNs,
  formatPercent,
  formatRatio,
  MISSING,
  safeDivide,
} from '../src/report/format.js';
import { median } from '../src/report/stats.js';
import { renderAligned } from '../src/report/table.js';
import { Channel, GuardedRing, Ring } from '../src/ring/index.js';
import { Doorbell } from '../src/sync/doorbell.js';
import { CACHE_LINE } from '../src/sync/region.js';
import { AdaptiveLock, createLock, LOCK_KINDS, type Lock, type LockStats } from '../src/sync/index.js';
import {
  CONTROL_WORDS,
  COUNTER,
  GO,
  STOP,
  type MicroMessage,
  type MicroTask,
  type MicroWorkerData,
  type RingBufModule,
  type UncontendedLock,
} from './micro-protocol.js';

const WORKER_URL = new URL('./micro-worker.js', import.meta.url);
const DEFAULT_TIME_MS = 500;
/** How much longer than the measured time a case may take (worker start-up, tinybench warm-up) before it is dropped. */
const GRACE_MS = 30_000;
/** Descriptor size of the cross-thread cases: 8 Int32 words = 32 bytes. */
const SLOT_WORDS = 8;
/** Descriptors per pushBatch/popBatch in the ring case. */
const RING_BATCH = 32;
/** Ring slots: room for several batches, so that producer and consumer rarely wait on each other. */
const RING_CAPACITY = 256;
/** Messages the port producer may be ahead of its consumer. */
const PORT_WINDOW = 2048;
const CONTENDED_THREADS = [2, 4, 8] as const;
/** Alternating pairs of the ringbuf.js comparison, by default. */
const DEFAULT_PAIRS = 5;
/** The comparison's target: our one-item ring against ringbuf.js, at least this ratio. */
const RINGBUF_TARGET = 1;
/**
 * AdaptiveLock spin ceilings compared, with 8 threads (more threads than cores: spinning
 * rarely pays) and with 2 (a holder on the other core: spinning may pay); 0 means a fixed
 * budget of 0 (park at once).
 */
const SPIN_CEILINGS = [0, 64, 256, 2048] as const;
const SPIN_CEILING_THREADS = [8, 2] as const;
/** The kinds with eventual fairness (futex-lock.ts), and the thread count their fair cases run at. */
const FAIR_KINDS = ['mutex', 'adaptive'] as const;
const FAIR_THREADS = 8;

/** One row of the results. */
interface CaseResult {
  name: string;
  opsPerSec: number;
  /** Contended cases: the lock's statistics over the measurement. */
  lock?: LockStats;
}

/** A benchmark case: its name and how to measure it for `timeMs`; `stop` (a signal) ends it early. */
interface BenchCase {
  name: string;
  run(timeMs: number, stop: AbortSignal): Promise<Omit<CaseResult, 'name'>>;
}

/** Thrown out of a case that SIGINT or SIGTERM ended: the run reports nothing and writes nothing. */
class Interrupted extends Error {
  override name = 'Interrupted';
}

/** A ratio the figures should reach. */
interface Target {
  numerator: string;
  denominator: string;
  atLeast: number;
}

const TARGETS: readonly Target[] = [
  { numerator: 'lock.uncontended.adaptive', denominator: 'lock.uncontended.bare', atLeast: 0.8 },
  { numerator: 'ring.spsc.cross-thread', denominator: 'message-port.cross-thread', atLeast: 10 },
  { numerator: 'channel.32b.cross-thread', denominator: 'message-port.cross-thread', atLeast: 5 },
  { numerator: 'lock.contended.adaptive.t8', denominator: 'lock.contended.spin.t8', atLeast: 2 },
];

// ---------------------------------------------------------------------------------------------
// Running workers

/** What a crew of workers reported, how long the main thread let them run, and their control words. */
interface CrewResult {
  done: Extract<MicroMessage, { type: 'done' }>[];
  seconds: number;
  control: Int32Array;
}

/** Ports in `task` that must travel in the transfer list. */
function transferablesOf(task: MicroTask): Transferable[] {
  return task.kind === 'port-producer' || task.kind === 'port-consumer' ? [task.port] : [];
}

/**
 * Starts one worker per task, waits until all are ready, sets GO, lets them run for `timeMs`,
 * sets STOP, calls `afterStop` (to wake parked workers) and collects their `done` reports.
 * Any worker error, early exit, a run past `timeMs + GRACE_MS` or an aborted `stop` terminates
 * them all and rejects (with {@link Interrupted} for `stop`).
 */
async function runCrew(
  tasks: readonly MicroTask[],
  timeMs: number,
  stop: AbortSignal,
  afterStop?: () => void,
): Promise<CrewResult> {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const workers = tasks.map(
    (task) =>
      new Worker(WORKER_URL, {
        workerData: { task, control } satisfies MicroWorkerData,
        transferList: transferablesOf(task),
      }),
  );
  let onReady!: () => void;
  let onDone!: (done: CrewResult['done']) => void;
  let onFail!: (error: Error) => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const finished = new Promise<CrewResult['done']>((resolve) => (onDone = resolve));
  // Raced against every await below, so that a failing worker ends the case at once.
  const failure = new Promise<never>((_, reject) => (onFail = reject));
  failure.catch(() => {}); // seen by the races; not an unhandled rejection meanwhile

  const done: CrewResult['done'] = [];
  let readyCount = 0;
  let doneCount = 0;
  workers.forEach((worker, i) => {
    worker.on('message', (message: MicroMessage) => {
      if (message.type === 'ready') {
        if (++readyCount === workers.length) onReady();
      } else {
        done[i] = message;
        if (++doneCount === workers.length) onDone(done);
      }
    });
    worker.on('error', onFail);
    worker.on('exit', (code) => {
      if (done[i] === undefined)
        onFail(new Error(`micro worker (${tasks[i]!.kind}) exited with code ${code} before reporting`));
    });
  });
  const deadline = setTimeout(
    () => onFail(new Error(`micro workers did not finish within ${timeMs + GRACE_MS} ms`)),
    timeMs + GRACE_MS,
  );
  const interrupt = (): void => onFail(new Interrupted('interrupted'));
  if (stop.aborted) interrupt();
  stop.addEventListener('abort', interrupt, { once: true });
  try {
    await Promise.race([ready, failure]);
    const start = performance.now();
    Atomics.store(control, GO, 1);
    Atomics.notify(control, GO);
    // pause() returns early on a stop, and leaves no timer behind to keep the process alive.
    await Promise.race([pause(timeMs, stop), failure]);
    Atomics.store(control, STOP, 1);
    const seconds = (performance.now() - start) / 1000;
    afterStop?.();
    return { done: await Promise.race([finished, failure]), seconds, control };
  } finally {
    clearTimeout(deadline);
    stop.removeEventListener('abort', interrupt);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// The cases

function uncontendedCase(lock: UncontendedLock): BenchCase {
  return {
    name: `lock.uncontended.${lock}`,
    async run(timeMs, stop) {
      const { done } = await runCrew([{ kind: 'uncontended', lock, timeMs }], timeMs, stop);
      return { opsPerSec: done[0]!.opsPerSec! };
    },
  };
}

const ringCase: BenchCase = {
  name: 'ring.spsc.cross-thread',
  async run(timeMs, stop) {
    const ring = new Ring({ capacity: RING_CAPACITY, slotWords: SLOT_WORDS });
    // Each side's bell: the consumer parks on `data`, the producer on `space`.
    // Both bells in one buffer, each on a cache line of its own (as a ring's were).
    const words = new Int32Array(new SharedArrayBuffer(2 * CACHE_LINE));
    const data = new Doorbell(words, 0);
    const space = new Doorbell(words, CACHE_LINE / 4);
    const bells = { data: data.handle, space: space.handle };
    const tasks: MicroTask[] = [
      { kind: 'ring-producer', ring: ring.handle, batch: RING_BATCH, ...bells },
      { kind: 'ring-consumer', ring: ring.handle, batch: RING_BATCH, ...bells },
    ];
    const { done, seconds } = await runCrew(tasks, timeMs, stop, () => {
      space.ring();
      data.ring();
    });
    return { opsPerSec: done[1]!.ops / seconds };
  },
};

/** One worker pushing 32-byte items one at a time, another popping them, through `ring`. */
function itemCase(name: string, make: () => Ring | GuardedRing): BenchCase {
  return {
    name,
    async run(timeMs, stop) {
      const ring = make();
      const tasks: MicroTask[] = [
        { kind: 'item-producer', ring: ring.handle },
        { kind: 'item-consumer', ring: ring.handle },
      ];
      const { done, seconds } = await runCrew(tasks, timeMs, stop);
      return { opsPerSec: done[1]!.ops / seconds, ...(ring instanceof GuardedRing ? { lock: ring.lockStats() } : {}) };
    },
  };
}

const spscItemCase = itemCase(
  'ring.spsc.32b.push-pop',
  () => new Ring({ capacity: RING_CAPACITY, slotWords: SLOT_WORDS }),
);
const guardedItemCase = itemCase(
  'ring.guarded.32b.push-pop',
  () => new GuardedRing({ capacity: RING_CAPACITY, slotWords: SLOT_WORDS, guard: 'adaptive' }),
);

/** The item case over ringbuf.js: the same loop, the same number of 32-byte items of room. */
function ringbufCase(ringbuf: RingBufPackage): BenchCase {
  return {
    name: `ringbuf.js ${ringbuf.version}`,
    async run(timeMs, stop) {
      const { RingBuffer } = (await import(ringbuf.module)) as RingBufModule;
      // Room for RING_CAPACITY whole items, so that every push and pop moves a whole item.
      const buffer = RingBuffer.getStorageForCapacity(RING_CAPACITY * SLOT_WORDS, Int32Array);
      const shared = { module: ringbuf.module, buffer, itemWords: SLOT_WORDS };
      const tasks: MicroTask[] = [
        { kind: 'ringbuf-producer', ...shared },
        { kind: 'ringbuf-consumer', ...shared },
      ];
      const { done, seconds } = await runCrew(tasks, timeMs, stop);
      return { opsPerSec: done[1]!.ops / seconds };
    },
  };
}

/** One worker sending 32-byte items one at a time through a Channel (its default lock), another receiving. */
const channelCase: BenchCase = {
  name: 'channel.32b.cross-thread',
  async run(timeMs, stop) {
    const channel = new Channel({ capacity: RING_CAPACITY, slotWords: SLOT_WORDS });
    const tasks: MicroTask[] = [
      { kind: 'channel-producer', channel: channel.handle },
      { kind: 'channel-consumer', channel: channel.handle },
    ];
    const { done, seconds } = await runCrew(tasks, timeMs, stop);
    return { opsPerSec: done[1]!.ops / seconds, lock: channel.lockStats() };
  },
};

const messagePortCase: BenchCase = {
  name: 'message-port.cross-thread',
  async run(timeMs, stop) {
    const { port1, port2 } = new MessageChannel();
    const tasks: MicroTask[] = [
      { kind: 'port-producer', port: port1, slotWords: SLOT_WORDS, window: PORT_WINDOW },
      { kind: 'port-consumer', port: port2 },
    ];
    const { done, seconds } = await runCrew(tasks, timeMs, stop);
    return { opsPerSec: done[1]!.ops / seconds };
  },
};

/** `threads` workers incrementing one counter under the lock `make()` returns. */
function contendedCase(name: string, threads: number, make: () => Lock): BenchCase {
  return {
    name,
    async run(timeMs, stop) {
      const lock = make();
      const tasks: MicroTask[] = Array.from({ length: threads }, () => ({ kind: 'contended', lock: lock.handle }));
      const { done, seconds, control } = await runCrew(tasks, timeMs, stop);
      const increments = done.reduce((sum, report) => sum + report.ops, 0);
      const stats = lock.stats();
      // Sanity checks worth their cost: the counter is not atomic, so only a working lock keeps
      // it exact; and the statistics must have seen every acquisition.
      if (control[COUNTER] !== increments || stats.acquisitions !== increments) {
        const counted = `the counter says ${control[COUNTER]} and the lock ${stats.acquisitions} acquisitions`;
        throw new Error(`${name}: ${increments} increments, but ${counted}`);
      }
      return { opsPerSec: increments / seconds, lock: stats };
    },
  };
}

/** Every case, in the order they run. */
function allCases(): BenchCase[] {
  const cases: BenchCase[] = (['bare', ...LOCK_KINDS] as const).map(uncontendedCase);
  cases.push(ringCase, spscItemCase, guardedItemCase, channelCase, messagePortCase);
  for (const kind of LOCK_KINDS) {
    for (const threads of CONTENDED_THREADS) {
      cases.push(contendedCase(`lock.contended.${kind}.t${threads}`, threads, () => createLock(kind)));
    }
  }
  for (const threads of SPIN_CEILING_THREADS) {
    for (const ceiling of SPIN_CEILINGS) {
      const options = ceiling === 0 ? { spin: 0 } : { spinMax: ceiling };
      const name = `lock.contended.adaptive-spin${ceiling}.t${threads}`;
      cases.push(contendedCase(name, threads, () => new AdaptiveLock(options)));
    }
  }
  for (const kind of FAIR_KINDS) {
    const name = `lock.contended.${kind}-fair.t${FAIR_THREADS}`;
    cases.push(contendedCase(name, FAIR_THREADS, () => createLock(kind, { eventualFairness: true })));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Command line

/** The parsed command line. */
interface MicroOptions {
  /** --json: the result file. */
  json: OutputPath | undefined;
  /** --time: measured milliseconds per case. */
  timeMs: number;
  /** --filter: run only the cases whose name contains this. */
  filter: string;
  /** --ringbuf: the ringbuf.js to compare with, if given. */
  ringbuf: RingBufPackage | undefined;
  /** --pairs: alternating pairs of the comparison. */
  pairs: number;
}

/** An installed ringbuf.js, given by --ringbuf. */
interface RingBufPackage {
  /** File URL of its ES module. */
  module: string;
  version: string;
}

type MicroArgs = { help: true } | { help: false; options: MicroOptions };

/** The --help text, listing the case names. */
function helpText(names: readonly string[]): string {
  return `usage: npm run bench:micro -- [--time MS] [--filter SUBSTRING] [--ringbuf DIR [--pairs N]] [--json FILE]

Measures the building blocks one at a time, each case in worker threads of its own, and
checks three target ratios (PASS/MISS). Figures are operations per second: lock+unlock
pairs (uncontended), 32-byte descriptors delivered (cross-thread), increments of a shared
counter made under the lock by all threads together (contended).

options:
  --time MS            measured time per case in milliseconds (default ${DEFAULT_TIME_MS})
  --filter SUBSTRING   run only the cases whose name contains SUBSTRING
  --ringbuf DIR        also compare ring.spsc.32b.push-pop with the ringbuf.js installed in DIR
                       (e.g. a scratch folder's node_modules/ringbuf.js; never a dependency here)
  --pairs N            alternating pairs of runs in that comparison, 1 to 50 (default ${DEFAULT_PAIRS})
  --json FILE          also write the results to FILE (its folder must exist)
  -h, --help           show this help and exit

cases:
${names.map((name) => `  ${name}`).join('\n')}

exit status: 0 done, 2 a bad argument, 1 any other failure
`;
}

/** Parses argv; every mistake is a one-line {@link UsageError}. */
function parseMicroArgs(argv: string[], names: readonly string[]): MicroArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: 'string' },
        time: { type: 'string' },
        filter: { type: 'string' },
        ringbuf: { type: 'string' },
        pairs: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return { help: true };
    throw translateParseError(error, argv, ['json', 'time', 'filter', 'ringbuf', 'pairs', 'help']);
  }
  const cwd = process.env['INIT_CWD'] ?? process.cwd();
  if (values.pairs !== undefined && values.ringbuf === undefined) {
    throw new UsageError('--pairs: only counts with --ringbuf DIR (the comparison it sets the length of)');
  }
  const pairs = values.pairs === undefined ? DEFAULT_PAIRS : parseInteger(values.pairs, '--pairs', { min: 1, max: 50 });
  if (values.help === true) return { help: true };
  const timeMs =
    values.time === undefined ? DEFAULT_TIME_MS : parseInteger(values.time, '--time', { min: 10, max: 60_000 });
  const filter = values.filter ?? '';
  if (!names.some((name) => name.includes(filter))) {
    throw new UsageError(`--filter: ${JSON.stringify(filter)} matches no case; see --help for their names`);
  }
  return {
    help: false,
    options: {
      json:
        values.json === undefined
          ? undefined
          : outputFile(values.json, '--json', process.env['INIT_CWD'] ?? process.cwd()),
      timeMs,
      filter,
      ringbuf: values.ringbuf === undefined ? undefined : ringbufPackage(values.ringbuf, cwd),
      pairs,
    },
  };
}

/** The ringbuf.js package in `dir`, or a one-line UsageError saying what is there instead. */
function ringbufPackage(dir: string, cwd: string): RingBufPackage {
  const folder = path.resolve(cwd, dir);
  let pkg: { name?: unknown; version?: unknown; module?: unknown; main?: unknown };
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    throw new UsageError(
      `--ringbuf: ${JSON.stringify(dir)} holds no package.json; give the folder of an installed ringbuf.js, ` +
        'such as node_modules/ringbuf.js',
    );
  }
  if (pkg.name !== 'ringbuf.js') {
    throw new UsageError(`--ringbuf: ${JSON.stringify(dir)} holds the package ${String(pkg.name)}, not ringbuf.js`);
  }
  const entry = typeof pkg.module === 'string' ? pkg.module : typeof pkg.main === 'string' ? pkg.main : 'index.js';
  return { module: pathToFileURL(path.join(folder, entry)).href, version: String(pkg.version) };
}

// ---------------------------------------------------------------------------------------------
// Report

/** A lock figure per acquisition; NaN (printed as MISSING) for the cases without a lock. */
function perAcquisition(result: CaseResult, figure: 'contentions' | 'spins' | 'parks'): number {
  return result.lock === undefined ? Number.NaN : safeDivide(result.lock[figure], result.lock.acquisitions);
}

/** The results as an aligned text table. */
function renderResults(results: readonly CaseResult[]): string {
  return renderAligned(
    ['case', 'ops/s', 'ns/op', 'contended', 'spins/acq', 'parks/acq', 'wait max'],
    results.map((result) => [
      result.name,
      formatCount(result.opsPerSec),
      formatNs(1e9 / result.opsPerSec),
      result.lock === undefined ? MISSING : formatPercent(perAcquisition(result, 'contentions')),
      formatDecimal(perAcquisition(result, 'spins'), 1),
      formatDecimal(perAcquisition(result, 'parks'), 3),
      // The longest single wait for the lock (its waitNsMax): what eventual fairness bounds.
      result.lock === undefined ? MISSING : formatNs(result.lock.waitNsMax),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** A target checked against the results. */
interface TargetOutcome extends Target {
  ratio: number;
  pass: boolean;
}

/** The targets whose two cases both ran (--filter may have skipped some). */
function checkTargets(results: readonly CaseResult[]): TargetOutcome[] {
  const rate = new Map(results.map((result) => [result.name, result.opsPerSec]));
  return TARGETS.flatMap((target) => {
    const numerator = rate.get(target.numerator);
    const denominator = rate.get(target.denominator);
    if (numerator === undefined || denominator === undefined) return [];
    const ratio = safeDivide(numerator, denominator);
    return [{ ...target, ratio, pass: ratio >= target.atLeast }];
  });
}

/** One PASS/MISS line per target, or nothing when no target could be checked. */
function renderTargets(outcomes: readonly TargetOutcome[]): string {
  if (outcomes.length === 0) return '';
  const lines = outcomes.map((o) => {
    const ratio = `${o.numerator} / ${o.denominator} = ${formatRatio(o.ratio)}`;
    return `  ${o.pass ? 'PASS' : 'MISS'}  ${ratio} (target >= ${o.atLeast}x)`;
  });
  return `\ntargets:\n${lines.join('\n')}\n`;
}

/** Our one-item ring against ringbuf.js: alternating pairs, the median of each side. */
interface Comparison {
  against: string;
  pairs: number;
  /** Items per second of each run, in the order they ran (ours[i] just before theirs[i]). */
  ours: number[];
  theirs: number[];
  target: TargetOutcome;
}

/** Runs `pairs` pairs, ours first in each, so that a drift of the machine touches both sides alike. */
async function compareWithRingbuf(
  ringbuf: RingBufPackage,
  pairs: number,
  timeMs: number,
  stop: AbortSignal,
): Promise<Comparison> {
  const theirsCase = ringbufCase(ringbuf);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    ours.push((await spscItemCase.run(timeMs, stop)).opsPerSec);
    theirs.push((await theirsCase.run(timeMs, stop)).opsPerSec);
    process.stderr.write(':');
  }
  const ratio = safeDivide(median(ours), median(theirs));
  const target = {
    numerator: `${spscItemCase.name} (median)`,
    denominator: `${theirsCase.name} (median)`,
    atLeast: RINGBUF_TARGET,
    ratio,
    pass: ratio >= RINGBUF_TARGET,
  };
  return { against: theirsCase.name, pairs, ours, theirs, target };
}

/** The comparison's runs, one row per side, and each side's median. */
function renderComparison(c: Comparison): string {
  const rows = [
    [spscItemCase.name, ...c.ours.map(formatCount), formatCount(median(c.ours))],
    [c.against, ...c.theirs.map(formatCount), formatCount(median(c.theirs))],
  ];
  const header = ['items/s', ...c.ours.map((_, i) => `pair ${i + 1}`), 'median'];
  const table = renderAligned(header, rows, ['left', ...header.slice(1).map(() => 'right' as const)]);
  return `\nagainst ringbuf.js, ${c.pairs} alternating pairs (ours first in each):\n${table}`;
}

async function main(argv: string[]): Promise<number> {
  const cases = allCases();
  const names = cases.map((c) => c.name);
  const args = parseMicroArgs(argv, names);
  if (args.help) {
    process.stdout.write(helpText(names));
    return 0;
  }
  const { timeMs, filter, json, ringbuf, pairs } = args.options;
  const selected = cases.filter((c) => c.name.includes(filter));
  const machine = { ...machineInfo(), loadavg: os.loadavg() };
  const where = `${machine.cpuModel}, ${machine.availableParallelism} cpus, node ${machine.node}`;
  const against = ringbuf === undefined ? '' : `, then ${pairs} pairs against ringbuf.js ${ringbuf.version}`;
  process.stdout.write(`bench:micro: ${selected.length} cases${against}, ${timeMs} ms each; ${where}\n`);
  const announce = 'stopping: the case in progress is dropped; nothing is written';
  const stop = new SignalStop({ repeat: 'exit', announce });
  const results: CaseResult[] = [];
  let comparison: Comparison | undefined;
  try {
    for (const benchCase of selected) {
      results.push({ name: benchCase.name, ...(await benchCase.run(timeMs, stop.signal)) });
      process.stderr.write('.');
    }
    if (ringbuf !== undefined) comparison = await compareWithRingbuf(ringbuf, pairs, timeMs, stop.signal);
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    const done = `${results.length} cases done, none written`;
    process.stderr.write(`vblk-mq: bench:micro interrupted by ${stop.received}; ${done}\n`);
    return stop.exitStatus() ?? 130;
  } finally {
    stop.dispose();
  }
  process.stderr.write('\n');
  const targets = [...checkTargets(results), ...(comparison === undefined ? [] : [comparison.target])];
  const compared = comparison === undefined ? '' : renderComparison(comparison);
  process.stdout.write(`\n${renderResults(results)}${compared}${renderTargets(targets)}`);
  if (json !== undefined) {
    const options = { timeMs, filter, ...(ringbuf === undefined ? {} : { ringbuf: ringbuf.version, pairs }) };
    const withComparison = comparison === undefined ? {} : { comparison };
    const file = { kind: 'micro', schema: 1, machine, options, results, ...withComparison, targets };
    writeJsonFile(json.path, file);
    // As the user typed it: the printout may be kept, and names no machine's paths unless they did.
    process.stdout.write(`\nwrote ${json.given}\n`);
  }
  return 0;
}

await runCli(main);
