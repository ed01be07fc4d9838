import { defineConfig } from 'vitest/config';

// Two noisy cores: generous timeouts, and suites that share nothing so they can run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/reporters/closing-line.ts'],
  },
});
