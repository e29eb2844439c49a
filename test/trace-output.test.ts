/**
 * The output side of `--trace` (issue 29) over synthetic records: the Trace Event Format file
 * (trace-json.ts, checked by trace-check.ts), the time by state (trace-states.ts), the
 * swimlanes (trace-svg.ts), and docs/model.md's table of event names.
 * Runs against the compiled code: `npx tsc -p tsconfig.json` first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { NotifyKind, TRACE_WORDS, TraceKind, type ThreadTrace } from '../dist/src/protocol/trace-record.js';
import { buildTraceEvents, serializeTraceFile, type TraceEvent } from '../dist/src/report/trace-json.js';
import { checkTraceFile } from '../dist/src/report/trace-check.js';
import { isTraceEventName, renderTraceEventTable, TRACE_EVENTS } from '../dist/src/report/trace-events.js';
import { roleStates, THREAD_STATES, threadStates } from '../dist/src/report/trace-states.js';
import { chooseExcerpt, renderTraceSvg } from '../dist/src/report/trace-svg.js';
import type { TraceInput } from '../dist/src/report/trace-window.js';
import { REPO_ROOT } from './helpers/commands.js';

/** The window: 5 ms from 10 ms on the run's time line. */
const W0 = 10_000_000;
const WINDOW = 5_000_000;

type Record8 = [number, number, number, number?, number?, number?, number?, number?];

/** A ThreadTrace of records whose times are ns from the window's start. */
function trace(records: Record8[], sampleEvery = 0): ThreadTrace {
  const words = new Float64Array((records.length + 2) * TRACE_WORDS).fill(-7); // spare words: ignored
  records.forEach(([kind, start, end, ...own], i) => {
    words.set([kind, W0 + start, W0 + end, ...own.map((w) => w ?? 0)], i * TRACE_WORDS);
    for (let w = 3 + own.length; w < TRACE_WORDS; w++) words[i * TRACE_WORDS + w] = 0;
  });
  return { count: records.length, records: words, truncated: false, sampleEvery };
}

const K = TraceKind;
const N = NotifyKind;

/** A small sq-like run: 2 vCPUs on one ring, 1 IO thread, 1 device. */
function sqRun(): TraceInput {
  const vcpu0 = trace(
    [
      // A pass that straddles the window's start, its lock wait a spin of the same bounds.
      [K.SUBMIT, -5_000, 20_000, 1],
      [K.SPIN, -3_000, 8_000],
      [K.LOCK_WAIT, -3_000, 8_000, 0],
      [K.LOCK_HELD, 8_000, 9_000, 0],
      [K.NOTIFY, 9_500, 9_800, 101, N.KICK, 2],
      [K.REAP, 30_000, 31_000, 1],
      [K.PARK, 32_000, 38_500, 1, 201],
      // The longest lock wait: 300 us, spinning, preempted, then parked until vCPU 1 releases.
      [K.SUBMIT, 1_000_000, 1_400_000, 1],
      [K.LOCK_WAIT, 1_000_100, 1_300_100, 0],
      [K.SPIN, 1_000_100, 1_200_000],
      [K.PARK, 1_200_000, 1_300_000, 1, 301],
      [K.LOCK_HELD, 1_300_100, 1_300_500, 0],
      [K.PREEMPTED, 1_050_000, 1_190_000],
      [K.NOTIFY, 2_000_000, 2_000_100, 999, N.KICK, 2],
      // A pass that straddles the window's end.
      [K.SUBMIT, 4_990_000, 5_010_000, 1],
      [K.LOCK_HELD, 4_995_000, 5_005_000, 0],
      [K.IN_FLIGHT, -10, -10, 0, 32],
      [K.IN_FLIGHT, 100, 100, 0, 32],
      [K.IN_FLIGHT, 5_000, 5_000, 0, 31],
      [K.REQUEST, 1_000, 35_000, 0, W0 + 12_000, W0 + 14_000, W0 + 14_000, W0 + 20_000],
      [K.REQUEST, -2_000, 35_000, 0, W0 + 12_000, W0 + 14_000, W0 + 14_000, W0 + 20_000],
    ],
    4,
  );
  const vcpu1 = trace([
    [K.SUBMIT, 90_000, 160_000, 1],
    [K.LOCK_WAIT, 100_000, 150_000, 0],
    [K.SPIN, 100_000, 150_000],
    [K.SUBMIT, 900_000, 1_300_200, 1],
    [K.LOCK_HELD, 900_100, 1_300_050, 0],
    [K.NOTIFY, 1_299_000, 1_299_500, 301, N.LOCK, 0],
  ]);
  const iothread = trace([
    [K.PARK, -8_000, 9_900, 1, 101],
    [K.DRAIN, 10_000, 15_000, 1],
    [K.LOCK_HELD, 11_000, 12_500, 0],
    [K.RING_DEPTH, 11_000, 11_000, 0, 3],
    [K.NOTIFY, 13_000, 13_200, 102, N.DOORBELL, 3],
    [K.POLL, 15_000, 18_000, 1],
    [K.POST, 19_000, 21_000, 1],
    [K.POST, 36_000, 38_000, 1],
    [K.NOTIFY, 37_000, 37_200, 201, N.INTERRUPT, 0],
    [K.PARK, 3_000_000, 3_500_000, 1, 555],
  ]);
  const device = trace([
    [K.PARK, 5_000, 13_400, 1, 102],
    [K.SERVICE, 13_500, 16_000, 2],
    [K.NOTIFY, 15_500, 15_700, 103, N.NOTICE, 2],
  ]);
  return {
    // Out of order on purpose: the outputs put them in request order.
    threads: [
      { role: 'nullblk', index: 0, threadId: 14, trace: device },
      { role: 'iothread', index: 0, threadId: 13, trace: iothread },
      { role: 'vcpu', index: 1, threadId: 12, trace: vcpu1 },
      { role: 'vcpu', index: 0, threadId: 11, trace: vcpu0 },
    ],
    windowStartNs: W0,
    windowNs: WINDOW,
    hwqDevice: [0],
    ringNames: ['sq ring'],
    title: 'vblk-mq sq spin jobs=2 iodepth=32',
    pid: 4242,
  };
}

/** The file as Perfetto would read it: serialised and parsed back. */
function parsedFile(input: TraceInput): { traceEvents: TraceEvent[]; otherData: Record<string, unknown> } {
  return JSON.parse(serializeTraceFile(buildTraceEvents(input))) as never;
}

const named = (events: readonly TraceEvent[], name: string): TraceEvent[] => events.filter((e) => e.name === name);

describe('buildTraceEvents', () => {
  const file = parsedFile(sqRun());
  const events = file.traceEvents;

  it('parses and passes every check', () => {
    expect(checkTraceFile(file)).toEqual([]);
    expect(checkTraceFile(file, WINDOW / 1000)).toEqual([]);
  });

  it('names the process and every thread, sorted vCPUs, IO threads, devices', () => {
    expect(named(events, 'process_name')[0]!.args).toEqual({ name: 'vblk-mq sq spin jobs=2 iodepth=32' });
    expect(new Set(events.map((e) => e.pid))).toEqual(new Set([4242]));
    const place = (e: TraceEvent): number => Number(e.args!['sort_index']);
    const sorted = named(events, 'thread_sort_index').sort((a, b) => place(a) - place(b));
    const labels = sorted.map((s) => named(events, 'thread_name').find((n) => n.tid === s.tid)!.args!['name']);
    expect(labels).toEqual(['vCPU 0', 'vCPU 1', 'IOThread 0', 'device 0']);
  });

  it('clips records to the window and drops what lies outside it', () => {
    const passes = named(events, 'virtio_queue_rqs').filter((e) => e.tid === 11);
    expect(passes.map((e) => [e.ts, e.dur])).toEqual([
      [0, 20],
      [1000, 400],
      [4990, 10],
    ]);
    const ioPark = named(events, 'parked').find((e) => e.tid === 13)!;
    expect([ioPark.ts, ioPark.dur]).toEqual([0, 9.9]);
    expect(named(events, 'vCPU 0 in flight').map((e) => [e.ts, e.args])).toEqual([
      [0.1, { requests: 32 }],
      [5, { requests: 31 }],
    ]);
    expect(named(events, 'sq ring depth').map((e) => e.args)).toEqual([{ requests: 3 }]);
  });

  it('nests a lock wait and a spin of the same bounds with the wait outside', () => {
    const vcpu0 = events.filter((e) => e.tid === 11 && e.ts === 0 && e.ph === 'X').map((e) => e.name);
    expect(vcpu0).toEqual(['virtio_queue_rqs', 'lock:contention', 'spin']);
  });

  it('links each wake-up with both ends in the window, once, and no other', () => {
    const outs = events.filter((e) => e.flow_out === true && e.flow_in !== true && e.cat === 'wakeup');
    const ins = events.filter((e) => e.flow_in === true && e.cat === 'wakeup');
    const rang = outs.map((e) => e.name).sort();
    expect(rang).toEqual(['io_submit', 'sched_waking', 'virtio_notify', 'virtio_queue_notify']);
    expect(ins.every((e) => e.name === 'sched_wakeup' && e.dur === 0)).toBe(true);
    // Each arrow ends where the park it ended ends, on the woken thread.
    const kick = outs.find((e) => e.name === 'virtio_queue_notify')!;
    const woken = ins.find((e) => e.bind_id === kick.bind_id)!;
    expect([woken.tid, woken.ts]).toEqual([13, 9.9]);
    expect(file.otherData['wakeups']).toEqual({ linked: 4, unlinked: 3 });
    // The unmatched notifies are still slices, without a flow.
    const lonely = events.filter(
      (e) => e.name === 'aio_complete' || (e.name === 'virtio_queue_notify' && e.ts === 2000),
    );
    expect(lonely).toHaveLength(2);
    expect(lonely.every((e) => e.bind_id === undefined)).toBe(true);
  });

  it("draws a sampled request's path as one chain over the threads it crossed", () => {
    const chain = events.filter((e) => e.cat === 'request');
    expect(chain.map((e) => [e.name, e.tid, e.ts])).toEqual([
      ['virtio_queue_rq', 11, 1],
      ['virtqueue_pop', 13, 12],
      ['block_rq_issue', 14, 14],
      ['block_rq_complete', 14, 14],
      ['virtio_blk_req_complete', 13, 20],
      ['virtblk_request_done', 11, 35],
    ]);
    expect(new Set(chain.map((e) => e.bind_id)).size).toBe(1);
    const wakeIds = new Set(events.filter((e) => e.cat === 'wakeup').map((e) => e.bind_id));
    expect(wakeIds.has(chain[0]!.bind_id)).toBe(false);
    expect(chain[0]).toMatchObject({ flow_out: true, dur: 0 });
    expect(chain[0]!.flow_in).toBeUndefined();
    expect(chain[5]).toMatchObject({ flow_in: true });
    expect(chain[5]!.flow_out).toBeUndefined();
    expect(chain.slice(1, 5).every((e) => e.flow_in === true && e.flow_out === true)).toBe(true);
    expect(file.otherData['requests']).toEqual({ drawn: 1, outsideWindow: 1 });
    expect(file.otherData['sampleEvery']).toBe(4);
  });

  it('marks a preemption as a thread instant', () => {
    expect(named(events, 'preempted')).toEqual([
      { name: 'preempted', ph: 'i', s: 't', pid: 4242, tid: 11, ts: 1050, cat: 'sched', args: { gap_us: 140 } },
    ]);
  });

  it('takes every name from TRACE_EVENTS, and the table has no name it never uses', () => {
    const used = new Set(events.filter((e) => e.ph !== 'M').map((e) => String(e.name)));
    for (const name of used) expect(isTraceEventName(name), name).toBe(true);
    const fixed = TRACE_EVENTS.map((t) => t.name).filter((name) => !name.includes('<'));
    expect(fixed.filter((name) => !used.has(name))).toEqual([]);
  });

  it('keeps a recorder slice that outlives its parent nested, and counts it', () => {
    const input = sqRun();
    input.threads = [
      {
        role: 'vcpu',
        index: 0,
        threadId: 11,
        trace: trace([
          [K.SUBMIT, 3_000_000, 3_000_500, 1],
          [K.LOCK_HELD, 3_000_400, 3_000_600, 0],
        ]),
      },
    ];
    const clamped = parsedFile(input);
    expect(checkTraceFile(clamped)).toEqual([]);
    expect(clamped.otherData['clampedSlices']).toBe(1);
  });
});

describe('checkTraceFile', () => {
  const base = (): TraceEvent[] => [
    { name: 'thread_name', ph: 'M', pid: 1, tid: 5, args: { name: 'vCPU 0' } },
    { name: 'virtio_queue_rqs', ph: 'X', pid: 1, tid: 5, ts: 1, dur: 10 },
  ];
  const problems = (extra: TraceEvent[]): string[] => checkTraceFile({ traceEvents: [...base(), ...extra] }, 100);

  it('finds overlapping slices, bad flows, unnamed threads, unknown names, times outside the window', () => {
    expect(problems([])).toEqual([]);
    expect(problems([{ name: 'spin', ph: 'X', pid: 1, tid: 5, ts: 5, dur: 10 }]).join()).toMatch(/^overlap/);
    const flow = { name: 'spin', ph: 'X', pid: 1, tid: 5, ts: 2, dur: 1 } as const;
    expect(problems([{ ...flow, bind_id: 3, flow_out: true }]).join()).toMatch(/flow: 3 has 1 starts and 0 ends/);
    expect(problems([{ ...flow, bind_id: '0x3' as never, flow_out: true }]).join()).toMatch(/flow id/);
    expect(problems([{ ...flow, tid: 6 }]).join()).toMatch(/tid 6 has no thread_name/);
    expect(problems([{ ...flow, name: 'whatever' }]).join()).toMatch(/whatever is not in TRACE_EVENTS/);
    expect(problems([{ ...flow, ts: 101 }]).join()).toMatch(/time/);
    expect(problems([{ ...flow, ts: 95, dur: 10 }]).join()).toMatch(/after the window/);
  });
});

describe('threadStates', () => {
  const input = sqRun();
  const states = threadStates(input);

  it('adds up to the window on every thread', () => {
    expect(states.map((s) => `${s.role} ${s.index}`)).toEqual(['vcpu 0', 'vcpu 1', 'iothread 0', 'nullblk 0']);
    for (const s of states) {
      expect(THREAD_STATES.reduce((sum, state) => sum + s.ns[state], 0)).toBe(WINDOW);
      expect(THREAD_STATES.reduce((sum, state) => sum + s.shares[state], 0)).toBeCloseTo(1, 12);
    }
  });

  it('lets nested kinds win over their parents', () => {
    const [vcpu0, , iothread, device] = states;
    // Spins inside lock waits: 8 us (clipped) + 199.9 us, less the 140 us preemption inside the
    // second, which is its own state; parks: 6.5 us for work, 100 us for the lock.
    expect(vcpu0!.ns.spinning).toBe(8_000 + 199_900 - 140_000);
    expect(vcpu0!.ns.preempted).toBe(140_000);
    expect(vcpu0!.ns.parked).toBe(6_500 + 100_000);
    expect(vcpu0!.ns['lock held']).toBe(1_000 + 400 + 5_000);
    // The notify inside the device's pass is work; a park is parked however it ended.
    expect(device!.ns).toMatchObject({ parked: 8_400, working: 2_500, other: WINDOW - 10_900 });
    expect(iothread!.ns).toMatchObject({ parked: 9_900 + 500_000, polling: 3_000, 'lock held': 1_500 });
  });

  it('gives each role its shares', () => {
    const roles = roleStates(states);
    expect(Object.keys(roles)).toEqual(['vcpu', 'iothread', 'nullblk']);
    expect(roles.nullblk!.parked).toBeCloseTo(8_400 / WINDOW, 12);
    const vcpus = states.slice(0, 2);
    expect(roles.vcpu!.spinning).toBeCloseTo((vcpus[0]!.ns.spinning + vcpus[1]!.ns.spinning) / (2 * WINDOW), 12);
  });
});

describe('renderTraceSvg', () => {
  const input = sqRun();
  const svg = renderTraceSvg(input);

  it('picks the excerpt around the longest lock wait and says so', () => {
    const excerpt = chooseExcerpt(input);
    expect(excerpt.ns).toBe(2_000_000);
    expect(excerpt.startNs).toBe(1_000_100 + 150_000 - 1_000_000);
    expect(excerpt.caption).toBe(
      '2.0ms around the longest wait for a lock (sq ring, by vCPU 0), 300.0us, at 1.0ms into the window',
    );
    expect(svg).toContain(excerpt.caption);
    expect(chooseExcerpt({ ...input, windowNs: 1_000_000 }).caption).toBe('the whole window, 1.0ms');
  });

  it('is well-formed: one row per thread, arrows, an axis, a legend', () => {
    const stack: string[] = [];
    for (const [, close, name, selfClose] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (close === '/') expect(stack.pop()).toBe(name);
      else if (selfClose !== '/') stack.push(name!);
    }
    expect(stack).toEqual([]);
    for (const label of ['vCPU 0', 'vCPU 1', 'IOThread 0', 'device 0', 'holding the lock', 'time in the window (us)']) {
      expect(svg).toContain(`>${label}<`);
    }
    // The lock release that woke vCPU 0 lies in the excerpt; the kick at 9.5 us does not.
    expect(svg.match(/marker-end="url\(#wake\)"/g)).toHaveLength(1 + 1);
    expect(svg).not.toMatch(/NaN|undefined|<script/);
  });

  const rsvg = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' });
  const absent = rsvg.error === undefined ? '' : ': skipped, rsvg-convert is not installed (Debian librsvg2-bin)';
  it.skipIf(rsvg.error !== undefined)(`renders with rsvg-convert${absent}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trace-svg-'));
    try {
      fs.writeFileSync(path.join(dir, 'trace.svg'), svg);
      const run = spawnSync('rsvg-convert', ['-o', path.join(dir, 'trace.png'), path.join(dir, 'trace.svg')], {
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(fs.statSync(path.join(dir, 'trace.png')).size).toBeGreaterThan(1000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/model.md', () => {
  it('has the table of every trace event name, as TRACE_EVENTS renders it', () => {
    const model = fs.readFileSync(path.join(REPO_ROOT, 'docs/model.md'), 'utf8');
    expect(model).toContain('## Trace events');
    expect(model).toContain(renderTraceEventTable());
  });
});
