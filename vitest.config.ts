import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Docker-backed files share one engine; two workers match the 2-core machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
