import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DeployStrategy, EngineSettings, StageSettings } from '../config/deploy-settings.js';
import type { Config, HealthConfig, ProjectConfig } from '../config/schema.js';
import { PHASES, type DeployIntent, type LiveVersion } from '../core/deploy-types.js';
import { ValidationError } from '../core/errors.js';
import {
  LABEL_DEPLOY,
  LABEL_INSTANCE,
  LABEL_PROJECT,
  LABEL_STAGE,
  LABEL_TAG,
  type ContainerSpec,
  type RegistryCredentials,
} from '../docker/engine.js';
import type { Reach } from './probe-url.js';
import type { StageRoute } from './route-target.js';

/**
 * Pure planning of a deploy: `deployPlan` computes from the stage's settings, the intent and
 * what is live everything a swap does (names, labels, the container spec, image references,
 * pull decisions, the route, the health probe, timeouts, the phase order of the strategy).
 * Nothing here touches Docker, the network or the file system.
 */

/** Longest container name we generate: a DNS label, since NPM reaches containers by name. */
export const MAX_NAME_LENGTH = 63;

function sanitize(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-');
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Cuts a name to MAX_NAME_LENGTH, keeping it unique with a hash of the full name. */
function bound(name: string): string {
  if (name.length <= MAX_NAME_LENGTH) return name;
  return `${name.slice(0, MAX_NAME_LENGTH - 9).replace(/[-_.]+$/, '')}-${shortHash(name)}`;
}

/** dw-{project}-{stage}-{tag}: lower case, [a-z0-9_.-] only, at most 63 characters. */
export function containerName(project: string, stage: string, tag: string): string {
  return bound(sanitize(`dw-${project}-${stage}-${tag}`).replace(/[-_.]+$/, ''));
}

/** The part of a deploy id that tells deploys apart: its last 6 letters or digits. */
export function shortDeployId(deployId: string): string {
  return deployId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(-6);
}

/**
 * The name of a deploy's new container. A redeploy of the same tag finds the base name taken by
 * the running container, which the proxy may forward to BY NAME: renaming it would cut live
 * traffic. So the old one keeps its name and the new one gets `<base>-<short deploy id>`
 * (deterministic per deploy, so a crash and a retry pick the same name).
 */
export function newContainerName(baseName: string, deployId: string, taken: ReadonlySet<string>): string {
  if (!taken.has(baseName)) return baseName;
  const suffix = `-${shortDeployId(deployId)}`;
  return `${baseName.slice(0, MAX_NAME_LENGTH - suffix.length).replace(/[-_.]+$/, '')}${suffix}`;
}

/** repo@digest when the digest is known, else repo:tag. */
export function imageReference(image: string, tag: string, digest?: string): string {
  return digest ? `${image}@${digest}` : `${image}:${tag}`;
}

/** The digest of `image` among an image's repo digests (repo@sha256:...), if any. */
export function digestFor(image: string, repoDigests: readonly string[]): string | undefined {
  const entry = repoDigests.find((d) => d.startsWith(`${image}@`));
  return entry?.slice(image.length + 1);
}

export type PullDecision = 'pull' | 'skip' | 'missing';

/**
 * Whether to pull: `always` pulls a tag every time, but a digest names immutable content, so a
 * deploy by digest never pulls what is present. `never` with nothing present is 'missing'.
 */
export function pullDecision(
  policy: ProjectConfig['pull_policy'],
  byDigest: boolean,
  present: boolean,
): PullDecision {
  if (present && (byDigest || policy !== 'always')) return 'skip';
  if (policy === 'never') return present ? 'skip' : 'missing';
  return 'pull';
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "512m", "1g", "1.5GB", "1024" -> bytes. */
export function parseMemory(size: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(size.trim());
  if (!match) throw new ValidationError(`memory "${size}" is not a size; use e.g. 512m or 1g`);
  return Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1));
}

/** 0.5 cores -> 500000000 NanoCpus. */
export function cpusToNanoCpus(cpus: number): number {
  return Math.round(cpus * 1e9);
}

/** host:container[:ro] with a relative host path resolved against the config dir; named volumes stay. */
export function resolveVolume(volume: string, dir: string): string {
  const [host = '', ...rest] = volume.split(':');
  const isPath = host.startsWith('/') || host.startsWith('.') || host.includes('/');
  if (!isPath || rest.length === 0) return volume;
  return [path.resolve(dir, host), ...rest].join(':');
}

/** The project's health settings over the global ones (keys the project leaves out inherit). */
export function healthConfig(config: Config, project: string): HealthConfig {
  const own = Object.entries(config.projects[project]?.health ?? {}).filter(
    ([, value]) => value !== undefined,
  );
  return { ...config.global.health, ...(Object.fromEntries(own) as Partial<HealthConfig>) };
}

/** A phase of a swap (the others, rollback and teardown, are not steps of a plan). */
export type SwapPhase = (typeof PHASES)[number];

/**
 * The order of the phases per strategy. blue-green (kamal-proxy's order): the new container is
 * healthy and serving before the old one stops. recreate: the old one stops first, so the two
 * never run at once (one writer of a volume); the site is down from that stop to the switch.
 */
export const STRATEGY_PHASES: Record<DeployStrategy, readonly SwapPhase[]> = {
  'blue-green': PHASES,
  recreate: ['resolve', 'pull', 'create', 'stop_old', 'start', 'health', 'switch', 'persist'],
};

/** Everything of the new container except its name, image and env_file's values. */
export interface ContainerPlan {
  /** dw-{project}-{stage}-{tag}, bounded. */
  baseName: string;
  /** The name when the base name is taken (a same-tag redeploy: the live one keeps it). */
  alternateName: string;
  labels: Record<string, string>;
  /** Project env with the stage's env over it; the env_file goes under both. */
  env: Record<string, string>;
  /** Absolute path of the env_file, read when the container is created. */
  envFile?: string;
  spec: Omit<ContainerSpec, 'name' | 'image' | 'env' | 'labels'>;
}

/** Everything a swap needs, computed before it starts; the steps never see the config. */
export interface DeployPlan {
  deployId: string;
  project: string;
  stage: string;
  tag: string;
  strategy: DeployStrategy;
  phases: readonly SwapPhase[];
  image: {
    /** Repository without tag or digest. */
    repository: string;
    /** What is asked for: repo@digest or repo:tag. */
    requested: string;
    /** The digest the intent pins, if any. */
    digest?: string;
  };
  pull: {
    /** What to do when the image is present, and when it is not. */
    ifPresent: PullDecision;
    ifMissing: PullDecision;
    credentials?: RegistryCredentials;
    /** Why the registry login cannot be used: a pull fails with this. */
    credentialsProblem?: string;
  };
  container: ContainerPlan;
  route: StageRoute;
  /** How the health probe reaches the container (see probeUrl). */
  probe: { reach: Reach; port: number; path: string; publishHost: string };
  health: HealthConfig;
  /** Pause after the switch before the old container stops; 0 when nothing was live. */
  drainMs: number;
  stopTimeoutSeconds: number;
  keepVersions: number;
  /** How people reach the stage (see stageUrl). */
  publicUrl: { scheme?: 'http' | 'https'; port?: number; domain: string; publishHost: string };
  /** The live version when the deploy starts: what a failure falls back to. */
  previous?: LiveVersion;
  /** Rollbacks: the earlier deploy whose version is restored (its kept container may be reused). */
  rollbackOf?: string;
}

export interface PlanInput {
  deployId: string;
  intent: DeployIntent;
  stage: StageSettings;
  engine: EngineSettings;
  /** This docker-watcher's id, put on every container it creates. */
  instanceId: string;
  /** global.docker.reach with `auto` resolved. */
  reach: Reach;
  live: LiveVersion | undefined;
}

/** The plan of one deploy: a pure function of its inputs. */
export function deployPlan(input: PlanInput): DeployPlan {
  const { deployId, intent, stage, engine, instanceId, reach, live } = input;
  const baseName = containerName(intent.project, intent.stage, intent.tag);
  const byDigest = intent.digest !== undefined;
  return {
    deployId,
    project: intent.project,
    stage: intent.stage,
    tag: intent.tag,
    strategy: stage.strategy,
    phases: STRATEGY_PHASES[stage.strategy],
    image: {
      repository: intent.image,
      requested: imageReference(intent.image, intent.tag, intent.digest),
      ...(intent.digest === undefined ? {} : { digest: intent.digest }),
    },
    pull: {
      ifPresent: pullDecision(stage.pullPolicy, byDigest, true),
      ifMissing: pullDecision(stage.pullPolicy, byDigest, false),
      ...(stage.pullCredentials ? { credentials: stage.pullCredentials } : {}),
      ...(stage.pullCredentialsProblem === undefined
        ? {}
        : { credentialsProblem: stage.pullCredentialsProblem }),
    },
    container: {
      baseName,
      alternateName: newContainerName(baseName, deployId, new Set([baseName])),
      labels: {
        [LABEL_PROJECT]: intent.project,
        [LABEL_STAGE]: intent.stage,
        [LABEL_INSTANCE]: instanceId,
        [LABEL_DEPLOY]: deployId,
        [LABEL_TAG]: intent.tag,
      },
      env: { ...stage.env },
      ...(stage.envFile === undefined ? {} : { envFile: stage.envFile }),
      spec: {
        volumes: [...stage.volumes],
        // A Swarm's services join its attachable overlay network instead of the bridge.
        network: stage.swarm?.network ?? engine.network,
        port: stage.port,
        publishHost: engine.publishHost,
        restartPolicy: 'unless-stopped',
        ...(stage.memoryBytes === undefined ? {} : { memoryBytes: stage.memoryBytes }),
        ...(stage.nanoCpus === undefined ? {} : { nanoCpus: stage.nanoCpus }),
        log: { driver: engine.log.driver, options: { ...engine.log.options } },
        stopTimeoutSeconds: engine.stopTimeoutSeconds,
      },
    },
    route: {
      project: stage.project,
      stage: stage.stage,
      domain: stage.domain,
      port: stage.port,
      healthPath: stage.healthPath,
    },
    probe: { reach, port: stage.port, path: stage.healthPath, publishHost: engine.publishHost },
    health: { ...stage.health },
    drainMs: live ? engine.drainSeconds * 1000 : 0,
    stopTimeoutSeconds: engine.stopTimeoutSeconds,
    keepVersions: stage.keepVersions,
    publicUrl: {
      ...(engine.proxyScheme === undefined ? {} : { scheme: engine.proxyScheme }),
      ...(engine.proxyPort === undefined ? {} : { port: engine.proxyPort }),
      domain: stage.domain,
      publishHost: engine.publishHost,
    },
    ...(live ? { previous: live } : {}),
    ...(intent.rollbackOf === undefined ? {} : { rollbackOf: intent.rollbackOf }),
  };
}

/** Whether to pull, given whether the requested image is present. */
export function pullFor(plan: DeployPlan, present: boolean): PullDecision {
  return present ? plan.pull.ifPresent : plan.pull.ifMissing;
}

/**
 * The new container's spec. Environment precedence follows Docker Compose: env_file first,
 * then project env, then stage env (the most specific setting wins).
 */
export function containerSpec(
  plan: DeployPlan,
  name: string,
  imageRef: string,
  envFile: Record<string, string> = {},
): ContainerSpec {
  const env = { ...envFile, ...plan.container.env };
  return {
    name,
    image: imageRef,
    labels: { ...plan.container.labels },
    env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    ...plan.container.spec,
    volumes: [...plan.container.spec.volumes],
  };
}

/**
 * Where people reach a stage: https://<domain> behind the proxy (http when it uses no
 * certificate), else the published port on the Docker host (on `hostAddress`, the node of a
 * Swarm task on another node, when given).
 */
export function stageUrl(
  publicUrl: DeployPlan['publicUrl'],
  hostPort: number | undefined,
  hostAddress?: string,
): string | undefined {
  if (publicUrl.scheme)
    return `${publicUrl.scheme}://${publicUrl.domain}${publicUrl.port === undefined ? '' : `:${publicUrl.port}`}`;
  if (hostPort === undefined) return undefined;
  const host = hostAddress ?? publicUrl.publishHost;
  return `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${hostPort}`;
}
