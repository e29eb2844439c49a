/**
 * What `npm run results` runs: every command behind docs/results/, with all its arguments, the
 * files each makes there, and the command line as a user would type it. No side effects, so
 * that tests and the generated docs/results/README.md read the same list the runs follow.
 *
 * To add a result, add an entry to RESULTS: `npm run results -- --only NAME` makes its files,
 * `npm run results -- --list` names them, and test/results-drift.test.ts accepts them.
 */
import path from 'node:path';
import { cachedPackagePath, nodeBinaryPath, tildePath } from './cached-install.js';
import type { BenchVsSpec } from './bench-vs.js';
import type { MicroVsSpec } from './micro-vs.js';

export interface ResultCommand {
  name: string;
  /**
   * `bench`, `micro` (bench:micro), `ab` (two variants of a sweep in one interleaved sitting),
   * `micro-vs` (bench:micro of an earlier commit against this tree's, scripts/micro-vs.ts),
   * `bench-vs` (the bench of an earlier commit against this tree's, scripts/bench-vs.ts), or
   * `compare`, which reads result files made before it, or `soak` (npm run soak: its summary), or
   * `native` (bench:native: the library against V8's Atomics.Mutex and Atomics.Condition).
   */
  script: 'bench' | 'micro' | 'ab' | 'micro-vs' | 'bench-vs' | 'compare' | 'soak' | 'native';
  /** For `micro-vs`: the earlier commit, the rounds and the filters (its `args` stay empty). */
  microVs?: MicroVsSpec;
  /** For `bench-vs`: the earlier commit, the rounds, the bench arguments and targets (`args` empty). */
  benchVs?: BenchVsSpec;
  args: string[];
  /** Why this result is kept, for --list. */
  about: string;
  /** A Node.js major version to run it with (installed as `npm run test:node` does); else this Node. */
  node?: string;
  /** Also write fio's JSON format into this folder of docs/results/ (--fio-json). */
  fioJson?: string;
  /**
   * Also write --trace and --trace-svg as NAME-trace.json and .svg, one file per point: these
   * points, as the bench names them (`sq-spin-2cpu-8j-qd32`).
   */
  tracePoints?: string[];
  /**
   * Node.js major versions to install first (as `npm run test:node` does), for a command that
   * starts them itself (bench:native's --node) while it runs on this Node.
   */
  installNodes?: string[];
}

/** Stands for the folder of the ringbuf.js that bench:micro compares with (installed on first use). */
export const RINGBUF = '<ringbuf.js>';
export const RINGBUF_VERSION = '0.4.0';
/** Stands for the folder of the `multithreading` package that bench:native compares with. */
export const MULTITHREADING = '<multithreading>';

/** The peers the entries name by placeholder, each installed outside this project on first use. */
export const PEER_PACKAGES: Readonly<Record<string, { name: string; version: string }>> = {
  [RINGBUF]: { name: 'ringbuf.js', version: RINGBUF_VERSION },
  [MULTITHREADING]: { name: 'multithreading', version: '0.3.52' },
};

/** Every committed result, in the order they run. */
export const RESULTS: readonly ResultCommand[] = [
  {
    name: '2cpu-spin-iodepth32',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--repeat', 'auto', '--max-rounds', '4'],
    about: "the paper's experiment: sq against mq, jobs 1 to 8, iodepth 32, every other option at its default",
  },
  {
    name: '2cpu-spin-iodepth32-node26',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--repeat', '3'],
    about: 'the same on Node 26, the newest LTS line, next to the Node 20 of this machine',
    node: '26',
  },
  {
    name: '2cpu-spin-iodepth1',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '1', '--repeat', '3'],
    about: 'the same at iodepth 1: every request a handoff between threads',
  },
  {
    name: '2cpu-spin-iodepth32-batched',
    script: 'bench',
    args: [
      '--jobs',
      '1..8',
      '--mode',
      'both',
      '--iodepth',
      '32',
      '--iodepth-batch',
      '32',
      '--iodepth-batch-complete-max',
      '32',
      '--iothread-batch',
      '32',
      '--repeat',
      '3',
    ],
    about: 'batched submissions, reaps and pops: fewer lock acquisitions per request',
  },
  {
    name: '2cpu-spin-iodepth32-iothread5us',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--iothread-ns', '5000', '--repeat', '3'],
    about: 'an IO thread that spends 5 us of CPU per request: the single IO thread as the bottleneck',
  },
  {
    name: '2cpu-completion-path-iodepth32',
    script: 'ab',
    args: [
      '--a',
      '--completion-path iothread',
      '--b',
      '--completion-path direct',
      '--rounds',
      '3',
      '--',
      '--jobs',
      '1..8',
      '--mode',
      'both',
      '--iodepth',
      '32',
    ],
    about:
      "the paper's experiment with completions through the IO thread (the default) and straight from the " +
      'device to the vCPU, in one interleaved sitting',
  },
  {
    name: '2cpu-locks-iodepth32',
    script: 'bench',
    args: [
      '--jobs',
      '1,8',
      '--mode',
      'both',
      '--lock',
      'spin,ticket,mcs,pv,mutex,adaptive',
      '--iodepth',
      '32',
      '--repeat',
      '3',
    ],
    about: 'every lock kind at 1 and 8 jobs, in both modes',
  },
  {
    name: '2cpu-explain-iodepth32',
    script: 'bench',
    args: [
      '--explain',
      '--jobs',
      '8',
      '--iodepth',
      '32',
      '--lock',
      'spin,ticket,mcs,pv,mutex,adaptive',
      '--repeat',
      '3',
    ],
    about:
      'what makes one queue lose or hold, at 8 jobs: the queue per vCPU and the second IO thread apart, and ' +
      'one queue without its lock beside them, for every lock kind, with why (--explain)',
  },
  {
    name: '2cpu-lockfree-iodepth32',
    script: 'bench',
    args: ['--jobs', '8', '--mode', 'both', '--lock', 'none,spin,adaptive', '--iodepth', '32', '--repeat', '3'],
    about:
      'the rings without a lock (mq: one single-producer ring per vCPU; sq: one multi-producer ring, DPDK ' +
      "rte_ring's MP enqueue), against the spin and adaptive locks",
  },
  {
    name: '2cpu-trace-8jobs',
    script: 'bench',
    args: ['--jobs', '8', '--mode', 'both', '--iodepth', '32'],
    tracePoints: ['sq-spin-2cpu-8j-qd32', 'mq-spin-2cpu-8j-qd32'],
    about:
      'a timeline of 20 ms of sq and of mq at 8 jobs (--trace, for ui.perfetto.dev, and --trace-svg): ' +
      'who holds the lock, who spins, who parks, and who wakes whom',
  },
  {
    name: '2cpu-breakdown-cost',
    script: 'ab',
    args: [
      '--a',
      '--breakdown on',
      '--b',
      '--breakdown off',
      '--rounds',
      '5',
      '--',
      '--jobs',
      '1,8',
      '--mode',
      'both',
      '--iodepth',
      '32',
    ],
    about:
      'what the stage stamps and the per-thread accounting cost: CPU time per request with --breakdown on ' +
      'against off, in one interleaved sitting',
  },
  {
    name: 'cpus-1-2-iodepth32',
    script: 'bench',
    args: ['--jobs', '1,2,4,8', '--mode', 'both', '--iodepth', '32', '--cpus', '1,2', '--repeat', '3'],
    about: 'the same sweep on 1 core and on 2',
  },
  {
    name: '2cpu-spin-iodepth32-split',
    script: 'bench',
    args: ['--jobs', '1..8', '--mode', 'both', '--iodepth', '32', '--pin', 'split', '--repeat', '3'],
    about: "the paper's experiment with every queue's threads on one CPU (--pin split)",
  },
  {
    name: 'cpus-1-2-iodepth32-split',
    script: 'bench',
    args: ['--jobs', '1,8', '--mode', 'both', '--iodepth', '32', '--cpus', '1,2', '--pin', 'split', '--repeat', '3'],
    about: 'scaling from 1 CPU to 2 with --pin split',
  },
  {
    name: '2cpu-1job-iodepth1-split',
    script: 'bench',
    args: ['--jobs', '1', '--mode', 'both', '--iodepth', '1', '--pin', 'split', '--repeat', '3'],
    about: 'latency of one request at a time with its three threads on one CPU',
  },
  {
    name: '2cpu-mq8-batched-split',
    script: 'bench',
    args: [
      '--jobs',
      '8',
      '--mode',
      'mq',
      '--iodepth',
      '32',
      '--iodepth-batch',
      '32',
      '--iodepth-batch-complete-max',
      '32',
      '--iothread-batch',
      '32',
      '--pin',
      'split',
      '--repeat',
      '3',
    ],
    about: 'mq at 8 jobs, batched and pinned (split); the unpinned batched sweep did more',
  },
  {
    name: 'compare-cpus-1-2',
    script: 'compare',
    args: ['cpus-1-2-iodepth32.json'],
    about: 'npm run compare over the 1- and 2-core sweep: one column per core count',
  },
  {
    name: 'compare-node-20-26',
    script: 'compare',
    args: ['2cpu-spin-iodepth32.json', '2cpu-spin-iodepth32-node26.json'],
    about: 'npm run compare across two Node versions on one machine',
  },
  {
    name: '2cpu-queue-locks-submit-reap',
    script: 'bench',
    args: [
      '--jobs',
      '2,4,6,8',
      '--mode',
      'both',
      '--iodepth',
      '32',
      '--lock',
      'ticket,mcs,pv,mutex,adaptive',
      '--lock-sides',
      'submit+reap',
      '--runtime',
      '1s',
      '--ramp',
      '200ms',
      '--repeat',
      '3',
    ],
    about:
      'the FIFO locks (ticket, mcs, pv) against the sleeping ones with the vCPUs taking the lock to reap too: ' +
      'what the convoy through preempted waiters costs on 2 cores (docs/locks.md)',
  },
  ...[1, 2, 3].map(
    (seed): ResultCommand => ({
      name: `soak-10min-seed${seed}`,
      script: 'soak',
      args: ['--minutes', '10', '--seed', String(seed)],
      about: `npm run soak for 10 minutes, seed ${seed}: every lock kind, lock side and completion path at 2 to 8 jobs`,
    }),
  ),
  {
    name: 'soak-3min-seed1',
    script: 'soak',
    args: ['--minutes', '3', '--seed', '1'],
    about: 'the soak that found the queue-lock hang of issue 26 (3 minutes, seed 1)',
  },
  {
    name: 'fio-sample',
    script: 'bench',
    args: ['--jobs', '8', '--mode', 'both', '--iodepth', '32', '--runtime', '2s'],
    about: "one point of each mode in fio's own JSON format too, for fio's tools",
    fioJson: 'fio-sample',
  },
  {
    name: 'micro-before-after',
    script: 'micro-vs',
    args: [],
    microVs: { before: 'a41c4ae', rounds: 6, filters: ['uncontended', 'push-pop'] },
    about:
      'bench:micro before the lock kinds and the robust locks (a41c4ae) and now, interleaved: the uncontended ' +
      "locks and the ring's one-item push-pop",
  },
  {
    name: 'vs-58ed574-bench',
    script: 'bench-vs',
    args: [],
    benchVs: {
      before: '58ed574',
      rounds: 5,
      argSets: [
        ['--jobs', '8', '--mode', 'both', '--iodepth', '32'],
        ['--jobs', '1', '--mode', 'mq', '--iodepth', '1'],
      ],
      iopsAtLeast: 0.97,
      cpuAtMost: 1.03,
    },
    about:
      'the bench before the rework of issue 28 (58ed574) and now, in one interleaved sitting: no point slower, ' +
      'new/old IOPS at least 0.97x and CPU time per request at most 1.03x over the points (geometric means)',
  },
  {
    name: 'micro',
    script: 'micro',
    args: ['--ringbuf', RINGBUF],
    about: 'the building blocks alone (npm run bench:micro)',
  },
  {
    name: 'micro-native-node26',
    script: 'native',
    args: ['--node', '26', '--multithreading', MULTITHREADING],
    about:
      "AdaptiveLock and Condition against V8's native Atomics.Mutex and Atomics.Condition (node --harmony-struct), " +
      "and the lock and semaphore against the multithreading package's, on Node 26, in ABBA rounds with paired " +
      'intervals (npm run bench:native)',
    installNodes: ['26'],
  },
];

/** The command line as a user types it, for the top of the .txt file. */
export function commandLine(entry: ResultCommand): string {
  // It is made by this script alone (scripts/micro-vs.ts, scripts/bench-vs.ts say how), so this is its command.
  if (entry.script === 'micro-vs' || entry.script === 'bench-vs') return `npm run results -- --only ${entry.name}`;
  const command = entry.script === 'micro' || entry.script === 'native' ? `bench:${entry.script}` : entry.script;
  const args = entry.args.map((arg) => {
    const peer = PEER_PACKAGES[arg];
    return peer === undefined ? arg : tildePath(cachedPackagePath(peer.name, peer.version));
  });
  // An argument with a space (ab's --a and --b) is quoted as a shell needs it.
  const shown = commandArgs(entry, args).map((arg) => (arg.includes(' ') ? `"${arg}"` : arg));
  const line = `npm run ${command} -- ${shown.join(' ')}`;
  if (entry.node === undefined) return line;
  // The binary `npm run test:node -- N` installs, first on PATH.
  return `PATH=${tildePath(path.dirname(nodeBinaryPath(entry.node)))}:$PATH ${line}`;
}

/** The arguments that name the output files of `entry`, relative to docs/results/. */
function outputArgs(entry: ResultCommand): string[] {
  if (entry.script === 'compare' || entry.script === 'soak') return [];
  const json = ['--json', `${entry.name}.json`];
  const fio = entry.fioJson === undefined ? [] : ['--fio-json', entry.fioJson];
  if (entry.script !== 'bench') return json;
  // --explain's designs run at one job count: there is no chart against jobs to draw.
  const svg = entry.args.includes('--explain') ? [] : ['--svg', `${entry.name}.svg`];
  const trace =
    entry.tracePoints === undefined
      ? []
      : ['--trace', `${entry.name}-trace.json`, '--trace-svg', `${entry.name}-trace.svg`];
  return [...json, ...svg, ...fio, ...trace];
}

/**
 * The entry's arguments with its output arguments: after the others, or for `ab` before the `--`
 * that starts the bench's arguments (they are ab's own options).
 */
export function commandArgs(entry: ResultCommand, args: readonly string[] = entry.args): string[] {
  const split = entry.script === 'ab' ? args.indexOf('--') : -1;
  if (split < 0) return [...args, ...outputArgs(entry)];
  return [...args.slice(0, split), ...outputArgs(entry), ...args.slice(split)];
}

/** The generated index of docs/results/, rewritten after every run (and by --readme-only). */
export const RESULTS_README = 'README.md';

/**
 * The files `entry` makes in docs/results/, as paths relative to it: NAME.txt (the command line,
 * then what the command printed), then what its output arguments name; a folder ends with `/`
 * (everything under it is the entry's).
 */
export function madeFiles(entry: ResultCommand): string[] {
  const args = outputArgs(entry);
  const named = args.flatMap((arg, i) => {
    const value = args[i + 1];
    if (value === undefined) return [];
    if (arg === '--json' || arg === '--svg') return [value];
    if (arg === '--fio-json') return [`${value}/`];
    return [];
  });
  // --trace names one file per point (bench/bench.ts writeTraces).
  const traces = (entry.tracePoints ?? []).flatMap((point) =>
    ['json', 'svg'].map((ext) => `${entry.name}-trace-${point}.${ext}`),
  );
  return [`${entry.name}.txt`, ...named, ...traces];
}
