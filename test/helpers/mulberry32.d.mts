/** Types of mulberry32.mjs. */
export declare function mulberry32(seed: number): () => number;
export declare function randomInt(random: () => number, min: number, max: number): number;
