import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Files in name order, so zz-docker-restart.drill.ts (which restarts dockerd) always runs last. */
class ByName extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return Promise.resolve([...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId)));
  }
}

/** The reliability drills (`npm run drills`): the real app process, one file at a time. */
export default defineConfig({
  test: {
    include: ['test/drills/**/*.drill.ts'],
    globalSetup: ['test/helpers/global-setup.ts', 'test/drills/harness/build-app.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    fileParallelism: false,
    sequence: { sequencer: ByName, concurrent: false },
    reporters: ['default'],
  },
});
