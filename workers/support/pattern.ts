/**
 * --memory-backed: the data the null-block device "reads" into a vCPU's
 * buffer, and the vCPU's check of it. Word i of a request's buffer holds a
 * hash of (block, seq, i), so a buffer delivered to the wrong request, or
 * left unwritten, fails the check.
 */
function word(block: number, seq: number, i: number): number {
  return (Math.imul(block, 0x9e3779b1) ^ Math.imul(seq, 0x85ebca6b) ^ i) | 0;
}

/** Device side: fills `buf` for request (block, seq). */
export function fillPattern(buf: Int32Array, block: number, seq: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] = word(block, seq, i);
}

/** vCPU side: whether `buf` holds the pattern of request (block, seq). */
export function checkPattern(buf: Int32Array, block: number, seq: number): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== word(block, seq, i)) return false;
  return true;
}
