import { createHash } from 'node:crypto';
import path from 'node:path';
import type { LoadedConfig } from '../config/loaded-config.js';
import type { Config, HealthConfig, ProjectConfig } from '../config/schema.js';
import { ValidationError } from '../core/errors.js';
import {
  LABEL_DEPLOY,
  LABEL_INSTANCE,
  LABEL_PROJECT,
  LABEL_STAGE,
  LABEL_TAG,
  type ContainerSpec,
} from '../docker/engine.js';

/**
 * Pure planning of a deploy: names, labels, the container spec, image references, pull
 * decisions. Nothing here touches Docker, the network or the file system.
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

/** Absolute path of a project's env_file, or undefined when it has none. */
export function envFilePath(loaded: LoadedConfig, project: string): string | undefined {
  const file = loaded.config.projects[project]?.env_file;
  return file === undefined ? undefined : path.resolve(loaded.dir, file);
}

/** host:container[:ro] with a relative host path resolved against the config dir; named volumes stay. */
export function resolveVolume(volume: string, dir: string): string {
  const [host = '', ...rest] = volume.split(':');
  const isPath = host.startsWith('/') || host.startsWith('.') || host.includes('/');
  if (!isPath || rest.length === 0) return volume;
  return [path.resolve(dir, host), ...rest].join(':');
}

export interface SpecInput {
  loaded: LoadedConfig;
  project: string;
  stage: string;
  tag: string;
  deployId: string;
  instanceId: string;
  name: string;
  imageRef: string;
  /** The env_file's variables, read by the caller (see envFilePath). */
  envFile?: Record<string, string>;
}

/**
 * The container of one deploy. Environment precedence follows Docker Compose: env_file first,
 * then project env, then stage env (the most specific setting wins).
 */
export function containerSpec(input: SpecInput): ContainerSpec {
  const { config, dir } = input.loaded;
  const project = config.projects[input.project];
  const stage = project?.stages[input.stage];
  if (!project || !stage) throw new ValidationError(`unknown stage ${input.project}/${input.stage}`);
  const env = { ...input.envFile, ...project.env, ...stage.env };
  const memory = project.resources?.memory ?? config.global.resources.memory;
  const cpus = project.resources?.cpus ?? config.global.resources.cpus;
  return {
    name: input.name,
    image: input.imageRef,
    labels: {
      [LABEL_PROJECT]: input.project,
      [LABEL_STAGE]: input.stage,
      [LABEL_INSTANCE]: input.instanceId,
      [LABEL_DEPLOY]: input.deployId,
      [LABEL_TAG]: input.tag,
    },
    env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    volumes: project.volumes.map((v) => resolveVolume(v, dir)),
    network: config.global.network,
    port: project.port,
    publishHost: config.global.docker.publish_host,
    restartPolicy: 'unless-stopped',
    ...(memory === undefined ? {} : { memoryBytes: parseMemory(memory) }),
    ...(cpus === undefined ? {} : { nanoCpus: cpusToNanoCpus(cpus) }),
    log: { driver: config.global.log.driver, options: { ...config.global.log.options } },
    stopTimeoutSeconds: config.global.docker.stop_timeout_seconds,
  };
}

/**
 * Where people reach a stage: https://<domain> behind Nginx Proxy Manager (http when NPM is set
 * to use no certificate), else the published port on the Docker host.
 */
export function deployUrl(options: {
  config: Config;
  domain: string;
  hostPort?: number | undefined;
}): string | undefined {
  const { config, domain, hostPort } = options;
  if (config.global.npm) return `${config.global.npm.certificate === 'none' ? 'http' : 'https'}://${domain}`;
  if (hostPort === undefined) return undefined;
  const host = config.global.docker.publish_host;
  return `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${hostPort}`;
}

/** The project's health settings over the global ones (keys the project leaves out inherit). */
export function healthConfig(config: Config, project: string): HealthConfig {
  const own = Object.entries(config.projects[project]?.health ?? {}).filter(
    ([, value]) => value !== undefined,
  );
  return { ...config.global.health, ...(Object.fromEntries(own) as Partial<HealthConfig>) };
}
