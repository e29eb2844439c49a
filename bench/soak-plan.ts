/**
 * What `npm run soak` runs: a stream of small, mixed sweeps drawn from a
 * seeded PRNG, so that a failure can be reproduced with the same --seed.
 *
 * Every sweep differs in what stresses the data plane. Its lock kind (none
 * included), --lock-sides and --completion-path walk through every combination
 * in turn (COVERAGE: 28 sweeps), and each sweep has one job count from 2 to 8
 * that shifts by one each time the walk comes round, so that every combination
 * meets every count from 2 to 8 within 7 walks; beside those, both modes
 * (taking turns, sometimes both in one sweep), now and then a random second
 * lock kind, iodepth 1 or 32 (now and then 4), up to 2 more job counts from 1
 * to 8, short runs; and now and then --memory-backed buffers, ring indices that
 * start just below 2^32 (so that they wrap within the run), a completion
 * delay, no polling, a few IO threads, one device thread, other block sizes,
 * batched submissions, reaps and pops.
 */
import { mulberry32 } from '../src/protocol/prng.js';
import {
  COMPLETION_PATHS,
  LOCK_CHOICES,
  LOCK_SIDES,
  MODES,
  type CompletionPath,
  type LockKind,
  type LockSides,
  type Mode,
} from '../src/protocol/options.js';
import type { BenchOptions } from '../src/protocol/settings-table.js';
import { DEFAULT_POLL_MAX_NS } from '../src/sync/poll-window.js';
import { SPIN_THRESHOLD } from '../src/sync/pv-lock.js';

/** The batching options of a sweep. */
type Batching = Pick<
  BenchOptions,
  'iodepthBatch' | 'iodepthBatchCompleteMin' | 'iodepthBatchCompleteMax' | 'iothreadBatch'
>;

/** Measured time and warm-up of every soak run: short, so that many configurations are tried. */
export const SOAK_RUNTIME_MS = 300;
export const SOAK_RAMP_MS = 50;
/** Largest job count a soak sweep uses. */
export const SOAK_MAX_JOBS = 8;

/** Every lock kind, --lock-sides and --completion-path combination, which the sweeps walk through in turn. */
export const COVERAGE: readonly { lock: LockKind; lockSides: LockSides; completionPath: CompletionPath }[] =
  LOCK_CHOICES.flatMap((lock) =>
    LOCK_SIDES.flatMap((lockSides) => COMPLETION_PATHS.map((completionPath) => ({ lock, lockSides, completionPath }))),
  );

/** The job counts every combination meets in turn: 2 to SOAK_MAX_JOBS. */
const COVERED_JOBS = SOAK_MAX_JOBS - 1;

/** Draws the soak's sweeps, one after another. */
export class SoakPlan {
  private readonly random: () => number;
  private sweeps = 0;

  /** @param watchdogS the watchdog of every run: a hang fails the soak after this long */
  constructor(
    readonly seed: number,
    private readonly watchdogS: number,
  ) {
    this.random = mulberry32(seed);
  }

  /** An integer from 0 to n - 1. */
  private below(n: number): number {
    return this.random() % n;
  }

  /** True with probability 1 / n. */
  private oneIn(n: number): boolean {
    return this.below(n) === 0;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** fio's batching mostly (1 at a time), and now and then batched submissions, reaps and pops. */
  private batching(iodepth: number): Batching {
    if (!this.oneIn(3)) {
      return { iodepthBatch: 1, iodepthBatchCompleteMin: 1, iodepthBatchCompleteMax: 1, iothreadBatch: 1 };
    }
    const upTo = (n: number): number => 1 + this.below(n);
    const completeMin = this.below(iodepth + 1);
    return {
      iodepthBatch: upTo(iodepth),
      iodepthBatchCompleteMin: completeMin,
      iodepthBatchCompleteMax: Math.max(1, completeMin, upTo(iodepth)),
      iothreadBatch: this.pick([1, 4, 32]),
    };
  }

  /** The options of the next sweep. */
  next(): BenchOptions {
    const k = this.sweeps++;
    const modes: Mode[] = this.oneIn(4) ? [...MODES] : [MODES[k % MODES.length]!];
    const covered = COVERAGE[k % COVERAGE.length]!;
    const locks = new Set<LockKind>([covered.lock]);
    if (this.oneIn(3)) locks.add(this.pick(LOCK_CHOICES));
    const walk = Math.floor(k / COVERAGE.length);
    const jobs = new Set<number>([2 + ((walk + k) % COVERED_JOBS)]);
    const jobCounts = 1 + this.below(3);
    while (jobs.size < jobCounts) jobs.add(1 + this.below(SOAK_MAX_JOBS));
    const bs = this.oneIn(4) ? this.pick([512, 65536]) : 4096;
    const iodepth = this.oneIn(8) ? 4 : this.pick([1, 32]);
    return {
      jobs: [...jobs].sort((a, b) => a - b),
      modes,
      locks: [...locks],
      bs,
      iodepth,
      ...this.batching(iodepth),
      deviceThreads: this.oneIn(4) ? 1 : undefined,
      guestNs: 0,
      iothreadNs: 0,
      pin: { kind: 'none' },
      iothreads: modes.includes('mq') && this.oneIn(4) ? 1 + this.below(4) : undefined,
      runtimeMs: SOAK_RUNTIME_MS,
      rampMs: SOAK_RAMP_MS,
      sizeBytes: 1024 * 1024 * 1024,
      seed: this.random(),
      completionNs: this.oneIn(5) ? 50_000 : 0,
      memoryBacked: this.oneIn(4),
      pollMaxNs: this.oneIn(4) ? 0 : DEFAULT_POLL_MAX_NS,
      completionPath: covered.completionPath,
      lockSides: covered.lockSides,
      spinThreshold: this.oneIn(4) ? 0 : SPIN_THRESHOLD,
      breakdown: !this.oneIn(4),
      repeat: 1,
      explain: false,
      cpus: undefined,
      watchdogS: this.watchdogS,
      json: undefined,
      svg: undefined,
      fioJson: undefined,
      quiet: true,
      ...(this.oneIn(4) ? { initialIndex: 2 ** 32 - 1 - this.below(20_000) } : {}),
    };
  }
}
