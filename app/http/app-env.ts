import type { Context } from 'hono';
import type { InstallationRegistry } from '../../src/forge/github-app/installations.js';
import type { LoadedConfig } from '../../src/config/loaded-config.js';
import type { RequestSecrets } from '../../src/config/request-secrets.js';
import type { Clock } from '../../src/core/clock.js';
import type { ImageTagList } from '../../src/registry/image-tags.js';
import type { ChangeFeed } from '../../src/deploy/change-feed.js';
import type { Deployer } from '../../src/deploy/deployer.js';
import type { LogFields, Logger } from '../../src/log/logger.js';
import type { Metrics } from '../../src/metrics/metrics.js';
import type { CertificateStatus } from '../../src/proxy/router.js';
import type { Store } from '../../src/store/store.js';
import type { StageOps } from '../../src/ops/stage-ops.js';
import type { ProjectForge } from '../../src/forge/forge-for.js';
import type { Previews } from '../../src/previews/previews.js';
import type { BackgroundTasks } from './background-tasks.js';
import type { LoginThrottle } from './login-throttle.js';
import type { RequestLog } from './request-log.js';
import type { RegistryPush } from './webhook-payloads.js';

/** Everything the HTTP app uses, passed in by the composition root (no singletons). */
export interface AppDeps {
  loaded: LoadedConfig;
  /** The API token, signing and webhook secrets, resolved once (default: from `loaded`). */
  secrets: RequestSecrets;
  /** The deployer (src/deploy/deployer.ts in the app, a fake in tests). */
  deployer: Deployer;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Shown by GET /api/version; default { version: 'unknown' }. */
  version?: { name?: string; version: string; commit?: string };
  /** Logs, stats and orphans of running stages (src/ops/stage-ops.ts); without it those routes answer 503. */
  ops?: StageOps;
  /** Interval of SSE heartbeat comments; default 15 s. */
  heartbeatMs?: number;
  /** How long the follow token in a 202 answer stays valid; default 2 h. */
  followTokenTtlMs?: number;
  /** Served by GET /metrics (src/metrics/metrics.ts; scrape() when given); without it the route is not mounted. */
  metrics?: Pick<Metrics, 'render'> & Partial<Pick<Metrics, 'scrape'>>;
  /** A project's forge client for comment commands (the root's one set of clients; default: clients of `loaded`). */
  forgeFor: (project: string) => ProjectForge | undefined;
  /** Posts a command reply durably (the forge report outbox); default: at once through the forge client. */
  postReply?: (project: string, pr: number, commentId: number, body: string) => void;
  /** Where the GitHub Apps are installed (kept from installation webhooks); without it those events are ignored. */
  installations?: InstallationRegistry;
  /** Registry push webhooks (GitHub registry_package, Gitea package), called after verification. */
  onRegistryPush?: (push: RegistryPush) => void;
  /** The tags of a project's image in its registry (src/registry/image-tags.ts); without it GET .../tags answers 503. */
  imageTags?: (project: string, signal?: AbortSignal) => Promise<ImageTagList>;
  /** Stage changes for the dashboard's live pages (GET /api/changes); without it that route answers 503. */
  changes?: Pick<ChangeFeed, 'subscribe' | 'closed'>;
  /** Where webhook work that outlives the request is tracked; default: a set private to the app. */
  tasks?: BackgroundTasks;
  /** Wrong API tokens per client address, shared by bearer auth and the dashboard login. */
  throttle: LoginThrottle;
  /** The client address of a request (global.trusted_proxies decides when X-Forwarded-For counts). */
  clientOf: (c: Context) => string;
  /** The certificate the proxy asked for a domain (NPM with certificate: request), for the dashboard. */
  certificateOf?: (domain: string) => CertificateStatus | undefined;
  /** Where start-up stands: deploys wait while reconcile repairs what a crash left; default ready. */
  startup?: () => StartupState;
  /** Previews per pull request (src/previews/); without it CI requests of a PR deploy as before. */
  previews?: Previews;
  /** Shown on the login page: where to find a token the app generated (the quickstart). */
  loginHint?: string;
  /** The request log, when the composition root shares it with the signature gate; else the app's own. */
  requestLog?: RequestLog;
}

/** What createApp takes: AppDeps, with the throttle, client address, forges and secrets filled in when absent. */
export type AppOptions = Omit<AppDeps, 'throttle' | 'clientOf' | 'forgeFor' | 'secrets'> &
  Partial<Pick<AppDeps, 'throttle' | 'clientOf' | 'forgeFor' | 'secrets'>>;

/** Start-up as /healthz reports it: reconcile still running, done, or failed (logged). */
export type StartupState = 'reconciling' | 'ready' | 'reconcile-failed';

/** Hono environment: routes add the deploy id, project and stage to the request's log line. */
export interface AppEnv {
  Variables: { logFields: LogFields; actionForm?: ActionFormEcho };
}

/** A dashboard action's form, kept so that a refusal can show it again filled in. */
export interface ActionFormEcho {
  action: string;
  /** The fields a person typed (tag, digest, stage); never the CSRF token. */
  fields: Record<string, string>;
  /** The dashboard page the form was sent from. */
  back?: string;
}
