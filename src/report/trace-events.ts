/**
 * The one table of every event name a `--trace` file holds (TRACE_EVENTS): what it marks in
 * vblk-mq and the QEMU or Linux source it is named after, so that a QEMU or kernel engineer
 * recognises each step. The writer (trace-json.ts) takes every name from here, the checker
 * (trace-check.ts) rejects any other, and docs/model.md's "Trace events" table is rendered
 * from it (renderTraceEventTable, checked by test/trace-output.test.ts).
 *
 * One name per concept: a pass over many requests and the step of one sampled request get
 * different names (`virtio_queue_rqs` the pass, `virtio_queue_rq` the request), as the real
 * code has a batched and a per-request function for them.
 */
import { NotifyKind, TraceKind } from '../protocol/trace-record.js';

/** One event name of the trace file. */
export interface TraceEventName {
  /** As written in the file; `<...>` stands for a part that varies (counters). */
  name: string;
  /** What the event marks in vblk-mq. */
  marks: string;
  /** The QEMU or Linux source the name comes from, or what stands nearest where none does. */
  source: string;
}

/** Every name the writer emits, in request order. */
export const TRACE_EVENTS: readonly TraceEventName[] = [
  {
    name: 'virtio_queue_rqs',
    marks: 'vCPU: a pass that submits requests on every free tag',
    source: 'Linux drivers/block/virtio_blk.c, `virtio_queue_rqs` (the batched submission)',
  },
  {
    name: 'virtio_queue_rq',
    marks: 'vCPU: a sampled request is submitted (its path starts here)',
    source: 'Linux drivers/block/virtio_blk.c, `virtio_queue_rq`',
  },
  {
    name: 'virtio_queue_notify',
    marks: 'vCPU: a kick that woke its parked IO thread',
    source: 'QEMU hw/virtio/trace-events',
  },
  {
    name: 'virtio_blk_handle_vq',
    marks: 'IO thread: a pass that drains its submission rings into its hardware queue',
    source: 'QEMU hw/block/virtio-blk.c, `virtio_blk_handle_vq`',
  },
  {
    name: 'virtqueue_pop',
    marks: 'IO thread: a sampled request is popped from its submission ring',
    source: 'QEMU hw/virtio/trace-events',
  },
  {
    name: 'io_submit',
    marks: 'IO thread: the device doorbell that woke its parked device thread',
    source: 'QEMU block/linux-aio.c, `ioq_submit` (the io_submit(2) of a plugged batch)',
  },
  {
    name: 'null_queue_rq',
    marks: 'device: a pass over its hardware queues that serves requests',
    source: 'Linux drivers/block/null_blk/main.c, `null_queue_rq`',
  },
  {
    name: 'block_rq_issue',
    marks: 'device: a sampled request is taken by the device',
    source: 'Linux include/trace/events/block.h (blktrace D)',
  },
  {
    name: 'block_rq_complete',
    marks: 'device: a sampled request is completed by the device',
    source: 'Linux include/trace/events/block.h (blktrace C)',
  },
  {
    name: 'aio_complete',
    marks: 'device: the completion notice that woke its parked IO thread',
    source: "Linux fs/aio.c, `aio_complete` (it signals the eventfd QEMU's `qemu_laio_completion_cb` waits on)",
  },
  {
    name: 'virtqueue_flush',
    marks: "IO thread: posting the device's completions to the vCPUs' used rings",
    source: 'QEMU hw/virtio/trace-events (`virtqueue_flush(vq, count)`: a batch made visible)',
  },
  {
    name: 'virtio_blk_req_complete',
    marks: "IO thread: a sampled request is posted to its vCPU's used ring",
    source: 'QEMU hw/block/trace-events',
  },
  {
    name: 'virtio_notify',
    marks: 'IO thread (or device, with --completion-path direct): the interrupt that woke a parked vCPU',
    source: 'QEMU hw/virtio/trace-events',
  },
  {
    name: 'virtblk_done',
    marks: 'vCPU: a pass that reaps completions from its used ring',
    source: 'Linux drivers/block/virtio_blk.c, `virtblk_done`',
  },
  {
    name: 'virtblk_request_done',
    marks: 'vCPU: a sampled request is reaped (its path ends here)',
    source: 'Linux drivers/block/virtio_blk.c, `virtblk_request_done`',
  },
  {
    name: 'lock:contention',
    marks: "a wait for a ring's lock, from the first failed try to the acquisition",
    source: 'Linux include/trace/events/lock.h, `contention_begin` to `contention_end`',
  },
  {
    name: 'lock:held',
    marks: "holding a ring's lock, from the acquisition to the release",
    source:
      'no tracepoint; QEMU marks the same span with `qemu_mutex_locked` .. `qemu_mutex_unlock` (util/trace-events)',
  },
  {
    name: 'spin',
    marks: "busy-waiting: a lock's spin phase, a spin lock's whole wait, a multi-producer ring's publication wait",
    source: "no event (busy-waiting is silent in QEMU's `QemuSpin` and Linux's kernel/locking/qspinlock.c)",
  },
  {
    name: 'run_poll_handlers',
    marks: 'an adaptive poll window before parking',
    source: 'QEMU util/trace-events, `run_poll_handlers_begin` to `_end`',
  },
  {
    name: 'parked',
    marks: 'parked in Atomics.wait, for work or for a lock',
    source: "no event; V8 src/execution/futex-emulation.cc (Atomics.wait); Linux's `sched_switch` to state S",
  },
  {
    name: 'sched_waking',
    marks: "a lock's release (or another notify) that woke a parked thread",
    source: 'Linux include/trace/events/sched.h (in the waker)',
  },
  {
    name: 'sched_wakeup',
    marks: "the woken thread's park ends; a wake-up's arrow ends here",
    source: 'Linux include/trace/events/sched.h (the wakee made runnable)',
  },
  {
    name: 'preempted',
    marks: 'instant: a busy-wait gap over 100 us, taken for a preemption',
    source: "inferred; Linux's `sched_switch` with prev_state R would show it (include/trace/events/sched.h)",
  },
  {
    name: 'vCPU <i> in flight',
    marks: "counter: a vCPU's requests submitted and not yet reaped",
    source: "fio's iodepth (`io_u_queued`)",
  },
  {
    name: '<ring> depth',
    marks: 'counter: the requests waiting in a submission ring',
    source: "the virtqueue's avail ring (`virtio_queue_empty`, hw/virtio/virtio.c)",
  },
];

/** The name of each pass and wait slice kind (NOTIFY is named by its NotifyKind). */
export const SLICE_NAMES: Readonly<Record<number, string>> = {
  [TraceKind.SUBMIT]: 'virtio_queue_rqs',
  [TraceKind.REAP]: 'virtblk_done',
  [TraceKind.DRAIN]: 'virtio_blk_handle_vq',
  [TraceKind.POST]: 'virtqueue_flush',
  [TraceKind.SERVICE]: 'null_queue_rq',
  [TraceKind.LOCK_WAIT]: 'lock:contention',
  [TraceKind.LOCK_HELD]: 'lock:held',
  [TraceKind.SPIN]: 'spin',
  [TraceKind.POLL]: 'run_poll_handlers',
  [TraceKind.PARK]: 'parked',
};

/** The name of a NOTIFY by what it stands for. */
export const NOTIFY_NAMES: Readonly<Record<number, string>> = {
  [NotifyKind.KICK]: 'virtio_queue_notify',
  [NotifyKind.INTERRUPT]: 'virtio_notify',
  [NotifyKind.NOTICE]: 'aio_complete',
  [NotifyKind.DOORBELL]: 'io_submit',
  [NotifyKind.LOCK]: 'sched_waking',
  [NotifyKind.OTHER]: 'sched_waking',
};

/** The steps of a sampled request's path, in order (trace-json.ts, requestChain). */
export const REQUEST_STEP_NAMES = {
  submit: 'virtio_queue_rq',
  pop: 'virtqueue_pop',
  issue: 'block_rq_issue',
  complete: 'block_rq_complete',
  post: 'virtio_blk_req_complete',
  reap: 'virtblk_request_done',
} as const;

export const WAKEUP_NAME = 'sched_wakeup';
export const PREEMPTED_NAME = 'preempted';

/** Counter names, filled in. */
export function inFlightCounterName(vcpu: number): string {
  return `vCPU ${vcpu} in flight`;
}
export function ringDepthCounterName(ring: string): string {
  return `${ring} depth`;
}

/** A name's pattern: `<...>` matches any non-empty text. */
function namePattern(name: string): RegExp {
  const parts = name.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

const PATTERNS = TRACE_EVENTS.map((event) => namePattern(event.name));

/** Whether `name` is one of TRACE_EVENTS (counters by their pattern). */
export function isTraceEventName(name: string): boolean {
  return PATTERNS.some((pattern) => pattern.test(name));
}

/** docs/model.md's table of TRACE_EVENTS, as markdown lines. */
export function renderTraceEventTable(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const rows = TRACE_EVENTS.map((e) => `| \`${cell(e.name)}\` | ${cell(e.marks)} | ${cell(e.source)} |`);
  return ['| event | marks in vblk-mq | named after |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}
