import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { createJsonLogger, silentLogger } from '../../../src/log/logger.js';
import { createPoller, type PollerDeps } from '../../../src/registry/poller.js';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/registry-client.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { FakeDeployer } from '../../fakes/fake-deployer.js';
import { ManualClock } from '../../fakes/manual-clock.js';
import { requireDocker, useTestInstance } from '../../helpers/docker-env.js';
import { tagInRegistry } from '../../helpers/registry-tags.js';
import { AUTH_REGISTRY, buildTestImage, OPEN_REGISTRY, type TestImage } from '../../helpers/test-images.js';

const docker = await requireDocker();
const OTHER_DIGEST = `sha256:${'0'.repeat(64)}`;

describe.skipIf(!docker)('registry poller against the real registries', () => {
  const instanceId = useTestInstance();
  const repository = `dw-poller/${instanceId}`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  const loaded: LoadedConfig = {
    config: configSchema.parse({
      registries: {
        open: { url: `http://${OPEN_REGISTRY}`, poll_interval_seconds: 10 },
        locked: { url: `http://${AUTH_REGISTRY}`, username: 'dw', token_env: 'LOCKED_TOKEN' },
      },
      projects: {
        web: {
          image,
          registry: 'open',
          port: 8080,
          stages: { dev: { tag_pattern: 'dev-*', auto_deploy: true }, rel: { tag_pattern: 'v*' } },
        },
        locked: {
          image: `${AUTH_REGISTRY}/${repository}`,
          registry: 'locked',
          port: 8080,
          stages: { dev: { tag_pattern: 'dev-*' } },
        },
        manual: {
          image,
          poll: false,
          port: 8080,
          stages: { dev: { tag_pattern: 'dev-*', auto_deploy: true } },
        },
      },
    }),
    file: '/srv/dw/dw.yml',
    dir: '/srv/dw',
    secrets: { LOCKED_TOKEN: 'not-the-secret' },
  };
  let older: TestImage;
  let newer: TestImage;
  let registry: RegistryClient;

  const fixture = (options: { live?: boolean; logLines?: string[] } = {}) => {
    const store: Store = openSqliteStore(':memory:');
    const clock = new ManualClock();
    const deploys = new FakeDeployer({ store, clock });
    if (options.live) {
      for (const stage of ['dev', 'rel']) {
        store.setLive({
          project: 'web',
          stage,
          deployId: `old-${stage}`,
          tag: 'old',
          image,
          digest: OTHER_DIGEST,
          imageRef: `${image}@${OTHER_DIGEST}`,
          containerId: 'c0',
          containerName: 'dw-web-old',
          since: clock.now().toISOString(),
        });
      }
    }
    const lines = options.logLines;
    const logger = lines
      ? createJsonLogger({ write: (line) => lines.push(line), level: 'debug' })
      : silentLogger;
    const deps: PollerDeps = { loaded, registry, store, deployer: deploys, clock, logger, random: () => 0.5 };
    return { store, clock, deploys, poller: createPoller(deps) };
  };

  beforeAll(async () => {
    registry = createRegistryClient({ clock: new ManualClock(), logger: silentLogger });
    older = await buildTestImage({ repository, tag: 'dev-1', behaviour: 'healthy', instanceId });
    // `created` has one-second precision: make sure the second image is newer.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    newer = await buildTestImage({ repository, tag: 'dev-2', behaviour: 'healthy', instanceId });
    await tagInRegistry(OPEN_REGISTRY, repository, older.digest, 'feature-x');
    await tagInRegistry(OPEN_REGISTRY, repository, older.digest, 'v1.10.0');
    await tagInRegistry(OPEN_REGISTRY, repository, newer.digest, 'v1.9.3');
  });
  afterAll(() => registry.close());

  it('on a first poll deploys only the newest tag of stages with nothing live', async () => {
    const { poller, deploys } = fixture();
    const outcome = await poller.pollProject('web');
    expect(outcome.firstPoll).toBe(true);
    expect(deploys.submitted.map((i) => [i.stage, i.tag, i.digest, i.trigger])).toEqual([
      ['dev', 'dev-2', newer.digest, 'poll'],
      ['rel', 'v1.10.0', older.digest, 'poll'],
    ]);
  });

  describe('with versions live', () => {
    let f: ReturnType<typeof fixture>;
    beforeAll(() => {
      f = fixture({ live: true });
    });
    afterAll(() => f.poller.stop());

    it('records the tags on a first poll without deploying, ignoring tags no stage matches', async () => {
      const outcome = await f.poller.pollProject('web');
      expect(outcome).toMatchObject({ firstPoll: true, submitted: [] });
      const cursor = JSON.parse(f.store.getState('poller:cursor:web') ?? '{}');
      expect(Object.keys(cursor).sort()).toEqual(['dev-1', 'dev-2', 'v1.10.0', 'v1.9.3']);
    });

    it('submits a new dev tag within one interval, and ignores a new tag matching no pattern', async () => {
      f.poller.start();
      await vi.waitFor(() => expect(f.clock.sleeping).toBeGreaterThan(0));
      expect(f.deploys.submitted).toHaveLength(0);
      await tagInRegistry(OPEN_REGISTRY, repository, newer.digest, 'dev-3');
      await tagInRegistry(OPEN_REGISTRY, repository, older.digest, 'other-1');

      f.clock.advance(10_000);
      await vi.waitFor(() => expect(f.deploys.submitted).toHaveLength(1));
      expect(f.deploys.submitted[0]).toMatchObject({
        stage: 'dev',
        tag: 'dev-3',
        digest: newer.digest,
        trigger: 'poll',
      });
      await f.poller.stop();
      expect(f.store.getState('poller:cursor:web')).not.toContain('other-1');
    });

    it('does nothing when the same digest is pushed again, under the old or a new tag', async () => {
      await tagInRegistry(OPEN_REGISTRY, repository, newer.digest, 'dev-3');
      await tagInRegistry(OPEN_REGISTRY, repository, newer.digest, 'dev-4');
      const outcome = await f.poller.pollProject('web');
      expect(outcome.submitted).toEqual([]);
      expect(outcome.skipped).toEqual([
        { stage: 'dev', tag: 'dev-4', reason: expect.stringMatching(/already queued/) },
      ]);
      expect(f.deploys.submitted).toHaveLength(1);
    });

    it('submits a seen tag again when its digest changed', async () => {
      await tagInRegistry(OPEN_REGISTRY, repository, older.digest, 'dev-3');
      const outcome = await f.poller.pollProject('web');
      expect(outcome.submitted.map((d) => [d.intent.tag, d.intent.digest])).toEqual([
        ['dev-3', older.digest],
      ]);
    });
  });

  it('polls at once on a registry push for its image, and ignores other images and tags', async () => {
    const { poller, deploys } = fixture({ live: true });
    await poller.pollProject('web');
    await tagInRegistry(OPEN_REGISTRY, repository, older.digest, 'dev-9');

    expect(
      await poller.onRegistryPush({ forge: 'gitea', image: `${OPEN_REGISTRY}/someone/else`, tag: 'dev-9' }),
    ).toEqual([]);
    expect(await poller.onRegistryPush({ forge: 'gitea', image, tag: 'latest' })).toEqual([]);
    const results = await poller.onRegistryPush({ forge: 'gitea', image: `${image}:dev-9`, tag: 'dev-9' });

    expect(results.map((r) => r.project)).toEqual(['web']);
    expect(deploys.submitted.map((i) => [i.tag, i.digest, i.trigger])).toEqual([
      ['dev-9', older.digest, 'webhook'],
    ]);
  });

  it('logs wrong credentials clearly, backs off, and keeps polling the other projects', async () => {
    const lines: string[] = [];
    const { poller, clock } = fixture({ live: true, logLines: lines });
    poller.start();
    try {
      expect(poller.status().map((s) => s.project)).toEqual(['web', 'locked']);
      await vi.waitFor(() => expect(poller.status().every((s) => s.polls === 1)).toBe(true));
      await vi.waitFor(() => expect(clock.sleeping).toBe(2));
      const locked = poller.status().find((s) => s.project === 'locked')!;
      expect(locked).toMatchObject({ registry: 'locked', consecutiveFailures: 1, failures: 1 });
      expect(locked.lastError).toContain(`wrong credentials for ${AUTH_REGISTRY}`);
      expect(locked.lastError).toContain('registries.locked.token_env');
      const logged = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'registry poll failed');
      expect(logged).toMatchObject({ level: 'error', project: 'locked', registry: 'locked' });
      expect(lines.join('\n')).not.toContain('not-the-secret');
      // web waits one interval (10 s); locked, after a failure, two of its 60 s.
      expect(clock.slept.sort((a, b) => a - b)).toEqual([10_000, 120_000]);

      await tagInRegistry(OPEN_REGISTRY, repository, older.digest, 'dev-10');
      clock.advance(10_000);
      // `polls` counts polls started: wait for this one to have found the tag and gone to sleep.
      await vi.waitFor(() =>
        expect(lines.some((l) => l.includes('poller found a new tag') && l.includes('dev-10'))).toBe(true),
      );
      await vi.waitFor(() => expect(clock.sleeping).toBe(2));
      expect(poller.status().find((s) => s.project === 'web')).toMatchObject({
        polls: 2,
        consecutiveFailures: 0,
      });
    } finally {
      await poller.stop();
    }
  });

  // Last: it pushes dev-9, which the tags the tests above expect do not include.
  it('leaves a stage alone whose deploy was requested before the poll and has not resolved its tag yet', async () => {
    const { poller, deploys } = fixture();
    // CI asked for dev-1 as the app started: queued, its digest not known yet.
    deploys.submit({ project: 'web', stage: 'dev', image, tag: 'dev-1', trigger: 'manual' });
    const first = await poller.pollProject('web');
    expect(first.submitted.map((d) => [d.intent.stage, d.intent.tag])).toEqual([['rel', 'v1.10.0']]);
    // A tag pushed next, requested by CI before the poller saw it: not submitted a second time.
    await tagInRegistry(OPEN_REGISTRY, repository, newer.digest, 'dev-9');
    deploys.submit({ project: 'web', stage: 'dev', image, tag: 'dev-9', trigger: 'manual' });
    const next = await poller.pollProject('web');
    expect(next.submitted).toEqual([]);
    expect(next.skipped).toEqual([
      { stage: 'dev', tag: 'dev-9', reason: expect.stringMatching(/^tag already queued in deploy /) },
    ]);
    expect(deploys.submitted.filter((i) => i.trigger === 'poll').map((i) => i.tag)).toEqual(['v1.10.0']);
  });
});
