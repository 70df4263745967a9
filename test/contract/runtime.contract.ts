import { describe, expect, it } from 'vitest';
import { ExternalError } from '../../src/core/errors.js';
import type { Runtime } from '../../src/deploy/ports.js';
import {
  LABEL_INSTANCE,
  LABEL_PROJECT,
  LABEL_STAGE,
  type ContainerEvent,
  type ContainerSpec,
} from '../../src/docker/engine.js';

/** A Runtime under test and what the cases need around it. */
export interface RuntimeUnderTest {
  runtime: Runtime;
  /** A present image whose container keeps running and listens on `port`. */
  image: string;
  port: number;
  /** A reference no registry has. */
  missingImage: string;
  /** A network the cases may create. */
  network: string;
  /** Unique per run: the containers' names and labels carry it. */
  instanceId: string;
}

/**
 * What the deployer relies on from a Runtime (src/deploy/ports.ts), as one suite of cases run
 * against the in-memory fake (test/fakes/fake-docker-engine.ts), the dockerode adapter on the
 * real engine and the Swarm runtime (a container there is a service) on a real Swarm. Where the two differ, the real engine is right and the fake is fixed.
 */
export function runtimeContract(name: string, setup: () => RuntimeUnderTest): void {
  describe(`Runtime contract: ${name}`, () => {
    let n = 0;
    const spec = (rt: RuntimeUnderTest, extra: Partial<ContainerSpec> = {}): ContainerSpec => {
      n += 1;
      return {
        name: `dw-contract-${rt.instanceId.slice(-8)}-${n}`,
        image: rt.image,
        labels: {
          [LABEL_PROJECT]: 'contract',
          [LABEL_STAGE]: `s${n}`,
          [LABEL_INSTANCE]: rt.instanceId,
        },
        env: ['CONTRACT=1'],
        volumes: [],
        network: rt.network,
        port: rt.port,
        publishHost: '127.0.0.1',
        restartPolicy: 'no',
        stopTimeoutSeconds: 1,
        ...extra,
      };
    };

    it('reports an image that is not present as undefined, and a failed pull as an error naming it', async () => {
      const rt = setup();
      expect(await rt.runtime.inspectImage(rt.missingImage)).toBeUndefined();
      const pull = rt.runtime.pullImage(rt.missingImage);
      await expect(pull).rejects.toBeInstanceOf(ExternalError);
      await expect(pull).rejects.toThrow(rt.missingImage.split('/').pop()!);
      expect(await rt.runtime.inspectImage(rt.image)).toMatchObject({ id: expect.any(String) });
    });

    it('creates a container from the spec: state created, its name and labels, found by name and by id', async () => {
      const rt = setup();
      await rt.runtime.ensureNetwork(rt.network);
      await rt.runtime.ensureNetwork(rt.network);
      const wanted = spec(rt);
      const created = await rt.runtime.createContainer(wanted);
      expect(created).toMatchObject({
        name: wanted.name,
        image: rt.image,
        state: 'created',
        restartCount: 0,
      });
      expect(created.labels).toMatchObject(wanted.labels);
      expect(created.hostPort).toBeUndefined();
      expect(await rt.runtime.inspectContainer(wanted.name)).toEqual(created);
      expect(await rt.runtime.inspectContainer(created.id)).toEqual(created);
      await rt.runtime.removeContainer(created.id);
    });

    it('refuses a name that is taken, naming it; a network that does not exist fails the create or the start, naming it', async () => {
      const rt = setup();
      await rt.runtime.ensureNetwork(rt.network);
      const wanted = spec(rt);
      const first = await rt.runtime.createContainer(wanted);
      await expect(rt.runtime.createContainer(wanted)).rejects.toThrow(wanted.name);
      const lost = `${rt.network}-missing`;
      // A container fails at its start; a Swarm service already at its create. Either way the
      // deployer undoes the phase, and nothing runs.
      const orphan = await rt.runtime.createContainer(spec(rt, { network: lost })).catch((error: unknown) => {
        expect(String(error)).toContain(lost);
        return undefined;
      });
      if (orphan) {
        await expect(rt.runtime.startContainer(orphan.id)).rejects.toThrow(lost);
        expect((await rt.runtime.inspectContainer(orphan.id))?.state).toBe('created');
      }
      await Promise.all([
        rt.runtime.removeContainer(first.id),
        orphan && rt.runtime.removeContainer(orphan.id),
      ]);
      expect(await rt.runtime.listManagedContainers({ instanceId: rt.instanceId })).toEqual([]);
    });

    it('runs a container on a published host port, and a stopped one has none until it starts again', async () => {
      const rt = setup();
      await rt.runtime.ensureNetwork(rt.network);
      const { id } = await rt.runtime.createContainer(spec(rt));
      await rt.runtime.startContainer(id);
      const running = await rt.runtime.inspectContainer(id);
      expect(running).toMatchObject({ state: 'running', startedAt: expect.any(String) });
      expect(running?.hostPort).toBeGreaterThan(0);
      expect(running?.exitCode).toBeUndefined();

      await rt.runtime.stopContainer(id, { timeoutSeconds: 1 });
      const stopped = await rt.runtime.inspectContainer(id);
      expect(stopped?.state).toBe('exited');
      expect(stopped?.exitCode).toEqual(expect.any(Number));
      expect(stopped?.hostPort).toBeUndefined();
      // Stopping what is stopped is not an error (the undo of a swap may do it twice).
      await rt.runtime.stopContainer(id, { timeoutSeconds: 1 });

      await rt.runtime.startContainer(id);
      const again = await rt.runtime.inspectContainer(id);
      expect(again?.state).toBe('running');
      expect(again?.hostPort).toBeGreaterThan(0);
      await rt.runtime.removeContainer(id);
      expect(await rt.runtime.inspectContainer(id)).toBeUndefined();
      // Removing what is gone is not an error either.
      await rt.runtime.removeContainer(id);
    });

    it('lists only managed containers, by project, stage and instance, running ones only with all: false', async () => {
      const rt = setup();
      await rt.runtime.ensureNetwork(rt.network);
      const a = await rt.runtime.createContainer(spec(rt));
      const b = await rt.runtime.createContainer(spec(rt));
      await rt.runtime.startContainer(b.id);
      const mine = await rt.runtime.listManagedContainers({ instanceId: rt.instanceId });
      expect(mine.map((c) => c.id).sort()).toEqual([a.id, b.id].sort());
      const stage = await rt.runtime.listManagedContainers({
        project: 'contract',
        stage: b.labels[LABEL_STAGE]!,
        instanceId: rt.instanceId,
      });
      expect(stage.map((c) => c.id)).toEqual([b.id]);
      const running = await rt.runtime.listManagedContainers({ instanceId: rt.instanceId, all: false });
      expect(running.map((c) => c.id)).toEqual([b.id]);
      expect(await rt.runtime.listManagedContainers({ instanceId: `${rt.instanceId}-other` })).toEqual([]);
      await Promise.all([rt.runtime.removeContainer(a.id), rt.runtime.removeContainer(b.id)]);
    });

    it('tells watchers when a managed container starts, stops and goes away', async () => {
      const rt = setup();
      await rt.runtime.ensureNetwork(rt.network);
      const events: ContainerEvent[] = [];
      const watching = new AbortController();
      const watched = rt.runtime.watchEvents((event) => events.push(event), watching.signal);
      await new Promise((done) => setTimeout(done, 200)); // the engine's stream is open
      const { id } = await rt.runtime.createContainer(spec(rt));
      await rt.runtime.startContainer(id);
      await rt.runtime.stopContainer(id, { timeoutSeconds: 1 });
      await rt.runtime.removeContainer(id);
      const seen = () => events.filter((e) => e.containerId === id).map((e) => e.action);
      for (let waited = 0; !seen().includes('destroy') && waited < 5000; waited += 100)
        await new Promise((done) => setTimeout(done, 100));
      watching.abort();
      await watched;
      const actions = seen();
      expect(actions.indexOf('start')).toBeGreaterThanOrEqual(0);
      expect(actions.indexOf('die')).toBeGreaterThan(actions.indexOf('start'));
      expect(actions.indexOf('destroy')).toBeGreaterThan(actions.indexOf('die'));
      expect(events.find((e) => e.containerId === id)?.labels[LABEL_INSTANCE]).toBe(rt.instanceId);
    });
  });
}
