import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker less than the cores: one worker on a 2-core CI machine. Most
    // of the suite's wall time is waiting (hang windows, real clients timing out, notification
    // servers), not CPU, so at least two test files run at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['./test/helpers/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
