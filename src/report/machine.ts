/** The machine a result came from, recorded in every result file, and how reports name it. */
import os from 'node:os';
import type { MachineInfo, WakeupCosts } from './result.js';

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
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
