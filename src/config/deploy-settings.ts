import path from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { cpusToNanoCpus, healthConfig, parseMemory, resolveVolume } from '../deploy/plan.js';
import { pullCredentials } from '../deploy/pull-credentials.js';
import type { RegistryCredentials } from '../docker/engine.js';
import {
  resolveSwarmSettings,
  type RuntimeKind,
  type SwarmServiceSettings,
} from '../docker/swarm/swarm-settings.js';
import { previewStageConfig } from '../previews/preview-stage.js';
import { findStage, hasStage } from './config-lookup.js';
import { stageDomain } from './domains.js';
import type { LoadedConfig } from './loaded-config.js';
import type { Config, HealthConfig, ProjectConfig } from './schema.js';

/**
 * The deploy engine's settings, resolved once at the composition root from the config and the
 * environment (secrets included). Below the root nothing reads the config file or an env var:
 * the engine gets these values, and a test builds them without any file.
 */

/** How a stage replaces its live version (see README "Strategies"). */
export type DeployStrategy = 'blue-green' | 'recreate';

/** Everything one stage's deploys need, with project values over the global ones. */
export interface StageSettings {
  project: string;
  stage: string;
  /** Image repository without tag or digest. */
  image: string;
  strategy: DeployStrategy;
  /** The domain the stage is served on. */
  domain: string;
  /** Port the app listens on inside the container. */
  port: number;
  /** HTTP path of the health check. */
  healthPath: string;
  health: HealthConfig;
  pullPolicy: ProjectConfig['pull_policy'];
  /** Registry login for pulls (secret resolved), when the project's registry has one. */
  pullCredentials?: RegistryCredentials;
  /** Why the registry login cannot be used (a missing value): a pull then fails with it. */
  pullCredentialsProblem?: string;
  /** Project env with the stage's env over it (env_file goes under both, read per deploy). */
  env: Record<string, string>;
  /** Absolute path of the project's env_file. */
  envFile?: string;
  /** host:container[:ro], relative host paths resolved against the config's folder. */
  volumes: string[];
  memoryBytes?: number;
  nanoCpus?: number;
  keepVersions: number;
  /** Containers on the engine, or services of its Swarm (the deploy itself is the same). */
  runtime: RuntimeKind;
  /** Service settings when runtime is swarm. */
  swarm?: SwarmServiceSettings;
}

/** The host-wide settings of the deploy engine. */
export interface EngineSettings {
  network: string;
  publishHost: string;
  stopTimeoutSeconds: number;
  drainSeconds: number;
  log: { driver: string; options: Record<string, string> };
  /** global.docker.reach as configured (`auto` is resolved by the root against the engine). */
  reach: 'auto' | 'host' | 'network';
  /** Scheme of the public URL behind the proxy; undefined without one (the published port is the URL). */
  proxyScheme?: 'http' | 'https';
  /** Port of the public URL when it is not the scheme's default (the built-in router on 8081). */
  proxyPort?: number;
}

export interface DeploySettings {
  engine: EngineSettings;
  /** The settings of a configured stage; NotFoundError (naming the known ones) otherwise. */
  stage(project: string, stage: string): StageSettings;
  /** Whether the stage is in the config (own properties only). */
  hasStage(project: string, stage: string): boolean;
  /** Every configured stage, in config order (preview stages, which come and go, are not in it). */
  stages: readonly StageSettings[];
  /**
   * The validated config without its secrets, for the stage policy (deploy-policy.ts: approval,
   * promotion); the swap itself never sees it.
   */
  config: Config;
}

/** The env var that tells a preview its public URL (README "Previews"). */
export const PREVIEW_URL_ENV = 'DOCKER_WATCHER_URL';

function stageSettings(
  loaded: LoadedConfig,
  project: string,
  stage: string,
  /** Where stages are served publicly (behind NPM or the built-in router); none with published ports. */
  proxy: Pick<EngineSettings, 'proxyScheme' | 'proxyPort'> = {},
): StageSettings {
  const { config, dir, secrets } = loaded;
  const { projectConfig, stageConfig } = findStage(config, project, stage);
  // A preview stage (pr-<n>) takes its limits and env from `previews:` (its stageConfig holds
  // the env of `from` and the previews' own), never the env of any other stage.
  const preview = previewStageConfig(config, project, stage) !== undefined;
  const resources = (preview ? projectConfig.previews?.resources : undefined) ?? projectConfig.resources;
  const memory = resources?.memory ?? config.global.resources.memory;
  const cpus = resources?.cpus ?? config.global.resources.cpus;
  const domain = stageDomain(config, project, stage);
  // Behind a proxy the preview's URL is known before it starts; with published ports it is not.
  const url = proxy.proxyScheme
    ? `${proxy.proxyScheme}://${domain}${proxy.proxyPort === undefined ? '' : `:${proxy.proxyPort}`}`
    : undefined;
  const urlEnv = preview && url ? { [PREVIEW_URL_ENV]: url } : {};
  let credentials: { pullCredentials?: RegistryCredentials; pullCredentialsProblem?: string } = {};
  try {
    const found = pullCredentials(config, secrets, project);
    if (found) credentials = { pullCredentials: found };
  } catch (error) {
    credentials = { pullCredentialsProblem: (error as Error).message };
  }
  return {
    project,
    stage,
    image: projectConfig.image,
    strategy: stageConfig.strategy,
    domain,
    port: projectConfig.port,
    healthPath: projectConfig.healthcheck,
    health: healthConfig(config, project),
    pullPolicy: projectConfig.pull_policy,
    ...credentials,
    env: { ...projectConfig.env, ...stageConfig.env, ...urlEnv },
    ...(projectConfig.env_file === undefined ? {} : { envFile: path.resolve(dir, projectConfig.env_file) }),
    volumes: projectConfig.volumes.map((v) => resolveVolume(v, dir)),
    ...(memory === undefined ? {} : { memoryBytes: parseMemory(memory) }),
    ...(cpus === undefined ? {} : { nanoCpus: cpusToNanoCpus(cpus) }),
    keepVersions: projectConfig.keep_versions ?? config.global.keep_versions,
    ...swarmSettings(config, projectConfig),
  };
}

function swarmSettings(
  config: Config,
  projectConfig: ProjectConfig,
): Pick<StageSettings, 'runtime' | 'swarm'> {
  const runtime = projectConfig.runtime ?? config.global.runtime;
  if (runtime !== 'swarm') return { runtime };
  return {
    runtime,
    swarm: resolveSwarmSettings(config.global.swarm, projectConfig.swarm, config.global.network),
  };
}

/** The engine's settings from a loaded config: called once, by the composition root (and tests). */
export function resolveDeploySettings(loaded: LoadedConfig): DeploySettings {
  const { config } = loaded;
  const { docker, npm } = config.global;
  const proxy: Pick<EngineSettings, 'proxyScheme' | 'proxyPort'> = npm
    ? { proxyScheme: npm.certificate === 'none' ? 'http' : 'https' }
    : routerUrl(config.global.router);
  const stages = Object.entries(config.projects).flatMap(([project, projectConfig]) =>
    Object.keys(projectConfig.stages).map((stage) => stageSettings(loaded, project, stage)),
  );
  const byKey = new Map(stages.map((s) => [`${s.project}\u0000${s.stage}`, s]));
  return {
    engine: {
      network: config.global.network,
      publishHost: docker.publish_host,
      stopTimeoutSeconds: docker.stop_timeout_seconds,
      drainSeconds: docker.drain_seconds,
      log: { driver: config.global.log.driver, options: { ...config.global.log.options } },
      reach: docker.reach,
      ...proxy,
    },
    stage(project, stage) {
      const found = hasStage(config, project, stage) ? byKey.get(`${project}\u0000${stage}`) : undefined;
      if (found) return found;
      // Preview stages come and go: derived from `previews:` when first asked for, then kept.
      if (previewStageConfig(config, project, stage)) {
        const preview = stageSettings(loaded, project, stage, proxy);
        byKey.set(`${project}\u0000${stage}`, preview);
        return preview;
      }
      findStage(config, project, stage); // throws the NotFoundError naming what is configured
      throw new NotFoundError(`unknown stage "${stage}" of project "${project}"`);
    },
    hasStage: (project, stage) => hasStage(config, project, stage),
    stages,
    config,
  };
}

/** The scheme and port of stage URLs served by the built-in router (none without it). */
function routerUrl(router: Config['global']['router']): Pick<EngineSettings, 'proxyScheme' | 'proxyPort'> {
  if (!router) return {};
  const port = router.public_port ?? router.port;
  const defaultPort = router.public_scheme === 'https' ? 443 : 80;
  return { proxyScheme: router.public_scheme, ...(port === defaultPort ? {} : { proxyPort: port }) };
}
