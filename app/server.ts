import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { systemClock, type Clock } from '../src/core/clock.js';
import { configWarnings } from '../src/config/config-warnings.js';
import { resolveRequestSecrets } from '../src/config/request-secrets.js';
import { resolveDeploySettings } from '../src/config/deploy-settings.js';
import { loadConfig } from '../src/config/load-config.js';
import type { LoadedConfig } from '../src/config/loaded-config.js';
import { assertSwarmManager, createRuntime, swarmProjects } from '../src/docker/swarm/create-runtime.js';
import { LABEL_INSTANCE, type DockerEngine } from '../src/docker/engine.js';
import { createChangeFeed } from '../src/deploy/change-feed.js';
import { createDeployer } from '../src/deploy/deployer.js';
import { failpointHook } from '../src/deploy/failpoint.js';
import { detectReach, type Reach } from '../src/deploy/probe-url.js';
import { createRouteKeeper } from '../src/deploy/route-keeper.js';
import { StageQueue } from '../src/deploy/stage-queue.js';
import type { Logger } from '../src/log/logger.js';
import { liveRouteTargets } from '../src/deploy/live-routes.js';
import { noProxyRouter, type ProxyRouter } from '../src/proxy/router.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { nodeHttp } from '../src/net/node-http.js';
import { createApp } from './create-app.js';
import type { StartupState } from './http/app-env.js';
import { createBackgroundTasks } from './http/background-tasks.js';
import { createRequestLog } from './http/request-log.js';
import { nodeFront } from './http/node-listener.js';
import { DEPLOY_REQUEST_ROUTE } from './routes/deploy-requests.js';
import { healthAnswer } from './routes/health.js';
import { errorMessage } from '../src/core/errors.js';
import { createDeployReporter } from '../src/forge/deploy-reporter.js';
import { createForgeClients, forgeFor } from '../src/forge/forge-for.js';
import { resolveAppCredentials } from '../src/forge/github-app/app-credentials.js';
import { storeInstallations } from '../src/forge/github-app/installations.js';
import { registerContainerGauges } from '../src/metrics/container-gauges.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { createNotifier } from '../src/notify/notifier.js';
import { findOrphans } from '../src/ops/orphans.js';
import { createStageOps } from '../src/ops/stage-ops.js';
import { createPoller } from '../src/registry/poller.js';
import { createPreviews } from '../src/previews/previews.js';
import { listImageTags } from '../src/registry/image-tags.js';
import { createRegistryClient } from '../src/registry/registry-client.js';
import { APP_VERSION } from './package-root.js';
import { fillGeneratedCredentials, type FilledCredentials } from './quickstart-credentials.js';

export interface ServerOptions {
  configPath: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock?: Clock;
  /** Overrides global.listen.port (tests pass 0 for a free port). */
  port?: number;
  /** Overrides global.router.port (serve --router-port; tests pass a free port). */
  routerPort?: number;
  /** Replaces the Docker adapter (tests). */
  docker?: DockerEngine;
  /** Overrides the instance id kept in the database (tests label their objects with it). */
  instanceId?: string;
  /** Drills only: `pause-after:<phase>` stops every deploy after that phase (src/deploy/failpoint.ts). */
  failpoint?: string;
}

export interface RunningServer {
  /** http://host:port the app listens on. */
  url: string;
  loaded: LoadedConfig;
  store: Store;
  /** Graceful shutdown: no new deploys, running ones finish or roll back, then close. */
  close(): Promise<void>;
}

/**
 * The composition root: reads the config, builds every adapter and hands them to the deploy
 * engine and the HTTP app. Nothing else in the code base constructs an adapter.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  // One read and parse of the file: the credentials the zero-set-up start generates are filled
  // in before the start-up checks look for every variable the config names.
  let credentials: FilledCredentials = { env: options.env, generated: [], fromFile: [] };
  const loaded = withRouterPort(
    loadConfig(options.configPath, options.env, {
      requireSecrets: true,
      fillEnv: (parsed, env) => (credentials = fillGeneratedCredentials(parsed, env, logger)).env,
    }),
    options.routerPort,
  );
  const { config } = loaded;
  // Settings resolved once, here: the deploy engine below gets values and clients, never the file.
  const settings = resolveDeploySettings(loaded);
  // GitHub App keys are read once, here, so a wrong one stops the start naming the key's file or variable.
  const apps = resolveAppCredentials(loaded);
  for (const warning of configWarnings(config, loaded.dir)) {
    logger.warn('config warning', { path: warning.path, message: warning.message });
  }

  const dataDir = resolve(loaded.dir, config.global.data_dir);
  const store = openSqliteStore(join(dataDir, 'docker-watcher.db'));
  const instanceId = options.instanceId ?? store.getState('instance-id') ?? newInstanceId(store);

  // Containers on the engine, plus services of its Swarm for projects with runtime: swarm.
  const docker =
    options.docker ??
    createRuntime({
      settings,
      socketPath: config.global.docker.socket,
      networkLabels: { [LABEL_INSTANCE]: instanceId },
    });
  try {
    await docker.ping(AbortSignal.timeout(10_000));
  } catch (error) {
    store.close();
    throw new Error(
      `cannot reach the Docker engine at ${config.global.docker.socket}: ${String(error instanceof Error ? error.message : error)}. ` +
        'Start Docker or set global.docker.socket.',
      { cause: error },
    );
  }
  try {
    await assertSwarmManager(config.global.docker.socket, swarmProjects(settings));
  } catch (error) {
    store.close();
    throw error;
  }

  const reach = await resolveReach(config.global.docker.reach, docker);
  // Loaded only when configured, like the NPM adapter: an app without it never loads http-proxy-3.
  const builtin = config.global.router
    ? await (
        await import('../src/proxy/builtin/start-builtin-router.js')
      )
        .startBuiltinRouter({
          config: config.global.router,
          reach,
          publishHost: settings.engine.publishHost,
          trustedProxies: config.global.trusted_proxies,
          stages: settings.stages,
          logger: logger.child({ component: 'router' }),
        })
        .catch((error: unknown) => {
          store.close();
          throw error;
        })
    : undefined;
  // Loaded only when configured: the NPM adapter brings undici, which an app without NPM skips.
  // With the built-in router, NPM is used only in front of it (global.npm.forward: router).
  const npmRouter =
    config.global.npm && (!builtin || config.global.npm.forward === 'router')
      ? (await import('../src/proxy/npm/npm-router.js')).createNpmRouter({
          ...(await import('../src/proxy/npm/npm-client-from-config.js')).npmClientFromConfig(
            loaded,
            clock,
            logger.child({ component: 'npm' }),
          ),
          instanceId,
          clock,
          logger: logger.child({ component: 'npm' }),
        })
      : undefined;
  // global.npm.forward: router: NPM forwards each stage domain to the built-in router, written once.
  const front =
    builtin && npmRouter && config.global.npm?.forward === 'router'
      ? (await import('../src/proxy/npm/npm-front.js')).createNpmFrontedRouter({
          builtin: builtin.router,
          npm: npmRouter,
          routerPort: Number(new URL(builtin.url).port),
          logger: logger.child({ component: 'npm' }),
        })
      : undefined;
  const router: ProxyRouter = front ?? builtin?.router ?? npmRouter ?? noProxyRouter;
  const afterPhase =
    options.failpoint === undefined ? {} : { afterPhase: failpointHook(options.failpoint, logger) };
  // Observers follow every deploy; each sends in the background and never slows a deploy down.
  const metrics = createMetrics({ store, logger });
  registerContainerGauges(metrics, { docker, store, logger: logger.child({ component: 'metrics' }) });
  // One client per configured forge, shared by the reporter and the comment commands.
  const installations = storeInstallations(store);
  const forges = createForgeClients(loaded, {
    logger: logger.child({ component: 'forge' }),
    apps,
    installations,
  });
  const reporter = createDeployReporter({
    loaded,
    forgeFor: (project, source) => forgeFor(forges, project, source),
    store,
    clock,
    logger: logger.child({ component: 'forge' }),
  });
  const notifier = createNotifier({ loaded, clock, logger: logger.child({ component: 'notify' }) });
  const changes = createChangeFeed();
  // One queue per stage, shared: deploys, teardowns and the route keeper's repairs take turns.
  const stages = new StageQueue();
  const routes = createRouteKeeper(
    { settings, docker, store, router, clock, logger, instanceId, stages },
    { checkIntervalMs: (config.global.npm?.route_check_seconds ?? 0) * 1000 },
  );
  const observers = [metrics, reporter, notifier, routes, changes, ...(builtin ? [builtin.observer] : [])];
  // Sends what the last run left in the outbox, and what reconcile reports below.
  reporter.start();
  const deployer = createDeployer({
    settings,
    docker,
    store,
    router,
    clock,
    logger,
    instanceId,
    reach,
    observers,
    stages,
    ...afterPhase,
  });
  const previews = createPreviews({
    config,
    store,
    deployer: deployer,
    clock,
    logger: logger.child({ component: 'previews' }),
    forgeFor: (project, source) => forgeFor(forges, project, source),
    onRemoved: (preview) => reporter.previewRemoved(preview),
  });
  // Reconcile lists the deploys a crash left before anything awaits, so requests that arrive
  // while it repairs (stopping a container can take its stop timeout) are queued, not undone;
  // the deploys it leaves queued or tries again run once it is done.
  if (builtin) {
    // The table starts empty: the live containers get their traffic at once (held requests too),
    // before reconcile, which corrects the table where a crash left a swap half-way.
    const live = await liveRouteTargets({ settings, docker, store, logger });
    await Promise.all(live.map((target) => builtin.router.switchTo(target)));
  }
  let startup: StartupState = 'reconciling';
  const reconciled = deployer.recover().then(
    (summary) => {
      logger.info('reconciled', { ...summary });
      startup = 'ready';
    },
    (error: unknown) => {
      logger.error('reconcile failed; deploys go ahead, check the stages', { error: errorMessage(error) });
      startup = 'reconcile-failed';
    },
  );

  const registry = createRegistryClient({ clock, logger: logger.child({ component: 'registry' }) });
  const poller = createPoller({
    loaded,
    registry,
    store,
    deployer: deployer,
    clock,
    logger: logger.child({ component: 'poller' }),
    onPollError: (project) => metrics.incPollerError(project),
  });
  metrics.registerGauge(
    'docker_watcher_poller_consecutive_failures',
    'Failed registry polls in a row, per project',
    () => poller.status().map((s) => ({ labels: { project: s.project }, value: s.consecutiveFailures })),
  );

  const tasks = createBackgroundTasks();
  const secrets = resolveRequestSecrets(loaded);
  // One request log for the app and the signature gate in front of it: one refusal burst.
  const requestLog = createRequestLog(logger, () => clock.now());
  const app = createApp({
    loaded,
    secrets,
    requestLog,
    deployer: deployer,
    store,
    clock,
    logger,
    version: { name: 'docker-watcher', version: APP_VERSION },
    metrics,
    ops: createStageOps({ config, docker, store, instanceId }),
    tasks,
    forgeFor: (project) => forgeFor(forges, project),
    installations,
    postReply: (project, pr, commentId, body) => reporter.reply(project, pr, commentId, body),
    changes,
    imageTags: (project, signal) => listImageTags({ loaded, registry }, project, signal ? { signal } : {}),
    onRegistryPush: (push) => tasks.add(poller.onRegistryPush(push)),
    startup: () => startup,
    previews,
    certificateOf: (domain) => router.certificateStatus?.(domain),
    ...loginHint(credentials, config.global.api_token_env),
  });
  const { host, port } = config.global.listen;
  const listenPort = options.port ?? port;
  // Health probes and refused signatures are answered in front of Hono; its node adapter is
  // loaded on the first request it serves (app/http/node-listener.ts).
  const healthDeps = { store, startup: () => startup, logger };
  const listener = nodeFront(
    {
      routes: [DEPLOY_REQUEST_ROUTE],
      secrets,
      clock,
      logger,
      requestLog,
      health: () => healthAnswer(healthDeps),
    },
    async () => (await import('@hono/node-server')).getRequestListener(app.fetch),
  );
  const server = await new Promise<Server>((resolveListen, rejectListen) => {
    const s = nodeHttp.createServer(listener);
    s.once('error', rejectListen);
    s.listen(listenPort, host, () => resolveListen(s));
  }).catch(async (error: unknown) => {
    // Reconcile began before the listen: a repair cut off half-way is what the next start would
    // have to repair, so it ends first; then nothing is left running or open.
    await reconciled;
    await deployer.shutdown(0);
    await builtin?.close();
    await reporter.stop(0);
    await registry.close();
    store.close();
    throw new Error(listenFailure(error, host, listenPort));
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${boundPort}`;
  logger.info('listening', {
    url,
    config: loaded.file,
    projects: Object.keys(config.projects).length,
    proxy: front
      ? 'nginx-proxy-manager -> built-in'
      : builtin
        ? 'built-in'
        : config.global.npm
          ? 'nginx-proxy-manager'
          : 'none',
  });
  const startupCheck = new AbortController();
  const started = reconciled.then(async () => {
    await findOrphans({ config, docker, instanceId, logger }).catch((error: unknown) =>
      logger.warn('could not look for orphaned containers', { error: errorMessage(error) }),
    );
    // In the background: a stage whose host could not be written gets it at its next switch.
    void front?.ensureAll(settings.stages);
    if (builtin) {
      // The table starts empty: fill it from every live version (forced: the keeper already
      // counts a deploy reconcile completed as routed) before saying "no live version".
      // The live routes were loaded before reconcile, which corrected them: ready now. The check
      // of every route runs in each stage's turn, so behind a running deploy, not before ready
      // (nor before a SIGTERM is handled: close() aborts it).
      builtin.markReady();
      void routes.checkAll(startupCheck.signal);
      logger.info('router listening', { url: builtin.url });
    }
    routes.start();
    poller.start();
    // Start-up cleanup: TTLs, and previews whose PR closed while the app was down.
    previews.start();
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    loaded,
    store,
    close: () =>
      (closing ??= (async () => {
        startupCheck.abort();
        await started;
        await poller.stop();
        await previews.stop();
        await routes.stop();
        const running = store.listDeploys({ status: ['running'], limit: 20 });
        if (running.length > 0) {
          const which = running.map((d) => `${d.project}/${d.stage} ${d.intent.tag} (${d.id})`).join(', ');
          logger.info(
            `waiting up to ${config.global.shutdown_timeout_seconds} s for ${running.length} running deploy(s) to finish: ${which}; a second signal exits at once`,
          );
        }
        await deployer.shutdown(config.global.shutdown_timeout_seconds * 1000);
        // Dashboards following the change feed would otherwise hold the server open.
        changes.close();
        await new Promise<void>((done) => server.close(() => done()));
        await builtin?.close();
        // Replies and notifications in flight get a short grace, then are dropped; forge reports
        // too, but those not sent stay in the outbox and go out after the next start.
        await Promise.all([
          settleWithin(Promise.all([tasks.idle(), notifier.idle()]), FLUSH_GRACE_MS),
          reporter.stop(FLUSH_GRACE_MS),
        ]);
        await settleWithin(notifier.close(), FLUSH_GRACE_MS);
        await registry.close();
        store.close();
        logger.info('stopped');
      })()),
  };
}

/** Why the app cannot listen, and what to do, e.g. another process already on the port. */
function listenFailure(error: unknown, host: string, port: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return `cannot listen on ${where}: another process already listens there; stop it, or choose another port with global.listen.port or serve --port`;
  if (code === 'EACCES')
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose a port of 1024 or above with global.listen.port or serve --port`;
  if (code === 'EADDRNOTAVAIL')
    return `cannot listen on ${where}: this machine has no such address; fix global.listen.host (127.0.0.1, or 0.0.0.0 for every address)`;
  return `cannot listen on ${where}: ${errorMessage(error)}`;
}

/** The config with global.router.port replaced (when it has a router and a port was given). */
function withRouterPort(loaded: LoadedConfig, routerPort: number | undefined): LoadedConfig {
  const { router } = loaded.config.global;
  if (routerPort === undefined || !router) return loaded;
  const global = { ...loaded.config.global, router: { ...router, port: routerPort } };
  return { ...loaded, config: { ...loaded.config, global } };
}

/** Tells the login page where a token the app generated is kept (nothing when the token was set). */
function loginHint(credentials: FilledCredentials, tokenEnv: string): { loginHint?: string } {
  if (!credentials.file || !credentials.fromFile.includes(tokenEnv)) return {};
  return {
    loginHint:
      `No ${tokenEnv} was set, so the app generated a token: it is "${tokenEnv}" in ${credentials.file} ` +
      '(or run `npx docker-watcher token`). Set the variable to choose your own.',
  };
}

/**
 * `auto` means `network` only when the app runs in a container of this very Docker engine (the
 * compose install, on the shared network); on the host, or in a container the engine does not
 * know (a CI sandbox), containers are reached through their published ports.
 */
async function resolveReach(configured: Reach | 'auto', docker: DockerEngine): Promise<Reach> {
  if (configured !== 'auto') return configured;
  if (detectReach('auto') === 'host') return 'host';
  const self = await docker.inspectContainer(hostname()).catch(() => undefined);
  return self ? 'network' : 'host';
}

/** How long shutdown waits for forge reports, replies and notifications still being sent. */
const FLUSH_GRACE_MS = 5_000;

async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}

function newInstanceId(store: Store): string {
  const id = randomUUID();
  store.setState('instance-id', id);
  return id;
}
