/**
 * A request descriptor: what a vCPU puts in a submission ring, an IO thread
 * hands to a hardware queue, and the device returns through a completion
 * queue. Twelve Int32 words = 48 bytes: a virtio-blk request header plus its
 * buffer pointer (words 0-7), then the stage stamps the request collects on its
 * way (words 8-11; see stage-clock.ts for their unit, and stages.ts for what
 * each stage between two stamps stands for).
 *
 *   [0] VCPU    submitting vCPU (fio job) index
 *   [1] TAG     its slot in the vCPU's in-flight table, 0..iodepth-1 (blk-mq tag)
 *   [2] SEQ     the vCPU's request sequence number, mod 2^32: (VCPU, SEQ) names a request
 *   [3] BLOCK   offset on the device, in blocks of LEN bytes
 *   [4] LEN     transfer size in bytes (--bs)
 *   [5] OP      OP_READ (the bench is fio rw=randread)
 *   [6] STATUS  STATUS_OK, set by the device
 *   [7] HWQ     hardware queue it went through, set by the IO thread
 *   [8] T_POP   when its IO thread began the drain of its submission ring that
 *               popped it (the handler ran), or its last hand-over to the device
 *               in that drain: one clock read per SUBMIT_MAX requests at most
 *   [9] T_DEV   when a device thread took it from the hardware queue
 *  [10] T_DONE  when the device completed it
 *  [11] T_POST  when it was pushed into its vCPU's used (completion) ring, by
 *               the IO thread (--completion-path iothread) or the device (direct)
 * With --breakdown off the stamps are not written (they hold what the vCPU put there).
 */
export const DESC_WORDS = 12;
export const VCPU = 0;
export const TAG = 1;
export const SEQ = 2;
export const BLOCK = 3;
export const LEN = 4;
export const OP = 5;
export const STATUS = 6;
export const HWQ = 7;
export const T_POP = 8;
export const T_DEV = 9;
export const T_DONE = 10;
export const T_POST = 11;

export const OP_READ = 0;
export const STATUS_OK = 0;
