/**
 * Progress of a sweep on stderr, the way fio shows it:
 *   tty    one line that keeps being rewritten: the run in progress, runs done of all, time
 *          elapsed and left, and the running point's live IOPS; each finished run's summary is
 *          printed above it
 *   lines  (stderr is not a terminal: CI, a redirect) one line per finished run, nothing else
 *   quiet  (--quiet) nothing
 */
import type { PointSpec } from '../main-thread/point-spec.js';
import type { RunResult } from '../report/result.js';
import { formatCount } from '../report/format.js';
import { renderRunLine } from '../report/table.js';

type ProgressStyle = 'tty' | 'lines' | 'quiet';

/** `1m05s`, `42s`. */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export class SweepProgress {
  private readonly startMs = performance.now();
  private runStartMs = this.startMs;
  private done = 0;
  private current = '';
  private iops: number | undefined;

  /**
   * @param total runs the sweep has
   * @param runMs what one run is expected to take (ramp + runtime), for the first estimate
   */
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly style: ProgressStyle,
    private readonly total: number,
    private readonly runMs: number,
    private readonly repeats: number,
  ) {}

  /** A run starts. */
  start(spec: PointSpec, repeat: number, done: number): void {
    this.done = done;
    this.runStartMs = performance.now();
    this.iops = undefined;
    const rep = this.repeats > 1 ? ` repeat ${repeat + 1}/${this.repeats}` : '';
    this.current = `${spec.mode} lock=${spec.lock} jobs=${spec.jobs} iodepth=${spec.iodepth} cpus=${spec.cpus}${rep}`;
    this.draw();
  }

  /** The running point's IOPS over the last moment. */
  live(iops: number): void {
    this.iops = iops;
    this.draw();
  }

  /** A run ended with these figures; `done` runs are finished now. */
  finished(run: RunResult, done: number): void {
    this.done = done;
    if (this.style === 'quiet') return;
    this.clear();
    this.out.write(`${renderRunLine(run)}\n`);
    this.draw();
  }

  /** The sweep is over: leave the terminal's line empty. */
  end(): void {
    this.clear();
  }

  /** The updating line: `[12/48] sq lock=spin jobs=3 ... | 1m02s, about 2m10s left | 482k IOPS`. */
  line(): string {
    const elapsed = performance.now() - this.startMs;
    const intoRun = performance.now() - this.runStartMs;
    const perRun = this.done > 0 ? (this.runStartMs - this.startMs) / this.done : this.runMs;
    const left = Math.max(0, (this.total - this.done) * perRun - intoRun);
    const iops = this.iops === undefined ? '' : ` | ${formatCount(this.iops)} IOPS`;
    const head = `[${Math.min(this.done + 1, this.total)}/${this.total}] ${this.current}`;
    return `${head} | ${formatClock(elapsed)}, about ${formatClock(left)} left${iops}`;
  }

  private draw(): void {
    if (this.style === 'tty' && this.current !== '') this.out.write(`\r\x1b[K${this.line()}`);
  }

  private clear(): void {
    if (this.style === 'tty') this.out.write('\r\x1b[K');
  }
}
