/**
 * One point of the emulator for the tests that run it: every option at the default a user gets,
 * short runs, each field overridable, so that a test states only what it is about.
 */
import type { PointSpec } from '../../dist/src/main-thread/point-spec.js';
import { DEFAULT_BATCHING } from '../../dist/src/protocol/options.js';

/** A short sq run of 2 vCPUs at iodepth 1, with `overrides`. */
export function point(overrides: Partial<PointSpec> = {}): PointSpec {
  return {
    mode: 'sq',
    lock: 'spin',
    jobs: 2,
    iodepth: 1,
    iothreads: 1,
    batching: DEFAULT_BATCHING,
    deviceThreads: undefined,
    work: { guestNs: 0, iothreadNs: 0 },
    pin: { kind: 'none' },
    bs: 4096,
    sizeBytes: 64 * 1024 * 1024,
    seed: 1,
    completionNs: 0,
    memoryBacked: false,
    pollMaxNs: 32_768,
    completionPath: 'iothread',
    lockSides: 'submit+pop',
    spinThreshold: 32_768,
    breakdown: true,
    rampMs: 50,
    runtimeMs: 200,
    cpus: 2,
    ...overrides,
  };
}
