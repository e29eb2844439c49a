import { defineConfig } from 'vitest/config';

// Tests import the compiled package from dist/ (built by `npm test`'s pretest),
// so that they exercise the code users run, workers included.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Worker-heavy files would fight over 2 cores; run files one after another.
    fileParallelism: false,
  },
});
