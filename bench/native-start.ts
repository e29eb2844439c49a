/**
 * The start of a bench:native run that both of its case files use (native-child.ts for V8's
 * cases, native-mt.ts for the multithreading package's): the child waits until every worker
 * says it is ready or done, and a worker says ready and waits for GO.
 */
import type { MessagePort, Worker } from 'node:worker_threads';

/** Longest a worker waits for GO before deciding its child process is gone. */
const GO_TIMEOUT_MS = 30_000;

/** Worker side of a run's start: says 'ready' to its child, then waits (bounded) for GO in `control`. */
export function readyThenAwaitGo(port: MessagePort, control: Int32Array, go: number): void {
  port.postMessage('ready');
  if (Atomics.wait(control, go, 0, GO_TIMEOUT_MS) === 'timed-out') {
    throw new Error(`no GO from the child within ${GO_TIMEOUT_MS} ms`);
  }
}

/**
 * Child side: resolves once every worker has posted `message`; rejects when one fails or exits
 * before it.
 */
export function allSaid(workers: readonly Worker[], message: string): Promise<void[]> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const onMessage = (m: unknown): void => {
            if (m !== message) return;
            worker.off('message', onMessage);
            resolve();
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`a worker exited with code ${code} before '${message}'`)));
        }),
    ),
  );
}
