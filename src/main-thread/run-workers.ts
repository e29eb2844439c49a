/**
 * Starting the workers of one run: each role's task (what it reads and
 * writes in the run's memory), handed to the pool as one long-running task
 * per worker, in roster order.
 *
 * A task that fails (the worker threw, or its thread exited) fails the run
 * at once, with a message that names the worker and, when it died holding a
 * submission ring's lock, that lock: the lock stays held for ever, and
 * RunAbort's poison is what frees the threads waiting for it.
 */
import type { Piscina } from 'piscina';
import { failpointOf } from '../protocol/failpoint.js';
import { ringName, type Topology } from '../protocol/topology.js';
import { rosterSlot, workerName, type WorkerId, type WorkerRole } from '../protocol/roster.js';
import { readAllowedCpus } from '../protocol/cpu-list.js';
import { placement } from './placement.js';
import { stageClockOrigin } from '../protocol/stage-clock.js';
import { roleSettings, type RoleSettings } from '../protocol/settings-table.js';
import type { RingHandle } from '../ring/ring-core.js';
import type {
  Aborted,
  CommonTask,
  IothreadResult,
  IothreadTask,
  NullblkResult,
  NullblkTask,
  VcpuResult,
  VcpuTask,
} from '../protocol/tasks.js';
import { WORKER_FILES } from './worker-pool.js';
import { RunFailure } from './run-failure.js';
import type { RunAbort } from './run-abort.js';
import type { RunMemory } from './run-memory.js';
import type { PointSpec } from './point-spec.js';

/** Longest single park of a worker, ms: every wait is bounded so a stop is always noticed. */
const PARK_MS = 20;
/** Longest wait of a worker at the start barrier, ms. */
export const BARRIER_MS = 30_000;

/** What every worker's task settles to. */
export interface RunTasks {
  vcpus: (VcpuResult | Aborted)[];
  iothreads: (IothreadResult | Aborted)[];
  devices: (NullblkResult | Aborted)[];
}

/** The running tasks of a run, and which workers have returned (the watchdog asks). */
export interface StartedWorkers {
  settled: Promise<RunTasks>;
  returned(worker: WorkerId): boolean;
  /** The origin of the run's stamp time line (stage-clock.ts), which every worker measures from. */
  stageOriginHrNs: bigint;
}

/** Starts every worker of the run on `pool`. */
export function startWorkers(
  pool: Piscina,
  spec: PointSpec,
  topology: Topology,
  memory: RunMemory,
  abort: RunAbort,
): StartedWorkers {
  const returned = new Set<string>();
  const cpus = placement(spec.pin, topology, readAllowedCpus('/proc/self/status'));
  const stageOriginHrNs = stageClockOrigin();
  /** What every worker's task starts with: the run's handles, and the settings its role reads. */
  const common = <R extends WorkerRole>(worker: WorkerId & { role: R }): CommonTask & RoleSettings<R> => {
    const failpoint = failpointOf(spec.failpoints, worker.role, worker.index);
    return {
      ...roleSettings(worker.role, spec),
      control: memory.control.handle,
      parkMs: PARK_MS,
      barrierMs: BARRIER_MS,
      cpus: cpus[rosterSlot(topology.workers, worker.role, worker.index)]!,
      stageOriginHrNs,
      trace: spec.trace ?? null,
      ...(failpoint === undefined ? {} : { failpoint }),
    };
  };

  /** A worker's task promise; a failure is named after the worker and aborts the run. */
  function start<T>(worker: WorkerId, task: CommonTask): Promise<T | Aborted> {
    const name = workerName(worker);
    return (pool.run(task, { filename: WORKER_FILES[worker.role] }) as Promise<T | Aborted>).then(
      (result) => {
        returned.add(name);
        return result;
      },
      (error: unknown) => {
        returned.add(name);
        const message = error instanceof Error ? error.message : String(error);
        const failure = new RunFailure(`${name} failed: ${message}${heldLocks(worker)}`);
        abort.fail(failure);
        throw failure;
      },
    );
  }

  /** `, holding the shared ring lock` when the worker's thread still holds a submission ring's lock. */
  function heldLocks(worker: WorkerId): string {
    const id = memory.control.progress(worker.role, worker.index).threadId;
    if (id === 0) return '';
    const held = memory.guards.flatMap((guard, r) =>
      guard !== null && guard.holder() === id ? [ringName(topology, r)] : [],
    );
    return held.length === 0 ? '' : `, holding the ${held.join(', ')} lock`;
  }

  /** The vCPUs a thread posts completions to, with their completion rings. */
  const postsOf = (vcpus: number[]): { vcpus: number[]; usedRings: RingHandle<'ring'>[] } => ({
    vcpus,
    usedRings: vcpus.map((v) => memory.usedRings[v]!.handle),
  });

  const blocks = Math.floor(spec.sizeBytes / spec.bs);
  const vcpus = topology.vcpuRing.map((ring, index) => {
    const worker = { role: 'vcpu', index } as const;
    const task: VcpuTask = {
      ...common(worker),
      index,
      blocks,
      submission: memory.rings[ring]!.handle,
      ring,
      usedRing: memory.usedRings[index]!.handle,
      iothread: topology.ringIothread[ring]!,
      data: memory.data[index]!,
    };
    return start<VcpuResult>(worker, task);
  });
  const iothreads = topology.iothreadRings.map((rings, index) => {
    const worker = { role: 'iothread', index } as const;
    const task: IothreadTask = {
      ...common(worker),
      index,
      rings: rings.map((r) => memory.rings[r]!.handle),
      ringIndexes: rings,
      hwq: memory.hwqs[index]!.handle,
      device: topology.hwqDevice[index]!,
      completionQueue: memory.completionQueues[index]?.handle ?? null,
      ...postsOf(topology.completionPath === 'iothread' ? topology.iothreadVcpus[index]! : []),
    };
    return start<IothreadResult>(worker, task);
  });
  const devices = topology.deviceHwqs.map((hwqs, index) => {
    const worker = { role: 'nullblk', index } as const;
    const vcpus = topology.deviceVcpus[index]!;
    const task: NullblkTask = {
      ...common(worker),
      index,
      hwqs: hwqs.map((k) => memory.hwqs[k]!.handle),
      hwqIndexes: hwqs,
      vcpus,
      usedRings: topology.completionPath === 'direct' ? postsOf(vcpus).usedRings : [],
      completionQueues: hwqs.flatMap((k) => memory.completionQueues[k]?.handle ?? []),
      completionIothreads: hwqs,
      data: vcpus.map((v) => memory.data[v]!),
    };
    return start<NullblkResult>(worker, task);
  });

  const settled = Promise.all([Promise.all(vcpus), Promise.all(iothreads), Promise.all(devices)]).then(
    ([v, t, d]): RunTasks => ({ vcpus: v, iothreads: t, devices: d }),
  );
  // The failure is recorded by start(); this only marks the rejection as handled meanwhile.
  settled.catch(() => undefined);
  return { settled, returned: (worker) => returned.has(workerName(worker)), stageOriginHrNs };
}
