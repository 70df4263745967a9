import { defineConfig } from 'vitest/config';

/**
 * The tests with a second Swarm node (`npm run test:nodes`, `*.nodes.ts`), apart from `npm test`:
 * the worker joins the engine's one Swarm, where it would take the tasks of the other files'
 * services (placed anywhere), whose images it cannot pull. One file at a time.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.nodes.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
  },
});
