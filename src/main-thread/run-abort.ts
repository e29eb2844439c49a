/**
 * The first failure of a run, and what follows from it at once: the phase
 * goes to ABORT (every worker leaves its loop at its next bounded wait), every
 * submission ring is poisoned (a worker spinning or parked on a lock that a
 * dead or stuck worker holds, or waiting to publish behind a producer that
 * died between reserve and publish, gives up with LockPoisonedError), and the
 * main thread's own waits are cut short. Later failures are consequences and are dropped,
 * so the message names the worker that failed first.
 */
import type { RunControl } from '../protocol/run-control.js';
import { Ring } from '../ring/ring.js';
import type { AnyRing } from '../ring/create-ring.js';

export class RunAbort {
  /** The first failure, or null while the run is healthy. */
  failure: Error | null = null;
  private readonly controller = new AbortController();

  /** @param rings the run's submission rings */
  constructor(
    private readonly control: RunControl,
    private readonly rings: readonly AnyRing[],
  ) {}

  /** Aborted on the first failure: pass it to the main thread's waits. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Records `error` if it is the first failure, and aborts the run. Safe to call again. */
  fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    // ABORT before the poison: a worker that sees the poison then sees ABORT
    // too, and leaves quietly (workers/support/leave-on-abort.ts).
    this.control.abort();
    for (const ring of this.rings) if (!(ring instanceof Ring)) ring.poison(); // a Ring has nothing to poison
    this.controller.abort(error);
  }

  throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Settles as `promise` does, or rejects with the failure if the run fails first. */
  race<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(this.failure);
      if (this.failure !== null) return onAbort();
      this.signal.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => this.signal.removeEventListener('abort', onAbort);
      promise.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }
}
