/**
 * One point of the emulator for the tests that run it: every option at the default a user gets
 * (parsed from an empty command line, so from the table of settings), short runs, each field
 * overridable, so that a test states only what it is about.
 */
import type { PointSpec } from '../../dist/src/main-thread/point-spec.js';
import { parseBenchArgs } from '../../dist/src/cli/bench-args.js';
import { pointSettings, type BenchOptions } from '../../dist/src/protocol/settings-table.js';

/** `npm run bench` with no options, on a 2-core machine that cannot pin. */
function defaultOptions(): BenchOptions {
  const args = parseBenchArgs([], { cores: 2, allowedCpus: null, canPin: false });
  if (args.help) throw new Error('an empty command line asked for help');
  return args.options;
}

const DEFAULTS = pointSettings(defaultOptions());

/** A short sq run of 2 vCPUs at iodepth 1 on a 64 MiB device, with `overrides`. */
export function point(overrides: Partial<PointSpec> = {}): PointSpec {
  return {
    ...DEFAULTS,
    mode: 'sq',
    lock: 'spin',
    jobs: 2,
    iothreads: 1,
    sizeBytes: 64 * 1024 * 1024,
    rampMs: 50,
    runtimeMs: 200,
    cpus: 2,
    ...overrides,
  };
}
