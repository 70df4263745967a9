import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { ExternalError } from '../../../src/core/errors.js';
import type { PullRequestInfo } from '../../../src/forge/forge.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createPreviews, PREVIEW_SWEEP_MS } from '../../../src/previews/previews.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { FakeDeployer } from '../../fakes/fake-deployer.js';
import { FakeForgeClient } from '../../fakes/fake-forge-client.js';
import { ManualClock } from '../../fakes/manual-clock.js';

const HOUR = 3_600_000;

function setup(previews: NonNullable<ConfigInput['projects']>[string]['previews'] = {}) {
  const config = configSchema.parse({
    projects: {
      web: {
        image: 'registry.test/web',
        port: 8080,
        repository: 'acme/web',
        stages: { dev: { tag_pattern: 'dev-*' } },
        previews: { enabled: true, ...previews },
      },
    },
  } satisfies ConfigInput);
  const store = openSqliteStore(':memory:');
  const clock = new ManualClock();
  const deploys = new FakeDeployer({ store, clock, autoRun: true });
  const client = new FakeForgeClient('github');
  let forgeDown = false;
  const getPull = client.getPullRequest.bind(client);
  client.getPullRequest = (repo, pr) =>
    forgeDown ? Promise.reject(new ExternalError('forge', 'connect ECONNREFUSED')) : getPull(repo, pr);
  const open = (pr: number, extra: Partial<PullRequestInfo> = {}) =>
    client.pullRequests.set(pr, {
      number: pr,
      headSha: 'a'.repeat(40),
      author: 'dana',
      state: 'open',
      ...extra,
    });
  const removed: number[] = [];
  const service = createPreviews({
    config,
    store,
    deployer: deploys,
    clock,
    logger: silentLogger,
    forgeFor: () => ({ client, repo: { owner: 'acme', repo: 'web' }, forgeName: 'gh' }),
    onRemoved: (p) => removed.push(p.pr),
  });
  return {
    service,
    store,
    clock,
    deploys,
    client,
    open,
    removed,
    setForgeDown: (v: boolean) => (forgeDown = v),
  };
}

describe('previews service', () => {
  it('admits an open PR and refuses a closed one, an unknown one and a fork', async () => {
    const { service, open, client } = setup();
    open(1);
    open(2, { state: 'closed' });
    open(3, { fork: true });
    await expect(service.admit('web', 1)).resolves.toMatchObject({
      stage: 'pr-1',
      domain: 'pr-1-web.localhost',
    });
    await expect(service.admit('web', 2)).rejects.toThrow(/PR #2 of acme\/web is closed/);
    await expect(service.admit('web', 9)).rejects.toThrow(/PR #9 does not exist in acme\/web/);
    await expect(service.admit('web', 3)).rejects.toThrow(
      /fork: previews of forks need previews.forks: true/,
    );
    // The state is cached briefly: a second push of PR 1 does not ask again.
    const asked = client.calls.length;
    await service.admit('web', 1);
    expect(client.calls.length).toBe(asked);
  });

  it('lets forks in with forks: true', async () => {
    const { service, open } = setup({ forks: true });
    open(3, { fork: true });
    await expect(service.admit('web', 3)).resolves.toMatchObject({ state: 'live' });
  });

  it('at max removes the preview deployed longest ago', async () => {
    const { service, open, clock, deploys, store, removed } = setup({ max: 2 });
    for (const pr of [1, 2, 3]) open(pr);
    await service.admit('web', 1);
    clock.advance(60_000);
    await service.admit('web', 2);
    clock.advance(60_000);
    await service.admit('web', 1); // PR 1 deployed again: PR 2 is now the idlest
    clock.advance(60_000);
    await service.admit('web', 3);
    await service.stop();
    expect(deploys.teardowns.map((t) => t.stage)).toEqual(['pr-2']);
    expect(removed).toEqual([2]);
    expect(store.listPreviews().map((p) => p.pr)).toEqual([1, 3]);
  });

  it('at max with at_max: refuse names the previews to remove', async () => {
    const { service, open, deploys } = setup({ max: 1, at_max: 'refuse' });
    open(1);
    open(2);
    await service.admit('web', 1);
    await expect(service.admit('web', 2)).rejects.toThrow(
      /has 1 previews, its max: remove one first, e.g. #1/,
    );
    expect(deploys.teardowns).toEqual([]);
  });

  it('removes a preview once its TTL passed without a deploy, on the sweep timer', async () => {
    const { service, open, clock, store, deploys } = setup({ ttl_hours: 2 });
    open(1);
    open(2);
    await service.admit('web', 1);
    clock.advance(HOUR);
    await service.admit('web', 2);
    service.start();
    await until(() => clock.sleeping === 1);
    clock.advance(HOUR + PREVIEW_SWEEP_MS); // PR 1: 2 h 1 min idle; PR 2: 1 h 1 min
    await until(() => store.getPreview('web', 1)?.state === 'removed');
    expect(store.getPreview('web', 2)?.state).toBe('live');
    expect(deploys.teardowns.map((t) => t.stage)).toEqual(['pr-1']);
    await service.stop();
  });

  it('at start-up removes previews whose PR closed while the app was down; a forge that does not answer postpones', async () => {
    const { service, open, client, store, setForgeDown } = setup();
    open(1);
    open(2);
    await service.admit('web', 1);
    await service.admit('web', 2);
    client.pullRequests.get(1)!.state = 'closed';
    setForgeDown(true);
    await service.sweep({ checkForge: true });
    expect(store.listPreviews().map((p) => p.state)).toEqual(['live', 'live']);
    setForgeDown(false);
    await service.sweep({ checkForge: true });
    expect(store.getPreview('web', 1)?.state).toBe('removed');
    expect(store.getPreview('web', 2)?.state).toBe('live');
  });

  it('removes a closed PR once, however often the close arrives', async () => {
    const { service, open, deploys } = setup();
    open(4);
    await service.admit('web', 4);
    const results = await Promise.all([service.pullClosed('ACME/web', 4), service.pullClosed('acme/web', 4)]);
    // Both wait for the one removal under way.
    expect(results).toEqual([1, 1]);
    expect(await service.pullClosed('acme/web', 4)).toBe(0);
    expect(deploys.teardowns.length).toBe(1);
  });
});

async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(probe()).toBe(true);
}
