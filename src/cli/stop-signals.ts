/**
 * SIGINT and SIGTERM as a stop request, for the long-running commands
 * (`bench`, `soak`).
 *
 * The first signal aborts {@link SignalStop.signal}: the command lets the run
 * in progress drain, reports what it has, and exits with 128 + the signal's
 * number (130 for SIGINT, 143 for SIGTERM), as a shell expects of a program
 * stopped by a signal. What a second signal does depends on the process:
 *   'exit'    quit at once with that status (a user pressing Ctrl-C again)
 *   'ignore'  nothing: a bench child of --cpus gets Ctrl-C from the terminal
 *             and again from its parent, which forwards it, and must not
 *             take the second as "quit now"
 */
import os from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof SIGNALS)[number];

/** Exit status of a process stopped by `signal`: 128 + its number. */
function signalExitStatus(signal: StopSignal): number {
  return 128 + os.constants.signals[signal];
}

/**
 * Ends the process the way `signal` would have without a handler: restores its default action
 * and raises it again, so that the parent sees a process killed by SIGINT or SIGTERM (a shell
 * reports 130 or 143). Unlike process.exit(), which waits for Node's thread pool, this cannot be
 * held up by a thread blocked in a read that never ends (a pipe nobody writes to).
 */
export function dieBySignal(signal: StopSignal): never {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // The signal is delivered at once; should it not be, the exit status still says which it was.
  process.exit(signalExitStatus(signal));
}

interface SignalStopOptions {
  /** What a second signal does; see the file comment. */
  repeat: 'exit' | 'ignore';
  /** Printed to stderr on the first signal (e.g. what happens now), after `vblk-mq: SIGINT: `. */
  announce?: string;
}

export class SignalStop {
  /** The first signal received, if any. */
  received: StopSignal | undefined;
  private readonly controller = new AbortController();
  private readonly handler = (signal: StopSignal): void => this.onSignal(signal);

  /** Installs the handlers; call dispose() when the command no longer runs anything. */
  constructor(private readonly options: SignalStopOptions) {
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  /** Aborted on the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** 130 or 143 once a signal came, else undefined. */
  exitStatus(): number | undefined {
    return this.received === undefined ? undefined : signalExitStatus(this.received);
  }

  /** Removes the handlers: signals act as by default again. */
  dispose(): void {
    for (const s of SIGNALS) process.off(s, this.handler);
  }

  private onSignal(signal: StopSignal): void {
    if (this.received === undefined) {
      this.received = signal;
      if (this.options.announce !== undefined) process.stderr.write(`\nvblk-mq: ${signal}: ${this.options.announce}\n`);
      this.controller.abort();
      return;
    }
    if (this.options.repeat === 'exit') {
      process.stderr.write(`vblk-mq: ${signal} again: quitting at once\n`);
      process.exit(signalExitStatus(this.received));
    }
  }
}
