/**
 * Which CPUs each worker of a run gets under a --pin policy (options.ts): the run's placement,
 * one CPU set per worker in roster order, handed to each worker in its task.
 */
import type { PinPolicy } from '../protocol/options.js';
import { roster } from '../protocol/roster.js';
import type { Topology } from '../protocol/topology.js';

/**
 * The CPU set of each worker of `topology`, in roster order.
 * @param allowed the CPUs this process may use, sorted; null where unknown (then every set is
 *   null and the workers are left where they are)
 */
export function placement(pin: PinPolicy, topology: Topology, allowed: readonly number[] | null): (number[] | null)[] {
  return roster(topology.workers).map(({ role, index }) => {
    if (allowed === null || allowed.length === 0) return null;
    if (pin.kind === 'split') return [allowed[index % allowed.length]!];
    const set = pin.kind === 'sets' ? pin.sets[role] : undefined;
    return set === undefined || set.length === 0 ? [...allowed] : [set[index % set.length]!];
  });
}
