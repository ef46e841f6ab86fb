import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests share real PostgreSQL, MariaDB and Redis servers; each test file owns its own schemas or keys,
    // but 2 cores and ~700 MB per PGlite instance argue for few files at once.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summaryReporter.ts'],
  },
});
