/**
 * mulberry32: a tiny seeded PRNG (Tommy Ettinger's, public domain), so that randomised tests
 * replay exactly. Plain JS because worker fixtures (test/fixtures/*.mjs) use it too.
 */

/**
 * A generator of uniform floats in [0, 1) from a 32-bit seed.
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An integer from `min` to `max` inclusive drawn from `random`.
 * @param {() => number} random
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
export function randomInt(random, min, max) {
  return min + Math.floor(random() * (max - min + 1));
}
