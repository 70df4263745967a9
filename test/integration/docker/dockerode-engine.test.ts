import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import { createDockerodeEngine } from '../../../src/docker/dockerode-engine.js';
import type { ContainerDetails, ContainerEvent, ContainerSpec } from '../../../src/docker/engine.js';
import { LABEL_INSTANCE, LABEL_PROJECT, LABEL_STAGE } from '../../../src/docker/engine.js';
import { requireDocker, testDocker, useTestInstance } from '../../helpers/docker-env.js';
import {
  AUTH_REGISTRY,
  AUTH_REGISTRY_CREDENTIALS,
  buildTestImage,
  OPEN_REGISTRY,
  type TestImage,
} from '../../helpers/test-images.js';

const run = promisify(execFile);
const hasDocker = await requireDocker();

describe.skipIf(!hasDocker)('dockerode engine on the real Docker engine', () => {
  const instanceId = useTestInstance();
  const engine = createDockerodeEngine({ networkLabels: { [LABEL_INSTANCE]: instanceId } });
  const network = `dw-net-${instanceId}`;
  const repository = `engine-test/${instanceId}`;
  let healthy: TestImage;
  let chatty: TestImage;
  let ignoreTerm: TestImage;
  let exiting: TestImage;
  let names = 0;

  beforeAll(async () => {
    [healthy, chatty, ignoreTerm, exiting] = await Promise.all([
      buildTestImage({
        repository,
        tag: 'healthy',
        behaviour: 'healthy',
        version: '1.2.3',
        healthcheck: true,
        instanceId,
      }),
      buildTestImage({ repository, tag: 'chatty', behaviour: 'chatty', chattyLines: 5, instanceId }),
      buildTestImage({ repository, tag: 'ignore-term', behaviour: 'ignore-term', instanceId }),
      buildTestImage({ repository, tag: 'exit', behaviour: 'exit', instanceId }),
    ]);
    await engine.ensureNetwork(network);
  });

  function spec(image: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
    return {
      name: `dw-${instanceId}-${++names}`,
      image,
      labels: { [LABEL_PROJECT]: 'web', [LABEL_STAGE]: 'dev', [LABEL_INSTANCE]: instanceId },
      env: ['GREETING=hello'],
      volumes: [],
      network,
      port: 8080,
      publishHost: '127.0.0.1',
      restartPolicy: 'no',
      ...overrides,
    };
  }

  async function started(image: string, overrides: Partial<ContainerSpec> = {}): Promise<ContainerDetails> {
    const created = await engine.createContainer(spec(image, overrides));
    await engine.startContainer(created.id);
    const details = await engine.inspectContainer(created.id);
    if (details === undefined) throw new Error(`container ${created.name} vanished`);
    return details;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function pullError(
    ref: string,
    credentials?: typeof AUTH_REGISTRY_CREDENTIALS,
  ): Promise<ExternalError> {
    const error: unknown = await engine.pullImage(ref, credentials === undefined ? {} : { credentials }).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(ExternalError);
    return error as ExternalError;
  }

  describe('images', () => {
    it('pulls by tag to the end, then by digest', async () => {
      const image = await buildTestImage({ repository, tag: 'pull-me', behaviour: 'healthy', instanceId });
      await testDocker().getImage(image.ref).remove({ force: true });
      expect(await engine.inspectImage(image.ref)).toBeUndefined();

      await engine.pullImage(image.ref);
      const pulled = await engine.inspectImage(image.ref);
      expect(pulled?.repoDigests).toContain(image.digestRef);
      expect(pulled).toMatchObject({
        exposedPorts: [8080],
        hasHealthcheck: false,
        labels: { 'docker-watcher.test': '1' },
      });

      await testDocker()
        .getImage(pulled?.id ?? image.ref)
        .remove({ force: true });
      await engine.pullImage(image.digestRef);
      expect((await engine.inspectImage(image.digestRef))?.id).toBe(pulled?.id);
    });

    it('rejects when the failure arrives inside the progress stream (layer blob missing)', async () => {
      const image = await buildTestImage({ repository, tag: 'broken', behaviour: 'healthy', instanceId });
      const path = image.repository.slice(image.repository.indexOf('/') + 1);
      const manifest = (await (
        await fetch(`http://${OPEN_REGISTRY}/v2/${path}/manifests/${image.tag}`, {
          headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
        })
      ).json()) as { layers: { digest: string }[] };
      const layer = manifest.layers[0]?.digest ?? '';
      const deleted = await fetch(`http://${OPEN_REGISTRY}/v2/${path}/blobs/${layer}`, { method: 'DELETE' });
      expect(deleted.status).toBe(202);
      await testDocker().getImage(image.ref).remove({ force: true });

      const error = await pullError(image.ref);
      expect(error.message).toBe(`pull ${image.ref}: unknown blob`);
      expect(await engine.inspectImage(image.ref)).toBeUndefined();
    });

    it('reports a HEALTHCHECK in the image', async () => {
      expect((await engine.inspectImage(healthy.ref))?.hasHealthcheck).toBe(true);
    });

    it('names the ref and says the tag is missing when it is', async () => {
      const ref = `${healthy.repository}:no-such-tag`;
      const error = await pullError(ref);
      expect(error.message).toContain(`pull ${ref}:`);
      expect(error.message).toMatch(/no such image or tag/);
    });

    it('pulls from the auth registry with the right credentials and says when they are wrong', async () => {
      const image = await buildTestImage({
        repository,
        tag: 'private',
        behaviour: 'healthy',
        registry: AUTH_REGISTRY,
        instanceId,
      });
      await testDocker().getImage(image.ref).remove({ force: true });

      const wrong = await pullError(image.ref, { ...AUTH_REGISTRY_CREDENTIALS, password: 'wrong-password' });
      expect(wrong.message).toContain(`pull ${image.ref}:`);
      expect(wrong.message).toMatch(/rejected the credentials/);
      expect(wrong.message).not.toContain('wrong-password');
      expect(wrong.message).not.toMatch(/no such image or tag/);

      const missing = await pullError(image.ref);
      expect(missing.message).toMatch(/needs credentials/);

      await engine.pullImage(image.ref, { credentials: AUTH_REGISTRY_CREDENTIALS });
      expect((await engine.inspectImage(image.ref))?.repoDigests).toContain(image.digestRef);
    });
  });

  describe('containers', () => {
    it('creates a container as the spec says and serves on the published host port', async () => {
      const created = await engine.createContainer(
        spec(healthy.ref, {
          memoryBytes: 64 * 1024 * 1024,
          nanoCpus: 500_000_000,
          stopTimeoutSeconds: 3,
          restartPolicy: 'unless-stopped',
          log: { driver: 'json-file', options: { 'max-size': '1m' } },
        }),
      );
      expect(created).toMatchObject({
        state: 'created',
        image: healthy.ref,
        labels: { [LABEL_INSTANCE]: instanceId },
      });
      expect(created.hostPort).toBeUndefined();

      const raw = await testDocker().getContainer(created.id).inspect();
      expect(raw.HostConfig).toMatchObject({
        Memory: 64 * 1024 * 1024,
        NanoCpus: 500_000_000,
        RestartPolicy: { Name: 'unless-stopped' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1' }] },
      });
      expect(raw.Config).toMatchObject({
        StopTimeout: 3,
        Env: expect.arrayContaining(['GREETING=hello']) as unknown,
      });
      expect(Object.keys(raw.NetworkSettings.Networks)).toEqual([network]);

      await engine.startContainer(created.id);
      const running = await engine.inspectContainer(created.name);
      expect(running).toMatchObject({ id: created.id, state: 'running' });
      const body = await until('the app to answer', async () => {
        const response = await fetch(`http://127.0.0.1:${running?.hostPort}/`).catch(() => undefined);
        return response?.ok === true ? response.text() : undefined;
      });
      expect(body).toContain('version 1.2.3');

      const healthyNow = await until('HEALTHCHECK to pass', async () => {
        const details = await engine.inspectContainer(created.id);
        return details?.health === 'healthy' ? details : undefined;
      });
      expect(healthyNow.startedAt).toBeDefined();
    });

    it('fails with a message naming a missing image', async () => {
      const missing = `${healthy.repository}:never-built`;
      await expect(engine.createContainer(spec(missing))).rejects.toThrow(missing);
    });

    it('demultiplexes stdout and stderr and returns the last lines', async () => {
      const container = await started(chatty.ref);
      const all = await until('all chatty lines', async () => {
        const lines = await engine.containerLogs(container.id);
        return lines.includes('stdout line 5') && lines.includes('stderr line 5') ? lines : undefined;
      });
      for (let i = 1; i <= 5; i++)
        expect(all).toEqual(expect.arrayContaining([`stdout line ${i}`, `stderr line ${i}`]));
      // A frame header left in the text would show up as bytes 0-2.
      expect([...all.join('\n')].filter((char) => char.charCodeAt(0) <= 2)).toEqual([]);
      expect(await engine.containerLogs(container.id, { tail: 3 })).toEqual(all.slice(-3));
    });

    it('streams die events of managed containers until aborted', async () => {
      const controller = new AbortController();
      const events: ContainerEvent[] = [];
      const watching = engine.watchEvents((event) => events.push(event), controller.signal);
      const container = await started(exiting.ref);
      const died = await until('the die event', () =>
        Promise.resolve(events.find((event) => event.containerId === container.id && event.action === 'die')),
      );
      expect(died).toMatchObject({
        detail: '3',
        labels: { [LABEL_PROJECT]: 'web', [LABEL_INSTANCE]: instanceId },
      });
      controller.abort();
      await expect(watching).resolves.toBeUndefined();
      expect(await engine.inspectContainer(container.id)).toMatchObject({ state: 'exited', exitCode: 3 });
    });

    it('stops promptly on SIGTERM, and after the timeout when SIGTERM is ignored', async () => {
      const polite = await started(healthy.ref);
      const stubborn = await started(ignoreTerm.ref);
      // The TERM trap exists only once the shell has run its first lines.
      for (const container of [polite, stubborn]) {
        await until(`${container.name} to listen`, async () => {
          const lines = await engine.containerLogs(container.id);
          return lines.some((line) => line.startsWith('listening')) ? true : undefined;
        });
      }

      let begin = Date.now();
      await engine.stopContainer(polite.id, { timeoutSeconds: 10 });
      expect(Date.now() - begin).toBeLessThan(5000);
      expect(await engine.inspectContainer(polite.id)).toMatchObject({ state: 'exited', exitCode: 0 });

      begin = Date.now();
      await engine.stopContainer(stubborn.id, { timeoutSeconds: 2 });
      expect(Date.now() - begin).toBeGreaterThanOrEqual(1900);
      expect(await engine.inspectContainer(stubborn.id)).toMatchObject({ state: 'exited', exitCode: 137 });

      await engine.stopContainer(stubborn.id, { timeoutSeconds: 1 });
    });

    it('removes idempotently and reports a missing container as undefined', async () => {
      const container = await started(healthy.ref);
      await engine.removeContainer(container.id);
      await engine.removeContainer(container.id);
      expect(await engine.inspectContainer(container.id)).toBeUndefined();
      expect(await engine.inspectContainer(`dw-${instanceId}-never-created`)).toBeUndefined();
    });

    it('renames and restarts', async () => {
      const container = await started(healthy.ref);
      const newName = `${container.name}-old`;
      await engine.rename(container.id, newName);
      await engine.restartContainer(container.id);
      expect(await engine.inspectContainer(newName)).toMatchObject({ id: container.id, state: 'running' });
    });

    it('lists only managed containers, filtered by label', async () => {
      const managed = await engine.createContainer(
        spec(healthy.ref, {
          labels: { [LABEL_PROJECT]: 'api', [LABEL_STAGE]: 'prod', [LABEL_INSTANCE]: instanceId },
        }),
      );
      const { stdout } = await run('docker', [
        'run',
        '-d',
        '--label',
        `${LABEL_INSTANCE}=${instanceId}`,
        '--name',
        `plain-${instanceId}`,
        healthy.ref,
      ]);
      const plainId = stdout.trim();
      try {
        const ours = await engine.listManagedContainers({ instanceId });
        expect(ours.map((container) => container.id)).toContain(managed.id);
        expect(ours.map((container) => container.id)).not.toContain(plainId);

        const api = await engine.listManagedContainers({ project: 'api', stage: 'prod', instanceId });
        expect(api.map((container) => container.id)).toEqual([managed.id]);
        expect(await engine.listManagedContainers({ project: 'api', stage: 'dev', instanceId })).toEqual([]);
        expect(await engine.listManagedContainers({ project: 'api', instanceId, all: false })).toEqual([]);
      } finally {
        await run('docker', ['rm', '-f', plainId]);
      }
    });

    it('leaves one network when asked at the same time, in one process and from several', async () => {
      // Each engine stands for another process (its own in-process serialisation); the engine's
      // CheckDuplicate is not atomic, so this races for real. Several rounds (each takes about a second): a single round went wrong
      // about once in ten single rounds while ages were compared as strings.
      const others = [1, 2, 3].map(() =>
        createDockerodeEngine({ networkLabels: { [LABEL_INSTANCE]: instanceId } }),
      );
      for (let round = 0; round < 3; round++) {
        const name = `${network}-race${round}`;
        await Promise.all([
          engine.ensureNetwork(name),
          engine.ensureNetwork(name),
          ...others.map((other) => other.ensureNetwork(name)),
        ]);
        await engine.ensureNetwork(name);
        const networks = await testDocker().listNetworks({ filters: JSON.stringify({ name: [name] }) });
        const named = networks.filter((candidate) => candidate.Name === name);
        expect(named, `round ${round}`).toHaveLength(1);
        expect(named[0]?.Labels?.[LABEL_INSTANCE]).toBe(instanceId);
        // Address pools are few (about 30 networks): give this one back before the next round.
        await Promise.all(named.map((one) => testDocker().getNetwork(one.Id).remove()));
      }
    });
  });
});
