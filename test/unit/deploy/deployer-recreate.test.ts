import { describe, expect, it } from 'vitest';
import { DeployError } from '../../../src/core/errors.js';
import { createLifecycle } from '../../../src/deploy/lifecycle.js';
import { reconcile } from '../../../src/deploy/reconcile.js';
import { silentLogger } from '../../../src/log/logger.js';
import { baseConfig, deployerFixture, INSTANCE } from './deployer-fixture.js';

const recreateConfig = {
  ...baseConfig,
  projects: {
    web: {
      ...baseConfig.projects!['web']!,
      stages: { dev: { tag_pattern: '*', auto_deploy: true, strategy: 'recreate' as const } },
    },
  },
};

/** The engine calls about containers, in order, with the container's name. */
function lifecycle(
  fx: ReturnType<typeof deployerFixture>,
  from: number,
  gone: Record<string, string> = {},
): string[] {
  const names = new Map([
    ...Object.entries(gone),
    ...fx.docker.allContainers().map((c) => [c.id, c.name] as const),
  ]);
  return fx.docker.calls
    .slice(from)
    .filter((c) => ['startContainer', 'stopContainer', 'removeContainer'].includes(c.method))
    .map((c) => `${c.method} ${names.get(c.target ?? '') ?? c.target}`);
}

describe('deployer: strategy recreate', () => {
  it('stops the old container before the new one starts, then health-gates and switches', async () => {
    const fx = deployerFixture({ config: recreateConfig });
    fx.publish('v1');
    fx.publish('v2');
    const first = await fx.deploy('v1');
    expect(first).toMatchObject({ status: 'succeeded', strategy: 'recreate' });
    expect(first.downtimeMs).toBeUndefined();
    const from = fx.docker.calls.length;
    let oldRunningAtHealth: boolean | undefined;
    fx.health = async () => {
      oldRunningAtHealth = fx.docker.container('dw-web-dev-v1').details.state === 'running';
      await fx.clock.sleep(1500);
    };
    const second = await fx.deploy('v2');

    expect(second.status).toBe('succeeded');
    expect(second.phases.map((p) => p.phase)).toEqual([
      'resolve',
      'pull',
      'create',
      'stop_old',
      'start',
      'health',
      'switch',
      'persist',
    ]);
    expect(lifecycle(fx, from)).toEqual(['stopContainer dw-web-dev-v1', 'startContainer dw-web-dev-v2']);
    expect(oldRunningAtHealth).toBe(false);
    expect(second.downtimeMs).toBe(1500);
    expect(fx.router.targetOf('stage-dev-web.example.test')).toBe('dw-web-dev-v2');
    expect(fx.store.listEvents(second.id).map((e) => e.message)).toContain(
      'the site was down for 1.5 s (strategy recreate)',
    );
  });

  it('on a failed health check removes the new container before it starts the old one again', async () => {
    const fx = deployerFixture({ config: recreateConfig });
    fx.publish('v1');
    fx.publish('bad');
    const first = await fx.deploy('v1');
    const from = fx.docker.calls.length;
    fx.health = async () => {
      await fx.clock.sleep(700);
      throw new DeployError('health', 'HTTP 500 from /health');
    };
    const failed = await fx.deploy('bad');

    expect(failed).toMatchObject({ status: 'failed', strategy: 'recreate', error: { phase: 'health' } });
    expect(lifecycle(fx, from, { [failed.containerId!]: 'dw-web-dev-bad' })).toEqual([
      'stopContainer dw-web-dev-v1',
      'startContainer dw-web-dev-bad',
      'removeContainer dw-web-dev-bad',
      'startContainer dw-web-dev-v1',
    ]);
    expect(fx.docker.container('dw-web-dev-v1').details.state).toBe('running');
    expect(fx.store.getLive('web', 'dev')?.deployId).toBe(first.id);
    expect(failed.downtimeMs).toBe(700);
  });

  it('after a crash between the stop of the old container and the health check, reconcile removes the new one first, then starts the old one', async () => {
    const fx = deployerFixture({ config: recreateConfig });
    fx.publish('v1');
    fx.publish('v2');
    const first = await fx.deploy('v1');
    let reached!: () => void;
    const inHealth = new Promise<void>((resolve) => (reached = resolve));
    fx.health = () => {
      reached();
      return new Promise(() => {}); // the process "dies" here
    };
    const cut = fx.deployer.submit(fx.intent('v2'));
    await inHealth;
    expect(fx.docker.container('dw-web-dev-v1').details.state).toBe('exited');
    const from = fx.docker.calls.length;
    const newId = fx.docker.container('dw-web-dev-v2').details.id;

    // Reconcile alone (the restarted deployer would then run the retry): it undoes the cut deploy.
    const summary = await reconcile({
      ...fx,
      logger: silentLogger,
      instanceId: INSTANCE,
      lifecycle: createLifecycle({ store: fx.store, clock: fx.clock, logger: silentLogger }),
    });
    expect(summary).toMatchObject({
      retried: [cut.id],
      removedContainers: ['dw-web-dev-v2'],
      restartedContainers: ['dw-web-dev-v1'],
    });
    expect(lifecycle(fx, from, { [newId]: 'dw-web-dev-v2' })).toEqual([
      'removeContainer dw-web-dev-v2',
      'startContainer dw-web-dev-v1',
    ]);
    expect(fx.store.getLive('web', 'dev')?.deployId).toBe(first.id);
  });
});
