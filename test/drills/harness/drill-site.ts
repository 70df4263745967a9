import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { signRequest } from '../../../src/protocol/signature.js';
import { cleanupInstance, testInstanceId, testRunId } from '../../helpers/docker-env.js';
import { ensureTestSwarm } from '../../helpers/test-swarm.js';
import { startNginx, type NginxInstance } from '../../helpers/nginx-instance.js';
import { buildTestImage, OPEN_REGISTRY, type TestImageBehaviour } from '../../helpers/test-images.js';
import { startFakeNpm, type FakeNpm } from '../../fakes/npm/fake-npm-server.js';
import type { DeployRecord, LiveVersion } from '../../../src/core/deploy-types.js';
import { startApp, killApp, type AppProcess } from './app-process.js';

export const SECRET = 'drill-signing-secret-0123456789';
export const TOKEN = 'drill-api-token-0123456789';
const NPM_PASSWORD = 'drill-npm-password';
/** The token the drills' fake GitHub accepts. */
export const FORGE_TOKEN = 'ghp_drill_forge_token';

export interface DrillConfig {
  shutdownTimeoutSeconds?: number;
  drainSeconds?: number;
  healthDeadlineSeconds?: number;
  /** A fake GitHub's API URL: the project reports to it (token in $GITHUB_TOKEN). */
  githubApiUrl?: string;
  /** Where notifications (json format) go. */
  notificationUrl?: string;
  /** false: the registry poller leaves the project alone (only the drill's requests deploy). */
  poll?: boolean;
  /** global.npm.route_check_seconds (default 30). */
  routeCheckSeconds?: number;
}

/** Everything one drill file deploys against: images, nginx, the fake NPM, a config, the app. */
export interface DrillSite {
  instanceId: string;
  repository: string;
  domain: string;
  nginx: NginxInstance;
  npm: FakeNpm;
  /**
   * What routes the stage: `npm` (the fake NPM configuring nginx), `builtin` (docker-watcher's
   * own router; DRILL_ROUTER=builtin runs the drills against it) or `front` (nginx, configured by
   * the fake NPM once per stage, forwarding to the built-in router: global.npm.forward: router).
   */
  router: DrillRouter;
  /** The built-in router's port (builtin: the entry port; front: behind nginx). */
  routerPort: number;
  /**
   * Where the stage's versions run: `docker` (containers) or `swarm` (services of a single-node
   * Swarm of the same engine, initialised for the run when inactive; DRILL_RUNTIME=swarm).
   */
  runtime: 'docker' | 'swarm';
  /** The port the site is reached on: nginx's, or the built-in router's (the same across restarts). */
  entryPort: number;
  dir: string;
  configPath: string;
  app: AppProcess | undefined;
  /** (Re)starts the app on the same data dir. */
  start(options?: { failpoint?: string; config?: DrillConfig }): Promise<AppProcess>;
  stop(): Promise<void>;
  /** Signed POST /api/deploys (from PR `pr` when given); resolves the status and JSON body. */
  requestDeploy(
    tag: string,
    deliveryId?: string,
    sha?: string,
    pr?: number,
  ): Promise<{ status: number; body: { id?: string; status?: string } }>;
  deploys(limit?: number): Promise<DeployRecord[]>;
  /** Polls until the deploy reaches a final status. */
  waitFinal(id: string, timeoutMs: number): Promise<DeployRecord>;
  live(): Promise<LiveVersion | undefined>;
  close(): Promise<void>;
}

export type DrillRouter = 'npm' | 'builtin' | 'front';

/** The router the drills run against: DRILL_ROUTER (npm when unset). */
export function drillRouter(): DrillRouter {
  const router = process.env.DRILL_ROUTER ?? 'npm';
  if (router !== 'npm' && router !== 'builtin' && router !== 'front')
    throw new Error(`DRILL_ROUTER=${router}: use npm, builtin or front`);
  return router;
}

/** Builds the images named in `tags` (tag -> behaviour) and starts nginx and the fake NPM. */
export async function openDrillSite(
  name: string,
  tags: Record<string, TestImageBehaviour | { behaviour: TestImageBehaviour; healthDelaySeconds: number }>,
  router: DrillRouter = drillRouter(),
): Promise<DrillSite> {
  const instanceId = testInstanceId();
  const repository = `drill-${instanceId.slice(-8)}/${name}`;
  for (const [tag, spec] of Object.entries(tags)) {
    const options = typeof spec === 'string' ? { behaviour: spec } : spec;
    await buildTestImage({ repository, tag, instanceId, ...options });
  }
  const nginx = await startNginx();
  const npm = await startFakeNpm({ nginx, password: NPM_PASSWORD });
  const dir = await mkdtemp(join(tmpdir(), 'dw-drill-'));
  const configPath = join(dir, 'docker-watcher.yaml');
  const domain = `stage-dev-web.${name}.drill.test`;
  let port: number | undefined;
  const routerPort = await freePort();
  const runtime = process.env.DRILL_RUNTIME === 'swarm' ? 'swarm' : 'docker';
  // Left again by the global teardown when this run initialised it.
  if (runtime === 'swarm') await ensureTestSwarm(testRunId());

  const site: DrillSite = {
    instanceId,
    repository,
    domain,
    nginx,
    npm,
    router,
    runtime,
    routerPort,
    entryPort: router === 'builtin' ? routerPort : nginx.port,
    dir,
    configPath,
    app: undefined,
    async start(options = {}) {
      // The same port across restarts: a CI step following a deploy reconnects to the same URL.
      port ??= await freePort();
      await writeFile(configPath, configYaml(site, port, options.config ?? {}));
      site.app = await startApp({
        configPath,
        env: {
          DOCKER_WATCHER_SECRET: SECRET,
          DOCKER_WATCHER_TOKEN: TOKEN,
          NPM_PASSWORD,
          DOCKER_WATCHER_INSTANCE_ID: instanceId,
          GITHUB_TOKEN: FORGE_TOKEN,
        },
        ...(options.failpoint ? { failpoint: options.failpoint } : {}),
      });
      return site.app;
    },
    async stop() {
      await killApp(site.app);
      site.app = undefined;
    },
    async requestDeploy(tag, deliveryId = randomUUID(), sha = 'a'.repeat(40), pr) {
      const raw = JSON.stringify({
        project: 'web',
        stage: 'dev',
        image: `${OPEN_REGISTRY}/${repository}`,
        tag,
        source: {
          forge: 'github',
          serverUrl: 'https://github.com',
          repository: 'acme/web',
          sha,
          ...(pr === undefined ? {} : { pr }),
        },
      });
      const response = await fetch(`${appOf(site).url}/api/deploys`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signRequest(SECRET, raw, {
            method: 'POST',
            path: '/api/deploys',
            key: 'web',
            now: new Date(),
            deliveryId,
          }),
        },
        body: raw,
      });
      return { status: response.status, body: (await response.json()) as { id?: string; status?: string } };
    },
    async deploys(limit = 200) {
      const body = (await api(site, `/api/deploys?project=web&stage=dev&limit=${limit}`)) as {
        deploys: DeployRecord[];
      };
      return body.deploys;
    },
    async waitFinal(id, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { deploy } = (await api(site, `/api/deploys/${id}`)) as { deploy: DeployRecord };
        if (!['queued', 'running', 'awaiting_approval'].includes(deploy.status)) return deploy;
        if (Date.now() > deadline)
          throw new Error(`deploy ${id} still ${deploy.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    },
    async live() {
      const body = (await api(site, '/api/projects/web/stages/dev')) as {
        stage: { live: LiveVersion | null };
      };
      return body.stage.live ?? undefined;
    },
    async close() {
      await site.stop();
      await npm.close();
      await nginx.stop();
      await rm(dir, { recursive: true, force: true });
      await cleanupInstance(instanceId);
    },
  };
  return site;
}

/** For a drill table's title: ` (Swarm services)` when the site runs on a Swarm, else nothing. */
export function onSwarm(site: DrillSite | undefined): string {
  return site?.runtime === 'swarm' ? ' (Swarm services)' : '';
}

function appOf(site: DrillSite): AppProcess {
  if (!site.app) throw new Error('the app is not running: call site.start() first');
  return site.app;
}

async function api(site: DrillSite, path: string): Promise<unknown> {
  const response = await fetch(`${appOf(site).url}${path}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const body = (await response.json()) as unknown;
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

function configYaml(site: DrillSite, port: number, config: DrillConfig): string {
  const name = site.repository.split('/')[1]!;
  return [
    'global:',
    `  domain: ${name}.drill.test`,
    `  network: dw-drill-${site.instanceId.slice(-8)}`,
    `  listen: { host: 127.0.0.1, port: ${port} }`,
    '  data_dir: ./data',
    `  health: { deadline_seconds: ${config.healthDeadlineSeconds ?? 8}, interval_seconds: 0.2, timeout_seconds: 1 }`,
    `  docker: { drain_seconds: ${config.drainSeconds ?? 0.5}, stop_timeout_seconds: 2, reach: host, publish_host: 127.0.0.1 }`,
    `  shutdown_timeout_seconds: ${config.shutdownTimeoutSeconds ?? 20}`,
    '  keep_versions: 1',
    // Services on the overlay network global.network + -swarm, one replica each.
    ...(site.runtime === 'swarm' ? ['  runtime: swarm', '  swarm: { start_timeout_seconds: 30 }'] : []),
    ...(config.notificationUrl ? [`  notification_url: ${config.notificationUrl}`] : []),
    ...(site.router === 'npm' ? [] : builtinRouter(site)),
    ...(site.router === 'builtin' ? [] : npmConfig(site, config)),

    ...(config.githubApiUrl
      ? [
          'forges:',
          '  gh:',
          '    type: github',
          `    api_url: ${config.githubApiUrl}`,
          '    token_env: GITHUB_TOKEN',
        ]
      : []),
    'projects:',
    '  web:',
    ...(config.githubApiUrl ? ['    forge: gh', '    repository: acme/web'] : []),
    `    image: ${OPEN_REGISTRY}/${site.repository}`,
    '    port: 8080',
    '    healthcheck: /health',
    ...(config.poll === false ? ['    poll: false'] : []),
    '    stages:',
    '      dev: { tag_pattern: "*", auto_deploy: true }',
    '',
  ].join('\n');
}

function npmConfig(site: DrillSite, config: DrillConfig): string[] {
  return [
    '  npm:',
    `    url: ${site.npm.url}`,
    `    email: ${site.npm.email}`,
    '    password_env: NPM_PASSWORD',
    `    forward: ${site.router === 'front' ? 'router' : 'host'}`,
    '    forward_host: 127.0.0.1',
    '    certificate: none',
    `    probe_url: http://127.0.0.1:${site.nginx.port}`,
    `    route_check_seconds: ${config.routeCheckSeconds ?? 30}`,
  ];
}

/** The built-in router on its port: the site's entry (builtin), or behind nginx (front). */
function builtinRouter(site: DrillSite): string[] {
  return ['  router:', '    host: 127.0.0.1', `    port: ${site.routerPort}`, '    drain_timeout_seconds: 5'];
}

/** A free TCP port on 127.0.0.1 (the schema refuses port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
