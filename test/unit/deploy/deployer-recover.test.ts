import { describe, expect, it } from 'vitest';
import { deployerFixture } from './deployer-fixture.js';

/**
 * v1 live; then v2 hangs in its health check with v3 queued behind it, and the process dies.
 * `restart` builds the next process's deployer on the same store, engine and router.
 */
async function crashedWithQueue() {
  const fx = deployerFixture();
  for (const tag of ['v1', 'v2', 'v3']) fx.publish(tag);
  await fx.deploy('v1');
  let reached!: () => void;
  const inHealth = new Promise<void>((resolve) => (reached = resolve));
  fx.health = () => (reached(), new Promise<never>(() => {}));
  const v2 = fx.deployer.submit(fx.intent('v2'));
  await inHealth;
  const v3 = fx.deployer.submit(fx.intent('v3'));
  expect(fx.store.getDeploy(v3.id)?.status).toBe('queued');
  fx.health = async () => {};
  return { fx, v2, v3 };
}

describe('deployer recovery after a crash', () => {
  it('tries the cut-off deploy again, then runs the one queued behind it', async () => {
    const { fx, v2, v3 } = await crashedWithQueue();
    const deployer = fx.restart();
    const summary = await deployer.recover();
    expect(summary).toMatchObject({ retried: [v2.id], resumed: [v3.id], interrupted: [] });
    const second = await deployer.waitFor(v2.id);
    expect(second).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect((await deployer.waitFor(v3.id)).status).toBe('succeeded');
    expect(fx.store.getLive('web', 'dev')?.deployId).toBe(v3.id);
    // Both attempts in one history: the first cut off in health, the second to the end.
    expect(second.phases.map((p) => p.phase)).toEqual([
      ...['resolve', 'pull', 'create', 'start', 'health'],
      ...['resolve', 'pull', 'create', 'start', 'health', 'switch', 'persist', 'drain', 'stop_old'],
    ]);
    const statuses = fx.store
      .listEvents(v2.id)
      .filter((e) => e.type === 'status')
      .map((e) => e.status);
    expect(statuses).toEqual(['queued', 'running', 'queued', 'running', 'succeeded']);
  });

  it('marks a deploy cut off in its second attempt interrupted, and tries it no more', async () => {
    const { fx, v2, v3 } = await crashedWithQueue();
    fx.store.updateDeploy(v2.id, { attempt: 2 });
    const deployer = fx.restart();
    const summary = await deployer.recover();
    expect(summary).toMatchObject({ retried: [], interrupted: [v2.id], resumed: [v3.id] });
    expect((await deployer.waitFor(v2.id)).status).toBe('interrupted');
    expect((await deployer.waitFor(v3.id)).status).toBe('succeeded');
  });

  it('queues deploys accepted while it reconciles behind those it resumes, so the newest wins', async () => {
    const { fx, v2, v3 } = await crashedWithQueue();
    fx.publish('v4');
    const deployer = fx.restart();
    const recovering = deployer.recover();
    const v4 = deployer.submit(fx.intent('v4'));
    await recovering;
    expect((await deployer.waitFor(v2.id)).status).toBe('succeeded');
    // v3 waited behind v2's second attempt; v4, newer, superseded it there, as without a restart.
    expect((await deployer.waitFor(v3.id)).status).toBe('superseded');
    expect((await deployer.waitFor(v4.id)).status).toBe('succeeded');
    expect(fx.store.getLive('web', 'dev')?.deployId).toBe(v4.id);
  });
});
