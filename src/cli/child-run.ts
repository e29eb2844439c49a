/**
 * A child process that a stop request reaches: the commands that start others (`results`, and
 * its micro-vs entries) run each child with spawn, not spawnSync, so that their event loop is
 * free to take SIGINT or SIGTERM and forward it (SignalStop), and then wait for the child to end.
 * A blocked spawnSync would leave a signalled parent dead and its child running on, orphaned.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import os from 'node:os';
import type { SignalStop } from './stop-signals.js';

interface ChildOutcome {
  /** The exit status, or 128 + the signal's number for a child a signal ended; 127 when it could not start. */
  status: number;
  /** Its standard output, when `options.stdio` piped it (else ''). */
  stdout: string;
  /** Its standard error, when piped (else ''). */
  stderr: string;
}

/**
 * Runs `command` with `args` to its end; a stop request (the first signal `stop` receives) is
 * forwarded to it, and the promise still waits for the child to exit.
 */
export function runChild(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
  stop: SignalStop,
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    // Its own process group: a Ctrl-C at the terminal reaches this process alone, which forwards
    // it once; the child would otherwise get it twice and take the second as "quit at once".
    const child = spawn(command, args, { ...options, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const forward = (): void => void child.kill(stop.received);
    if (stop.signal.aborted) forward();
    else stop.signal.addEventListener('abort', forward, { once: true });
    child.on('error', () => resolve({ status: 127, stdout, stderr }));
    // 'close' comes after the child's output streams have ended ('exit' may come before).
    child.on('close', (code, signal) => {
      stop.signal.removeEventListener('abort', forward);
      resolve({ status: code ?? (signal === null ? 1 : 128 + os.constants.signals[signal]), stdout, stderr });
    });
  });
}
