/**
 * Running worker threads from tests, so that no test can hang on one.
 *
 * A worker module comes either from a file in test/fixtures/ ({@link fixtureWorker}) or from
 * source written inline in the test ({@link inlineWorker}). Either way it is plain ESM that
 * imports the COMPILED library (dist/src/index.js, by absolute file URL), as a user's worker
 * would; build with `npx tsc -p tsconfig.json` first.
 *
 * Protocol: a worker posts its result with `parentPort.postMessage(...)` and exits. Its result is
 * the last message it posted before exiting normally. An uncaught error, an exit without a
 * result, or running past the timeout rejects; on timeout the worker is terminated, so a test
 * whose worker waits forever (a lost wake-up, a lock never released) fails instead of hanging.
 * Lock handles, ring handles and SharedArrayBuffers are structured-cloneable, so they go in
 * `workerData` as they are.
 */
import { Worker } from 'node:worker_threads';

/** Absolute file URL of the compiled library, for worker modules to import. */
export const LIB_URL: string = new URL('../../dist/src/index.js', import.meta.url).href;

const FIXTURES = new URL('../fixtures/', import.meta.url);

/**
 * Default time a worker may run. Below the 30 s vitest timeout of the worker tests, so that the
 * helper's error (which names the worker) is the one reported.
 */
export const DEFAULT_WORKER_TIMEOUT_MS = 20_000;

/** Where a worker's module comes from, and what to call it in errors. */
export interface WorkerSource {
  readonly url: URL;
  readonly name: string;
}

/** The worker module `test/fixtures/<file>`. */
export function fixtureWorker(file: string): WorkerSource {
  return { url: new URL(file, FIXTURES), name: file };
}

/**
 * A worker module written inline. `body` runs after this prelude, so it may use these names:
 *
 *     import { parentPort, workerData, threadId } from 'node:worker_threads';
 *     import * as vblk from '<LIB_URL>';
 *
 * The module is loaded from a `data:` URL, which may import only built-ins and absolute URLs:
 * hence the library's absolute file URL.
 */
export function inlineWorker(body: string, name = 'inline worker'): WorkerSource {
  const source = [
    `import { parentPort, workerData, threadId } from 'node:worker_threads';`,
    `import * as vblk from ${JSON.stringify(LIB_URL)};`,
    body,
  ].join('\n');
  return { url: new URL(`data:text/javascript,${encodeURIComponent(source)}`), name };
}

/** Options of {@link startWorker} and {@link runWorkers}. */
export interface WorkerOptions {
  /** Terminate the worker and reject after this long (default {@link DEFAULT_WORKER_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Called with every message the worker posts, as it arrives. */
  onMessage?: (message: unknown) => void;
}

/** A started worker. */
export interface RunningWorker<R> {
  /** Node's `threadId` of the worker: what `lock.holder()` reports while it holds a lock. */
  readonly threadId: number;
  /** The Worker itself, e.g. for `recoverOnExit(worker, locks)`. */
  readonly worker: Worker;
  /** Resolves with the exit code once the worker has exited, however it ended (never rejects). */
  readonly exited: Promise<number>;
  /** The worker's result: the last message it posted, once it has exited normally. */
  readonly result: Promise<R>;
  /** Stops the worker now (its result rejects if it had not finished). */
  terminate(): Promise<void>;
}

/** Every worker started and not yet exited, for {@link terminateAllWorkers}. */
const live = new Set<Worker>();

/** Starts one worker running `source` with `workerData`. */
export function startWorker<R>(
  source: WorkerSource,
  workerData: unknown,
  options: WorkerOptions = {},
): RunningWorker<R> {
  const { timeoutMs = DEFAULT_WORKER_TIMEOUT_MS, onMessage } = options;
  const worker = new Worker(source.url, { workerData });
  live.add(worker);
  const { threadId } = worker;
  const what = `${source.name} (thread ${threadId})`;
  const messages: unknown[] = [];
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const result = new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${what} did not finish within ${timeoutMs} ms; terminated`));
      void worker.terminate();
    }, timeoutMs);
    worker.on('message', (message: unknown) => {
      messages.push(message);
      onMessage?.(message);
    });
    worker.on('error', (error) => {
      reject(error);
      void worker.terminate();
    });
    // Settling an already settled promise is a no-op, so after an error or a timeout this only cleans up.
    worker.on('exit', (code) => {
      clearTimeout(timer);
      live.delete(worker);
      if (code === 0 && messages.length > 0) resolve(messages[messages.length - 1] as R);
      else reject(new Error(`${what} exited with code ${code} after posting ${messages.length} message(s)`));
    });
  });
  // The caller may await another worker first; a rejection here must not count as unhandled meanwhile.
  result.catch(() => {});
  return {
    threadId,
    worker,
    exited,
    result,
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/**
 * Runs one worker per entry of `workerData` (all started at once) and resolves with their results
 * in the same order. When one fails, the others are terminated and the first failure rejects.
 */
export async function runWorkers<R>(
  source: WorkerSource,
  workerData: readonly unknown[],
  options: WorkerOptions = {},
): Promise<R[]> {
  const running = workerData.map((data) => startWorker<R>(source, data, options));
  try {
    return await Promise.all(running.map((worker) => worker.result));
  } catch (error) {
    await Promise.all(running.map((worker) => worker.terminate()));
    throw error;
  }
}

/** Terminates every worker still running: an `afterEach` safety net for tests that failed half-way. */
export async function terminateAllWorkers(): Promise<void> {
  await Promise.all([...live].map((worker) => worker.terminate()));
}

/**
 * Resolves once `condition()` is true, checking every millisecond without blocking the event
 * loop (so worker messages and timeouts keep being handled). Rejects after `timeoutMs`.
 */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = DEFAULT_WORKER_TIMEOUT_MS,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
