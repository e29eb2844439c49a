/**
 * `npm run bench:native`: vblk-mq's AdaptiveLock and Condition against V8's native
 * `Atomics.Mutex` and `Atomics.Condition` (the JS shared-structs proposal), which exist only under
 * `node --harmony-struct` (issue 30, item 5). Cases, each a pair (ours, native):
 *
 *   lock.uncontended       lock/unlock pairs per second on one thread
 *   lock.contended.t2, t4  pairs per second of 2 or 4 workers incrementing one shared counter
 *   condition.ping-pong    round trips per second of two workers handing a turn back and forth
 *                          through a lock and a condition variable
 *
 * Method: one sitting per Node version, rounds of every case, each side in a child process of
 * its own under that Node with --harmony-struct (native-child.ts), the two sides of a case in
 * ABBA order (ours first in even rounds, native first in odd), so that a drift of the machine
 * touches both alike; then the ratio ours/native with a paired 95% interval (confidence.ts).
 * The counter each case increments under the lock is checked in every run: a lock that let two
 * holders in fails the bench rather than flattering it.
 *
 * The Node binaries are those `npm run test:node -- N` caches; a version without one, or whose
 * node refuses the flag, is skipped with one line.
 *
 * With `--multithreading DIR` (the npm package `multithreading`, installed outside this project)
 * each sitting also runs the mt.* cases of native-mt.ts, ours against that package on the same
 * loops and in the same ABBA rounds: its Mutex against AdaptiveLock (uncontended, 2 and 4
 * workers), its Semaphore against ours (2 permits, 4 workers) and its channel against our Channel
 * (one producer, one consumer, 32-byte items). They have no targets; they print their ratios.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { outputFile, translateParseError } from '../src/cli/common-args.js';
import { runChild } from '../src/cli/child-run.js';
import { nodeBinaryPath, tildePath } from '../src/cli/node-cache.js';
import { runCli } from '../src/cli/run-cli.js';
import { SignalStop } from '../src/cli/stop-signals.js';
import { parseInteger } from '../src/cli/units.js';
import { UsageError } from '../src/cli/usage-error.js';
import type { OutputPath } from '../src/protocol/options.js';
import { DEFAULT_CONFIDENCE, formatLevel } from '../src/report/confidence.js';
import { machineInfo } from '../src/report/machine.js';
import { writeJsonFile } from '../src/report/result-file.js';
import {
  BASE_OPS,
  NATIVE_CASES,
  type ChildReport,
  type ChildSpec,
  type NativeCaseName,
  type Side,
} from './native-protocol.js';
import { MT_BASE_OPS, MT_CASES, MT_UNITS, isMtCase, type MtCaseName } from './native-mt.js';
import {
  outcomeJson,
  outcomeOf,
  renderOutcomes,
  renderRounds,
  renderTargets,
  type CaseOutcome,
} from './native-report.js';

const CHILD = new URL('./native-child.js', import.meta.url).pathname;
const DEFAULT_NODES = ['26'];
/** ABBA needs pairs of rounds; six give the t-interval 5 degrees of freedom. */
const DEFAULT_ROUNDS = 6;
const MAX_SCALE = 100;
const MIN_SCALE = 0.0001;
/** What probes a node for the native lock and condition under the flag. */
const PROBE = "typeof Atomics.Mutex?.lock === 'function' && typeof Atomics.Condition?.wait === 'function'";
/** The `multithreading` package reads navigator.hardwareConcurrency when imported (Node 21 and later). */
const MT_PROBE = "typeof navigator === 'object'";

interface NativeOptions {
  nodes: string[];
  rounds: number;
  /** Multiplies every case's work per run (BASE_OPS). */
  scale: number;
  filter: string;
  json: OutputPath | undefined;
  /** --multithreading: the installed package to run the mt.* cases against. */
  multithreading: { dir: string; version: string } | undefined;
}

/** One Node version's sitting, or why it was skipped. */
interface VersionResult {
  node: string;
  version?: string;
  skipped?: string;
  cases: CaseOutcome[];
  /** The mt.* cases (with --multithreading), or why this Node cannot run them. */
  multithreading?: { version: string; skipped?: string; cases: CaseOutcome[] };
}

const HELP = `usage: npm run bench:native -- [--node 26[,24...]] [--rounds N] [--scale F] [--filter SUBSTRING]
                              [--multithreading DIR] [--json FILE]

vblk-mq's AdaptiveLock and Condition against V8's native Atomics.Mutex and Atomics.Condition,
which exist only under node --harmony-struct. Both sides run under the same Node binary with the
flag, each run in a child process of its own, in ABBA order; per case it prints the rates and
the ratio ours/native with its ${formatLevel(DEFAULT_CONFIDENCE)} paired interval, then each target as MET or
MISSED.

options:
  --node LIST          Node major versions, cached as npm run test:node -- N leaves them
                       (default ${DEFAULT_NODES.join(',')})
  --rounds N           rounds of every case, an even number from 2 to 100 (default ${DEFAULT_ROUNDS})
  --scale F            multiply every run's work by F, ${MIN_SCALE} to ${MAX_SCALE} (default 1)
  --filter SUBSTRING   run only the cases whose name contains SUBSTRING
  --multithreading DIR also run the mt.* cases against the npm package multithreading installed in
                       DIR (e.g. a scratch folder's node_modules/multithreading; never a dependency)
  --json FILE          also write every round to FILE (its folder must exist)
  -h, --help           show this help and exit

cases:
${NATIVE_CASES.map((name) => `  ${name}`).join('\n')}
cases with --multithreading (ours against the package; no targets):
${MT_CASES.map((name) => `  ${name}`).join('\n')}

exit status: 0 done (a version skipped included), 2 a bad argument, 1 any other failure
`;

const OPTIONS = {
  node: { type: 'string' },
  rounds: { type: 'string' },
  scale: { type: 'string' },
  filter: { type: 'string' },
  json: { type: 'string' },
  multithreading: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The parsed command line, or null for --help; every mistake is a one-line UsageError. */
function parseNativeArgs(argv: readonly string[]): NativeOptions | null {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return null;
    throw translateParseError(error, argv, Object.keys(OPTIONS));
  }
  if (values.help === true) return null;
  const nodes = values.node === undefined ? DEFAULT_NODES : values.node.split(',');
  for (const major of nodes) {
    if (!/^[1-9][0-9]?$/.test(major)) {
      throw new UsageError(`--node: ${JSON.stringify(major)} is not a Node major version; give e.g. 26 or 26,24`);
    }
  }
  if (new Set(nodes).size !== nodes.length) throw new UsageError(`--node: ${values.node} names a version twice`);
  const rounds =
    values.rounds === undefined ? DEFAULT_ROUNDS : parseInteger(values.rounds, '--rounds', { min: 2, max: 100 });
  if (rounds % 2 !== 0) {
    const even = `give an even number such as ${rounds + 1}`;
    throw new UsageError(`--rounds: ${rounds} is odd; ABBA pairs rounds, so ${even}`);
  }
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  const badScale = !/^\d*\.?\d+$/.test(values.scale ?? '1') || !(scale >= MIN_SCALE && scale <= MAX_SCALE);
  if (badScale) {
    throw new UsageError(`--scale: ${JSON.stringify(values.scale)} is not a number from ${MIN_SCALE} to ${MAX_SCALE}`);
  }
  const filter = values.filter ?? '';
  const cwd = process.env['INIT_CWD'] ?? process.cwd();
  const multithreading =
    values.multithreading === undefined ? undefined : multithreadingPackage(values.multithreading, cwd);
  const all = multithreading === undefined ? NATIVE_CASES : [...NATIVE_CASES, ...MT_CASES];
  if (!all.some((name) => name.includes(filter))) {
    throw new UsageError(`--filter: ${JSON.stringify(filter)} matches no case; see --help for their names`);
  }
  const json = values.json === undefined ? undefined : outputFile(values.json, '--json', cwd);
  return { nodes, rounds, scale, filter, json, multithreading };
}

/** The `multithreading` package in `dir`, or a one-line UsageError saying what is there instead. */
function multithreadingPackage(dir: string, cwd: string): { dir: string; version: string } {
  const folder = path.resolve(cwd, dir);
  let pkg: { name?: unknown; version?: unknown };
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    const hint = 'give the folder of an installed multithreading, such as node_modules/multithreading';
    throw new UsageError(`--multithreading: ${JSON.stringify(dir)} holds no package.json; ${hint}`);
  }
  if (pkg.name !== 'multithreading') {
    const what = `holds the package ${String(pkg.name)}, not multithreading`;
    throw new UsageError(`--multithreading: ${JSON.stringify(dir)} ${what}`);
  }
  return { dir: folder, version: String(pkg.version) };
}

/** The binary of `major` with the flag working, or why not. */
function probe(major: string): { binary: string; version: string } | { skipped: string } {
  const binary = nodeBinaryPath(major);
  if (!fs.existsSync(binary)) {
    return { skipped: `no Node ${major} at ${tildePath(binary)}; \`npm run test:node -- ${major}\` installs it` };
  }
  const r = spawnSync(binary, ['--harmony-struct', '-p', `process.version + ' ' + (${PROBE})`], { encoding: 'utf8' });
  const [version, works] = r.stdout.trim().split(' ');
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n')[0] ?? `exit status ${r.status}`;
    return { skipped: `Node ${major} refuses --harmony-struct: ${why}` };
  }
  if (works !== 'true') {
    return { skipped: `Node ${version} has no Atomics.Mutex and Atomics.Condition under --harmony-struct` };
  }
  return { binary, version: version! };
}

/** One side of one case in a child process; its rate, once its counter is checked. */
async function runSide(binary: string, spec: ChildSpec, stop: SignalStop): Promise<number> {
  // The mt.* cases need no flag: run them as a user of the package would.
  const args = [...(isMtCase(spec.name) ? [] : ['--harmony-struct']), CHILD, JSON.stringify(spec)];
  const r = await runChild(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }, stop);
  if (stop.signal.aborted) throw new Interrupted();
  if (r.status !== 0) {
    const output = r.stderr.trim() || r.stdout.trim();
    throw new Error(`${spec.name} (${spec.side}) failed with status ${r.status}: ${output}`);
  }
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null') as ChildReport;
  if (report.counter !== report.expected) {
    const counted = `the counter says ${report.counter}, ${report.expected} expected`;
    const why = spec.name === 'mt.channel.spsc.32b' ? 'items were lost' : 'the lock let two holders in';
    throw new Error(`${spec.name} (${spec.side}): ${counted}: ${why}`);
  }
  return report.ops / report.seconds;
}

class Interrupted extends Error {
  override name = 'Interrupted';
}

/**
 * All rounds of `names` under one binary: round r runs ours first when r is even, the peer (V8's
 * or the package's) first when odd.
 */
async function sitting(
  binary: string,
  names: readonly (NativeCaseName | MtCaseName)[],
  o: NativeOptions,
  stop: SignalStop,
): Promise<CaseOutcome[]> {
  const rounds = names.map((name) => ({
    name,
    peer: isMtCase(name) ? ('multithreading' as const) : ('native' as const),
    unit: isMtCase(name) ? MT_UNITS[name] : name === 'condition.ping-pong' ? 'round trips/s' : 'pairs/s',
    ours: [] as number[],
    theirs: [] as number[],
    first: [] as Side[],
  }));
  for (let round = 0; round < o.rounds; round++) {
    for (const entry of rounds) {
      const order: Side[] = round % 2 === 0 ? ['ours', entry.peer] : [entry.peer, 'ours'];
      entry.first.push(order[0]!);
      for (const side of order) {
        const base = isMtCase(entry.name) ? MT_BASE_OPS[entry.name] : BASE_OPS[entry.name];
        const ops = Math.max(1, Math.round(base * o.scale));
        const dir = isMtCase(entry.name) ? { dir: o.multithreading!.dir } : {};
        const rate = await runSide(binary, { name: entry.name, side, ops, ...dir }, stop);
        (side === 'ours' ? entry.ours : entry.theirs).push(rate);
        process.stderr.write('.');
      }
    }
  }
  process.stderr.write('\n');
  return rounds.map(outcomeOf);
}

function render(result: VersionResult, o: NativeOptions): string {
  if (result.skipped !== undefined) return `bench:native: skipping Node ${result.node}: ${result.skipped}\n`;
  const level = formatLevel(DEFAULT_CONFIDENCE);
  let text = '';
  if (result.cases.length > 0) {
    text +=
      `\nNode ${result.version} --harmony-struct, ${o.rounds} ABBA rounds, scale ${o.scale}:\n` +
      `${renderOutcomes(result.cases, level)}\nrounds:\n${renderRounds(result.cases)}\n` +
      `targets (ours/native, Node ${result.version}):\n${renderTargets(result.cases)}\n`;
  }
  const mt = result.multithreading;
  if (mt?.skipped !== undefined) {
    text += `bench:native: skipping the mt.* cases on Node ${result.node}: ${mt.skipped}\n`;
  }
  else if (mt !== undefined && mt.cases.length > 0) {
    text +=
      `\nNode ${result.version}, against multithreading ${mt.version}, ${o.rounds} ABBA rounds, scale ${o.scale}:\n` +
      `${renderOutcomes(mt.cases, level, 'multithreading')}\nrounds:\n${renderRounds(mt.cases)}\n`;
  }
  return text;
}

/**
 * The multithreading cases `filter` selects. Its channel case runs only when the filter names it:
 * multithreading 0.3.52's channel hands back corrupted items after a few thousand sends (one
 * producer, one consumer, capacity 256, Node 26: an object of raw buffer bytes instead of the
 * array sent), so the case stops with an error and is kept to show it, not to time it.
 */
function mtCasesOf(filter: string): MtCaseName[] {
  const asked = (name: MtCaseName): boolean => name !== 'mt.channel.spsc.32b' || filter.includes('channel');
  return MT_CASES.filter((name) => name.includes(filter) && asked(name));
}

/** One Node version's sitting: V8's cases, then (with --multithreading) the package's. */
async function versionSitting(node: string, o: NativeOptions, stop: SignalStop): Promise<VersionResult> {
  const found = probe(node);
  if ('skipped' in found) return { node, skipped: found.skipped, cases: [] };
  const nativeNames = NATIVE_CASES.filter((name) => name.includes(o.filter));
  const cases = await sitting(found.binary, nativeNames, o, stop);
  const result: VersionResult = { node, version: found.version, cases };
  const mtNames = mtCasesOf(o.filter);
  if (o.multithreading !== undefined && mtNames.length > 0) {
    const version = o.multithreading.version;
    const r = spawnSync(found.binary, ['-p', MT_PROBE], { encoding: 'utf8' });
    result.multithreading =
      r.stdout.trim() === 'true'
        ? { version, cases: await sitting(found.binary, mtNames, o, stop) }
        : {
            version,
            skipped: `Node ${found.version} has no navigator, which multithreading reads on import`,
            cases: [],
          };
  }
  return result;
}

async function main(argv: string[]): Promise<number> {
  const o = parseNativeArgs(argv);
  if (o === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const mtCount = o.multithreading === undefined ? 0 : mtCasesOf(o.filter).length;
  const names = NATIVE_CASES.filter((name) => name.includes(o.filter));
  const machine = machineInfo();
  const where = `${machine.cpuModel}, ${machine.availableParallelism} cpus`;
  const against =
    o.multithreading === undefined ? '' : ` (${mtCount} against multithreading ${o.multithreading.version})`;
  const count = `${names.length + mtCount} cases${against}`;
  process.stdout.write(`bench:native: ${count}, Node ${o.nodes.join(', ')}; ${where}\n`);
  const stop = new SignalStop({ repeat: 'exit', announce: 'stopping: nothing is written' });
  const versions: VersionResult[] = [];
  try {
    for (const node of o.nodes) {
      const result = await versionSitting(node, o, stop);
      versions.push(result);
      process.stdout.write(render(result, o));
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    process.stderr.write(`vblk-mq: bench:native interrupted by ${stop.received}; nothing written\n`);
    return stop.exitStatus() ?? 130;
  } finally {
    stop.dispose();
  }
  if (o.json !== undefined) {
    const mt = o.multithreading === undefined ? {} : { multithreading: o.multithreading.version };
    const method = 'ABBA, paired';
    const options = { nodes: o.nodes, rounds: o.rounds, scale: o.scale, filter: o.filter, ...mt, method };
    const json = versions.map((v) => ({
      ...v,
      cases: v.cases.map(outcomeJson),
      ...(v.multithreading === undefined
        ? {}
        : { multithreading: { ...v.multithreading, cases: v.multithreading.cases.map(outcomeJson) } }),
    }));
    writeJsonFile(o.json.path, { kind: 'native', schema: 1, machine, options, versions: json });
    process.stdout.write(`\nwrote ${o.json.given}\n`);
  }
  return 0;
}

await runCli(main);
