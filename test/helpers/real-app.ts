import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../app/server.js';
import { silentLogger } from '../../src/log/logger.js';

export interface RealApp {
  server: RunningServer;
  /** Stops the app and removes its temp dir (config, SQLite). */
  close(): Promise<void>;
}

/**
 * The app as users run it, from its composition root: `yaml` is written to a temp dir as
 * docker-watcher.yaml (data_dir relative to it), the app listens on a free loopback port and
 * labels what it creates with `instanceId`, so the test's clean-up finds it.
 */
export async function startRealApp(options: {
  instanceId: string;
  yaml: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<RealApp> {
  const dir = await mkdtemp(join(tmpdir(), 'dw-app-'));
  await writeFile(join(dir, 'docker-watcher.yaml'), options.yaml.join('\n') + '\n');
  try {
    const server = await startServer({
      configPath: join(dir, 'docker-watcher.yaml'),
      env: options.env ?? { DOCKER_WATCHER_SECRET: 'e2e-secret', DOCKER_WATCHER_TOKEN: 'e2e-token' },
      logger: silentLogger,
      port: 0,
      instanceId: options.instanceId,
    });
    return {
      server,
      async close() {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
