/**
 * `--pin POLICY`: where the worker threads run (options.ts, PinPolicy). `none`, `split`, or
 * CPU sets by role in libvirt's manner, `vcpus=0-3,iothreads=0-1,device=1`, whose commas
 * separate both the roles and the items of a CPU list (an item with `=` starts a role).
 */
import { formatCpuList, parseCpuList } from '../protocol/cpu-list.js';
import { PIN_ROLE_WORDS, type PinPolicy } from '../protocol/options.js';
import type { WorkerRole } from '../protocol/roster.js';
import { plural } from '../report/format.js';
import { quote, usageError } from './units.js';
import { UsageError } from './usage-error.js';

const HINT = 'give none, split, or CPU sets by role such as vcpus=0-3,iothreads=0-1,device=1';

/** Where pinning can happen, as the bench found the machine. */
interface PinEnv {
  /** The CPUs this process may use, sorted; null where unknown (not Linux). */
  allowed: readonly number[] | null;
  /** Whether taskset is there to pin threads with. */
  canPin: boolean;
  /** --cpus: each child sweep runs on the first N of `allowed`. */
  cpuCounts: readonly number[] | undefined;
}

/**
 * Parses --pin and checks that the machine can apply it.
 * @throws UsageError, one line: a malformed policy, an unknown role, a CPU the process (or a
 *   --cpus child) may not use, or no way to pin here
 */
export function parsePin(text: string, env: PinEnv): PinPolicy {
  const word = text.trim().toLowerCase();
  const policy: PinPolicy = word === 'none' || word === 'split' ? { kind: word } : parseSets(text);
  if (policy.kind === 'none') return policy;
  if (env.allowed === null || !env.canPin) {
    throw new UsageError(
      `--pin ${quote(text)}: pinning needs Linux and the taskset command (util-linux), which were not found; ` +
        'leave out --pin',
    );
  }
  if (policy.kind === 'sets') checkSets(text, policy.sets, env);
  return policy;
}

function parseSets(text: string): Extract<PinPolicy, { kind: 'sets' }> {
  const words = Object.entries(PIN_ROLE_WORDS) as [WorkerRole, string][];
  const lists = new Map<WorkerRole, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (current === undefined || item === '') throw usageError('--pin', quote(text), 'is not a policy', HINT);
      current.push(item);
      continue;
    }
    const name = item.slice(0, eq).trim().toLowerCase();
    const role = words.find(([, w]) => w === name)?.[0];
    if (role === undefined) {
      const roles = words.map(([, w]) => w).join(', ');
      throw usageError('--pin', quote(item), 'names no role', `give CPU sets of ${roles}, such as vcpus=0-3`);
    }
    if (lists.has(role)) throw usageError('--pin', quote(text), `gives ${name} twice`, 'give each role once');
    current = [item.slice(eq + 1)];
    lists.set(role, current);
  }
  const sets: Partial<Record<WorkerRole, number[]>> = {};
  for (const [role, items] of lists) {
    const cpus = parseCpuList(items.join(','));
    if (cpus === null || cpus.length === 0) {
      const shown = `${PIN_ROLE_WORDS[role]}=${items.join(',')}`;
      throw usageError('--pin', quote(shown), 'is not a CPU list', 'give CPUs such as 0-3 or 0,2,4');
    }
    sets[role] = cpus;
  }
  return { kind: 'sets', sets };
}

/** Every CPU of every set must be one the process, and each --cpus child, may use. */
function checkSets(text: string, sets: Partial<Record<WorkerRole, number[]>>, env: PinEnv): void {
  const allowed = env.allowed ?? [];
  const scopes = env.cpuCounts === undefined ? [allowed.length] : [...env.cpuCounts];
  for (const [role, cpus] of Object.entries(sets) as [WorkerRole, number[]][]) {
    for (const count of scopes) {
      const usable = allowed.slice(0, count);
      const outside = cpus.find((cpu) => !usable.includes(cpu));
      if (outside === undefined) continue;
      const set = `${PIN_ROLE_WORDS[role]}=${formatCpuList(cpus)}`;
      const where =
        env.cpuCounts === undefined
          ? `not one this process may use (${formatCpuList(allowed)})`
          : `outside the ${plural(count, 'CPU')} of --cpus ${count} (${formatCpuList(usable)})`;
      const within = set === text.trim() ? '' : ` in ${quote(text)}`;
      throw new UsageError(`--pin: CPU ${outside} of ${quote(set)}${within} is ${where}`);
    }
  }
}
