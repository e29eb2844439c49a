/**
 * What the commands need from Node.js, tested feature by feature rather than read from the
 * version: a Node that lacks one gets one line naming it, instead of a TypeError deep inside
 * a run. (Names imported from node: modules, such as util.parseArgs, are checked by Node
 * itself when it loads the module, before any of this runs.)
 */
import os from 'node:os';
import perfHooks from 'node:perf_hooks';

/** A feature and how to tell whether this Node has it. */
interface Feature {
  name: string;
  present: () => boolean;
}

const FEATURES: readonly Feature[] = [
  { name: 'SharedArrayBuffer', present: () => typeof SharedArrayBuffer === 'function' },
  { name: 'Atomics.wait', present: () => typeof Atomics.wait === 'function' },
  { name: 'os.availableParallelism', present: () => typeof os.availableParallelism === 'function' },
  { name: 'perf_hooks.createHistogram', present: () => typeof perfHooks.createHistogram === 'function' },
];

/** The features this Node lacks, by name; empty when it has them all. */
export function missingNodeFeatures(): string[] {
  return FEATURES.filter((feature) => !feature.present()).map((feature) => feature.name);
}
