/**
 * mulberry32, a small seeded 32-bit PRNG (Tommy Ettinger, public domain):
 * each vCPU draws its random offsets from one, seeded with --seed and its index,
 * so a run's offsets are reproducible.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}
