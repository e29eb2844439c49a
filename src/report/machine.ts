/**
 * The machine a result came from, and the code that made it, recorded in every result file;
 * and how reports name the machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MachineInfo, WakeupCosts } from './result.js';

/** The package's folder: three levels above this file, in dist/src/report/ or in src/report/. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The package's version, from its package.json. */
function packageVersion(): string {
  try {
    const text = fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    return String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/**
 * `git describe --always --dirty` of the package's clone, or null when the package is not the
 * top of a clone (an installed copy: the repository around it, if any, is somebody else's).
 */
function gitDescribe(): string | null {
  const git = (...args: string[]): string | null => {
    const r = spawnSync('git', args, { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 5_000 });
    return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
  };
  const top = git('rev-parse', '--show-toplevel');
  if (top === null || fs.realpathSync(top) !== fs.realpathSync(PACKAGE_ROOT)) return null;
  return git('describe', '--always', '--dirty', '--tags');
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    memoryBytes: os.totalmem(),
    version: packageVersion(),
    gitDescribe: gitDescribe(),
  };
}

/** `wake-up 4.2 us same core, 22 us across cores; spin handoff 0.1 us`: the line a sweep prints. */
export function describeWakeups(costs: WakeupCosts | null): string {
  if (costs === null) return 'wake-up cost: not measured (the calibration could not run)';
  const us = (value: number): string =>
    `${value < 1 ? value.toFixed(2) : value < 10 ? value.toFixed(1) : Math.round(value)} us`;
  const wake: string[] = [];
  if (costs.sameCoreUs !== null) wake.push(`${us(costs.sameCoreUs)} same core`);
  if (costs.crossCoreUs !== null) wake.push(`${us(costs.crossCoreUs)} across cores`);
  if (costs.unpinnedUs !== null) wake.push(`${us(costs.unpinnedUs)} unpinned`);
  const spin = costs.spinHandoffUs === null ? '' : `; spin handoff ${us(costs.spinHandoffUs)}`;
  return `wake-up ${wake.join(', ')}${spin}`;
}

/** `AMD EPYC, 2 cpus (2 available), node v20.20.2, linux-x64; wake-up ...`: a machine on one line. */
export function describeMachine(machine: MachineInfo): string {
  const cpus = `${machine.cpus} cpus (${machine.availableParallelism} available)`;
  const wakeup = machine.wakeup === undefined ? '' : `; ${describeWakeups(machine.wakeup)}`;
  return `${machine.cpuModel}, ${cpus}, node ${machine.node}, ${machine.platform}${wakeup}`;
}
