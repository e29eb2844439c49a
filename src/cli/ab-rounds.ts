/**
 * Two variants of a bench sweep measured in one sitting, interleaved: each round runs a and b
 * once each, in the order a b, then b a, then a b, ... (ABBA), so that load that drifts over the
 * sitting weighs on both alike. A variant is a bench (the path of a build's dist/bench/bench.js)
 * and the argument sets it runs, each in a child `node BENCH ARGS --repeat 1 --json FILE --quiet`
 * per round. `npm run ab` runs two variants of this build; `npm run results`' bench-vs entries
 * (scripts/bench-vs.ts) run an earlier commit's build against this one. src/report/ab.ts then
 * pairs round i of a with round i of b.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { medianRun } from '../main-thread/sweep.js';
import { readResultFile } from '../report/result-file.js';
import type { MachineInfo, RunResult } from '../report/result.js';
import { groupBy, runKey } from '../report/table.js';
import type { SignalStop } from './stop-signals.js';

/** One side of the comparison. */
export interface AbVariant {
  /** How the order names it: `a`, `before`. */
  name: string;
  /** How the progress lines name it: `a (--breakdown on)`, `before (58ed574)`. */
  shown: string;
  /** The bench script it runs (a dist/bench/bench.js). */
  bench: string;
  /** The bench arguments of each child it runs per round, without --repeat and --json. */
  argSets: string[][];
}

/** What the rounds gave. */
export interface AbRounds {
  /** Each variant's rounds (a first), each round the runs of all its argument sets. */
  runs: [RunResult[][], RunResult[][]];
  /** The runs in the order they ran: `a round 1`, `b round 1`, `b round 2`, ... */
  order: string[];
  /**
   * The machine each variant's first run recorded (undefined when none ran): with its
   * `gitDescribe`, which differs between two builds.
   */
  machines: [MachineInfo | undefined, MachineInfo | undefined];
}

/** Runs one bench child with `args`, its result written to `json`; resolves to its exit status. */
function runBench(bench: string, args: readonly string[], json: string, stop: SignalStop): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bench, ...args, '--repeat', '1', '--json', json, '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // The child's own notes (its calibration, the file read back here) are the caller's business; errors pass.
    child.stderr.setEncoding('utf8');
    let partial = '';
    child.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (!/^vblk-mq: (wrote|wake-up) /.test(line)) process.stderr.write(`${line}\n`);
    });
    const forward = (): void => void child.kill(stop.received);
    stop.signal.addEventListener('abort', forward, { once: true });
    child.on('error', () => resolve(127));
    // 'close' comes after the child's stderr is read to its end ('exit' may come before).
    child.on('close', (code, signal) => {
      if (partial !== '') process.stderr.write(`${partial}\n`);
      stop.signal.removeEventListener('abort', forward);
      resolve(code ?? (signal === null ? 1 : 128 + os.constants.signals[signal]));
    });
  });
}

/**
 * Runs `rounds` ABBA rounds of `variants` ([a, b]), each progress line prefixed by `program`.
 * A stop request reaches the child in progress and ends the rounds early, with what finished
 * (a round cut short is left out of that variant). A child that fails throws.
 */
export async function runAbRounds(
  program: string,
  variants: readonly [AbVariant, AbVariant],
  rounds: number,
  stop: SignalStop,
): Promise<AbRounds> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-ab-'));
  const runs: [RunResult[][], RunResult[][]] = [[], []];
  const order: string[] = [];
  const machines: AbRounds['machines'] = [undefined, undefined];
  try {
    for (let round = 0; round < rounds && !stop.signal.aborted; round++) {
      for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
        const variant = variants[side]!;
        const roundRuns: RunResult[] = [];
        for (const args of variant.argSets) {
          if (stop.signal.aborted) break;
          const which = variant.argSets.length > 1 ? `: ${args.join(' ')}` : '';
          process.stderr.write(`${program}: round ${round + 1} of ${rounds}: ${variant.shown}${which}\n`);
          const json = path.join(tmp, `${side}-${round}.json`);
          const status = await runBench(variant.bench, args, json, stop);
          if (stop.signal.aborted) break;
          if (status !== 0) {
            const which = `the bench of variant ${variant.name}, round ${round + 1}`;
            throw new Error(`${program}: ${which}, exited with ${status}`);
          }
          const file = readResultFile(json, { program });
          machines[side] ??= file.machine;
          roundRuns.push(...file.runs);
        }
        if (stop.signal.aborted) break;
        runs[side]!.push(roundRuns);
        order.push(`${variant.name} round ${round + 1}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { runs, order, machines };
}

/** Each point's median run over a variant's rounds, its rounds as samples in round order. */
export function roundPoints(rounds: readonly RunResult[][]): RunResult[] {
  const groups = groupBy(rounds.flat(), (run) => runKey(run, ['mode', 'lock', 'cpus', 'jobs', 'iodepth', 'iothreads']));
  return [...groups.values()].map(medianRun);
}
