/**
 * Checks of lock statistics (LockStats) that several test files share: a lock's, or a
 * multi-producer ring's publication waits, which count with the same meaning.
 */
import { expect } from 'vitest';

import type { LockStats } from '../../dist/src/index.js';

/** Statistics with nothing counted. */
export const ZERO_STATS: LockStats = {
  acquisitions: 0,
  contentions: 0,
  spins: 0,
  parks: 0,
  waitNsTotal: 0,
  waitNsMax: 0,
  timeouts: 0,
};

/** The statistics invariants that hold whatever the interleaving. */
export function expectConsistent(stats: LockStats): void {
  expect(stats.contentions).toBeLessThanOrEqual(stats.acquisitions);
  expect(stats.waitNsMax).toBeLessThanOrEqual(stats.waitNsTotal);
  for (const value of Object.values(stats)) expect(value).toBeGreaterThanOrEqual(0);
}
