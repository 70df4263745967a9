import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageDomain } from '../../../src/config/domains.js';
import { configSchema } from '../../../src/config/schema.js';
import type { DeployIntent } from '../../../src/core/deploy-types.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createNpmRouter } from '../../../src/proxy/npm/npm-router.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { startFakeNpm, type FakeNpm } from '../../fakes/npm/fake-npm-server.js';
import { requireDocker, useTestInstance } from '../../helpers/docker-env.js';
import { getWithHost, startTraffic } from '../../helpers/host-traffic.js';
import { startNginx, type NginxInstance } from '../../helpers/nginx-instance.js';
import { buildTestImage, OPEN_REGISTRY } from '../../helpers/test-images.js';
import { fastGlobal, realDeployer, uniqueProject } from './real-deployer.js';

/**
 * The deploy path with Nginx Proxy Manager in it, as users run it: real containers, the NPM
 * router talking to a fake NPM that checks every request against NPM's OpenAPI description and
 * configures a real nginx, and traffic sent through that nginx.
 */
const hasDocker = await requireDocker();
const NPM_PASSWORD = 'npm-deploy-test-password';

describe.skipIf(!hasDocker)('deploys through Nginx Proxy Manager (real nginx, real containers)', () => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const repository = `${project}/web`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  let nginx: NginxInstance;
  let npm: FakeNpm;
  let fx: ReturnType<typeof realDeployer>;
  let domain: string;
  let otherDomain: string;

  beforeAll(async () => {
    for (const [tag, behaviour] of [
      ['v1', 'healthy'],
      ['v2', 'healthy'],
      ['v3', 'unhealthy'],
      ['v4', 'healthy'],
    ] as const) {
      await buildTestImage({ repository, tag, behaviour, instanceId });
    }
    nginx = await startNginx();
    npm = await startFakeNpm({ nginx, password: NPM_PASSWORD });
    const config = {
      global: {
        ...fastGlobal(instanceId),
        domain: 'npm.test',
        npm: {
          url: npm.url,
          email: 'admin@example.com',
          password_env: 'NPM_PASSWORD',
          forward: 'host' as const,
          forward_host: '127.0.0.1',
          certificate: 'none' as const,
          probe_url: `http://127.0.0.1:${nginx.port}`,
        },
      },
      projects: {
        [project]: {
          image,
          port: 8080,
          healthcheck: '/health',
          stages: {
            dev: { tag_pattern: 'v*', auto_deploy: true },
            qa: { tag_pattern: 'v*', auto_deploy: true },
          },
        },
      },
    };
    const store = openSqliteStore(':memory:');
    const secrets = { NPM_PASSWORD };
    const loaded = { config: configSchema.parse(config), file: '/x/dw.yml', dir: '/x', secrets };
    const router = createNpmRouter({ loaded, instanceId, logger: silentLogger });
    fx = realDeployer({ instanceId, config, secrets, store, deps: { router } });
    domain = stageDomain(fx.loaded.config, project, 'dev');
    otherDomain = stageDomain(fx.loaded.config, project, 'qa');
  });

  afterAll(async () => {
    await fx?.deployer.shutdown(10_000);
    await npm?.close();
    await nginx?.stop();
  });

  const intent = (tag: string, stage = 'dev'): DeployIntent => ({
    project,
    stage,
    image,
    tag,
    trigger: 'ci',
  });
  const hostFor = (name: string) => npm.hosts().find((h) => h.domain_names.includes(name));
  const through = async (name: string) => (await getWithHost(nginx.port, name)).body;

  it('creates the proxy host on the first deploy and serves the app through nginx the moment it reports success', async () => {
    const v1 = await fx.deploy(intent('v1'));
    expect(v1.status, JSON.stringify(v1.error)).toBe('succeeded');
    // NPM answered before nginx served the new host: success waited until the proxy served v1.
    expect(await through(domain)).toContain('version v1');
    expect(v1.phases.find((p) => p.phase === 'switch')).toBeDefined();
    const live = await fx.docker.inspectContainer(fx.store.getLive(project, 'dev')!.containerId);
    expect(hostFor(domain)).toMatchObject({ forward_host: '127.0.0.1', forward_port: live!.hostPort });
    expect(await through(domain)).toContain('version v1');
    expect(npm.rejections).toEqual([]);
  });

  it('moves the host to the next version under continuous traffic with no failed request', async () => {
    const traffic = startTraffic(nginx.port, domain, { concurrency: 3 });
    await new Promise((r) => setTimeout(r, 300));
    const v2 = await fx.deploy(intent('v2'));
    await new Promise((r) => setTimeout(r, 300));
    const report = await traffic.stop();
    expect(v2.status, JSON.stringify(v2.error)).toBe('succeeded');
    expect(report.failures).toEqual([]);
    expect(report.sent).toBeGreaterThan(20);
    expect(report.bodies.at(-1)).toContain('version v2');
    expect(report.bodies.some((b) => b.includes('version v1'))).toBe(true);
    expect(npm.hosts().filter((h) => h.domain_names.includes(domain))).toHaveLength(1);
  });

  it('leaves the host and the traffic on the old version when a deploy fails', async () => {
    const before = { ...hostFor(domain)! };
    const v3 = await fx.deploy(intent('v3'));
    expect(v3.status).toBe('failed');
    expect(v3.error?.phase).toBe('health');
    expect(hostFor(domain)).toMatchObject({ forward_port: before.forward_port });
    expect(await through(domain)).toContain('version v2');
  });

  it('logs in again when NPM lost its keys (500 Internal Error) without failing the deploy', async () => {
    const logins = () => npm.requests.filter((r) => r.method === 'POST' && r.path === '/api/tokens').length;
    const before = logins();
    npm.rotateSigningKey();
    const v4 = await fx.deploy(intent('v4'));
    expect(v4.status, JSON.stringify(v4.error)).toBe('succeeded');
    expect(logins()).toBe(before + 1);
    expect(await through(domain)).toContain('version v4');
  });

  it('refuses to take over a host a person made for the domain, and says how to adopt it', async () => {
    const handMade = await npm.addHandMadeHost({
      domain_names: [otherDomain],
      forward_host: '10.1.2.3',
      forward_port: 80,
    });
    const record = await fx.deploy(intent('v4', 'qa'));
    expect(record.status).toBe('failed');
    expect(record.error?.phase).toBe('switch');
    expect(record.error?.message).toContain(String(handMade.id));
    expect(record.error?.message).toMatch(/adopt_existing/);
    expect(hostFor(otherDomain)).toMatchObject({
      id: handMade.id,
      forward_host: '10.1.2.3',
      forward_port: 80,
    });
    expect(fx.store.getLive(project, 'qa')).toBeUndefined();
  });
});
