/**
 * The check that ends every run: each request a vCPU submitted was completed
 * exactly once, by every stage of the path, and (with --memory-backed) got
 * the data the device wrote for it. A run that fails it fails loudly, with
 * the ids (`vcpu/seq`) of the requests concerned.
 */
import type { IothreadResult, NullblkResult, VcpuResult } from '../protocol/tasks.js';
import type { Topology } from '../protocol/topology.js';
import { RunFailure } from './run-failure.js';

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** @throws RunFailure naming every problem found. */
export function checkConservation(
  topology: Topology,
  vcpus: readonly VcpuResult[],
  iothreads: readonly IothreadResult[],
  devices: readonly NullblkResult[],
): void {
  const problems: string[] = [];
  const submitted = sum(vcpus.map((v) => v.submitted));
  for (const v of vcpus) {
    if (v.lost.length > 0) {
      problems.push(`vcpu ${v.index} lost ${v.lost.length} requests (vcpu/seq ${v.lost.slice(0, 10).join(' ')})`);
    }
    if (v.unexpectedCount > 0) {
      const ids = v.unexpected.join(' ');
      problems.push(
        `vcpu ${v.index} got ${v.unexpectedCount} completions matching no request in flight (vcpu/seq ${ids})`,
      );
    }
    if (v.corrupt > 0) problems.push(`vcpu ${v.index} found ${v.corrupt} of ${v.verified} buffers with wrong data`);
    if (v.submitted !== v.completed)
      problems.push(`vcpu ${v.index} submitted ${v.submitted} but completed ${v.completed}`);
  }
  const moved = sum(iothreads.map((t) => t.moved));
  if (moved !== submitted) problems.push(`IO threads moved ${moved} requests, vcpus submitted ${submitted}`);
  const completed = sum(devices.map((d) => d.completed));
  if (completed !== submitted)
    problems.push(`the device completed ${completed} requests, vcpus submitted ${submitted}`);
  // Each completion was posted to its vCPU exactly once, by the role the completion path names.
  const posters = topology.completionPath === 'iothread' ? iothreads : devices;
  const posted = sum(posters.map((t) => t.completions));
  const who = topology.completionPath === 'iothread' ? 'IO threads' : 'device threads';
  if (posted !== submitted) problems.push(`${who} posted ${posted} completions, vcpus submitted ${submitted}`);
  // Each hardware queue was served by exactly one device thread: the one the topology gave it.
  topology.hwqDevice.forEach((d, k) => {
    const by = devices.filter((device) => device.hwqs.includes(k)).map((device) => device.index);
    if (by.length !== 1 || by[0] !== d) {
      problems.push(`hardware queue ${k} was served by device threads [${by.join(', ')}], not by ${d} alone`);
    }
  });
  if (problems.length > 0) throw new RunFailure(`conservation check failed: ${problems.join('; ')}`);
}
