/**
 * Async waits keep the process alive while they are pending (issue 21.3): a main thread that
 * awaits lockAsync(), or waitUntilAsync() for a ring's data or for a word, while its only other work is
 * an unref()'d worker settles the wait before the process exits; with { keepAlive: false } Node
 * exits first, with code 13 (an unsettled top-level await), as it did before. Each case runs
 * test/fixtures/keep-alive.mjs in a process of its own.
 *
 * Tests the compiled output: run `npx tsc -p tsconfig.json` first. No test asserts on speed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/keep-alive.mjs', import.meta.url));
/** Each process waits 100 ms for its worker; this bounds a process that hangs instead. */
const PROCESS_TIMEOUT_MS = 20_000;

/** Runs the fixture; returns its exit status and what it printed. */
function run(what: string, options: object): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [FIXTURE, what, JSON.stringify(options)], {
    encoding: 'utf8',
    timeout: PROCESS_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout.trim() };
}

describe('an async wait on the main thread, released by an unref()ed worker', () => {
  it.each([
    ['lock', 'lockAsync()'],
    ['ring', "waitUntilAsync() for a Ring's data"],
    ['until', 'waitUntilAsync()'],
  ])(
    '%s: %s keeps the process alive until it settles, by default',
    (what) => {
      expect(run(what, {})).toEqual({ status: 0, stdout: `${what}: true` });
    },
    PROCESS_TIMEOUT_MS + 5_000,
  );

  it.each(['lock', 'ring', 'until'])(
    '%s: with { keepAlive: false } the process exits first, with code 13',
    (what) => {
      expect(run(what, { keepAlive: false })).toEqual({ status: 13, stdout: '' });
    },
    PROCESS_TIMEOUT_MS + 5_000,
  );
});
