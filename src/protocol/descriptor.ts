/**
 * A request descriptor: what a vCPU puts in a submission ring, an IO thread
 * hands to a hardware queue, and the device returns through a completion ring.
 * Eight Int32 words = 32 bytes, the size of a virtio-blk request header plus
 * its buffer pointer.
 *
 *   [0] VCPU    submitting vCPU (fio job) index
 *   [1] TAG     its slot in the vCPU's in-flight table, 0..iodepth-1 (blk-mq tag)
 *   [2] SEQ     the vCPU's request sequence number, mod 2^32: (VCPU, SEQ) names a request
 *   [3] BLOCK   offset on the device, in blocks of LEN bytes
 *   [4] LEN     transfer size in bytes (--bs)
 *   [5] OP      OP_READ (the bench is fio rw=randread)
 *   [6] STATUS  STATUS_OK, set by the device
 *   [7] HWQ     hardware queue it went through, set by the IO thread
 */
export const DESC_WORDS = 8;
export const VCPU = 0;
export const TAG = 1;
export const SEQ = 2;
export const BLOCK = 3;
export const LEN = 4;
export const OP = 5;
export const STATUS = 6;
export const HWQ = 7;

export const OP_READ = 0;
export const STATUS_OK = 0;
