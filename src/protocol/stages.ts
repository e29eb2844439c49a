/**
 * The stages of a request, as blktrace/btt splits a block request's life (Q2D, D2C, ...): the
 * time between two stamps taken on its way, named after what it stands for in QEMU and Linux.
 *
 *   stamp                          taken by        stage that ends there
 *   started   submission begins    vCPU
 *   entered   in the ring          vCPU            submit    the guest: fio's submission, the
 *                                                            driver's work (--guest-ns) and the
 *                                                            ring's lock (fio's slat)
 *   T_POP     its ring's drain     IO thread       kick      the kick (ioeventfd) and the
 *             began                                          IOThread's wake-up and poll
 *   T_DEV     taken by the device  device thread   dispatch  IOThread to device: the rest of the
 *                                                            IOThread's pass, io_submit, the
 *                                                            device's wake-up
 *   T_DONE    completed            device thread   device    null_blk's service (btt's D2C): 0
 *                                                            without --completion-ns, since
 *                                                            null_blk completes a request as
 *                                                            it takes it
 *   T_POST    in the used ring     IO thread or    complete  the host completion back to the
 *                                  device                    IOThread (its eventfd) and
 *                                                            virtqueue_push; with
 *                                                            --completion-path direct only the
 *                                                            device's own batching
 *   seen      seen by the vCPU     vCPU            irq       the interrupt (irqfd) and the
 *             (its wait ended;                               guest's wake-up, or the time the
 *             without a wait, as                             completion waited for a busy vCPU
 *             it reaped)
 *   reaped    reaped               vCPU            reap      the guest's completion handling
 *                                                            (virtblk_done, fio's reap),
 *                                                            including the reaping pass's lock
 *                                                            with --lock-sides submit+reap
 * The stages run end to end, so a request's stage times add up to its latency (fio's lat)
 * exactly, and over a run each stage's mean adds up to lat's mean. A stamp that reads earlier
 * than the one before it (a request pushed while its ring was being drained carries the drain's
 * older stamp; clocks of two threads agree to within tens of nanoseconds) is moved up to it
 * (workers/vcpu.ts recordStages): no stage is negative, and the sum is unchanged.
 */

/** The stages in the order a request goes through them. */
export const STAGES = ['submit', 'kick', 'dispatch', 'device', 'complete', 'irq', 'reap'] as const;
export type StageName = (typeof STAGES)[number];

/** What each stage stands for, in a few words, for the stage table's legend. */
export const STAGE_MEANINGS: Readonly<Record<StageName, string>> = {
  submit: 'guest submission, driver work and the ring lock (slat)',
  kick: 'in the ring until its IO thread pops it: kick and IOThread wake-up',
  dispatch: 'IOThread to device: the rest of its pass, io_submit, device wake-up',
  device: 'null_blk service (D2C): 0 without --completion-ns, as null_blk completes at once',
  complete: 'device completion back through the IOThread to the used ring',
  irq: 'in the used ring until the vCPU sees it: interrupt and guest wake-up',
  reap: 'guest completion handling (virtblk_done, fio reap)',
};
