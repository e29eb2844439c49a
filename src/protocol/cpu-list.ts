/**
 * CPU lists as Linux writes them (`0-3,8,10-11`: /proc/<pid>/status's
 * Cpus_allowed_list, taskset -c): parsing, writing, and reading a thread's
 * allowed CPUs. Shared by the command line (--pin), the main thread (which
 * CPUs the process may use) and the workers (which CPUs they run on).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const ITEM = /^(\d+)(?:-(\d+))?$/;
/** The most CPUs a list may name: more is surely a typo, and Linux's default NR_CPUS is far below. */
const MAX_CPU = 8191;

/** The CPUs of `text` (`0-3,8`), sorted and distinct, or null when it is not a CPU list. */
export function parseCpuList(text: string): number[] | null {
  const cpus = new Set<number>();
  for (const item of text.trim().split(',')) {
    const match = ITEM.exec(item.trim());
    if (match === null) return null;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    if (high < low || high > MAX_CPU) return null;
    for (let cpu = low; cpu <= high; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** `[0, 1, 2, 3, 8]` as `0-3,8`. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The CPUs a thread may run on, from its /proc status file (default: the calling thread's), or
 * null where that cannot be read (not Linux, /proc hidden).
 */
export function readAllowedCpus(status = '/proc/thread-self/status'): number[] | null {
  try {
    const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync(status, 'utf8'));
    return line === null ? null : parseCpuList(line[1]!);
  } catch {
    return null;
  }
}

/** Whether two CPU sets are equal. */
export function sameCpus(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((cpu, i) => cpu === b[i]);
}

/** Whether threads can be pinned here: Linux, with the taskset command (util-linux). */
export function tasksetAvailable(): boolean {
  return process.platform === 'linux' && spawnSync('taskset', ['--version']).error === undefined;
}
