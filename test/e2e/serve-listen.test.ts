import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../app/server.js';
import { silentLogger } from '../../src/log/logger.js';
import { requireDocker, useTestInstance } from '../helpers/docker-env.js';

/** The app from its composition root when its address is taken: a clear error, nothing left open. */
const hasDocker = await requireDocker();

describe.skipIf(!hasDocker)('serve on an address another process holds', () => {
  const instanceId = useTestInstance();
  let dir: string;
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dw-listen-'));
    await writeFile(
      join(dir, 'docker-watcher.yaml'),
      [
        'global:',
        '  domain: localhost',
        '  listen: { host: 127.0.0.1, port: 8080 }',
        `  network: dw-listen-${instanceId.slice(-8)}`,
        '  data_dir: ./data',
        'projects: {}',
        '',
      ].join('\n'),
    );
    taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((done) => taken.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  const start = (listenPort: number) =>
    startServer({
      configPath: join(dir, 'docker-watcher.yaml'),
      env: { DOCKER_WATCHER_SECRET: 's', DOCKER_WATCHER_TOKEN: 't' },
      logger: silentLogger,
      port: listenPort,
      instanceId,
    });

  it('fails naming the address and what to do, without a stack of an unhandled error event', async () => {
    await expect(start(port)).rejects.toThrow(
      `cannot listen on 127.0.0.1:${port}: another process already listens there; stop it, or choose another port with global.listen.port or serve --port`,
    );
  });

  it('leaves nothing running: the same config starts at once on a free port, and stops', async () => {
    const running = await start(0);
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
    await running.close();
  });
});
