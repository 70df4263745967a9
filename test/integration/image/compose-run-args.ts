import { isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** What a test changes when it runs the compose service with `docker run`. */
export interface ComposeRunSetting {
  /** The folder compose.yaml would sit in: `./x` sources resolve against it, as in compose. */
  folder: string;
  /** The built image (compose's `image`/`build`). */
  image: string;
  /** Replaces the external network compose joins. */
  network: string;
  /** Values for `${VAR:-default}` interpolation (e.g. DOCKER_GID). */
  variables: Record<string, string>;
  /** Host paths replacing absolute volume sources (e.g. the Docker socket of this machine). */
  hostPaths?: Record<string, string>;
  /** Extra `docker run` arguments (name, labels). */
  extra?: string[];
}

interface ComposeService {
  environment?: Record<string, string> | string[];
  env_file?: string[];
  group_add?: (string | number)[];
  volumes?: string[];
  ports?: string[];
  networks?: string[] | Record<string, unknown>;
}

/**
 * `docker run -d` arguments equivalent to the compose service `name` (there is no compose CLI
 * here). Differences, on purpose: published ports bind 127.0.0.1 on a free host port, the
 * network is the test's, `restart` is left out. Throws on a key it does not translate, so a new
 * compose key cannot be silently ignored.
 */
export function composeRunArgs(composeYaml: string, name: string, setting: ComposeRunSetting): string[] {
  const compose = parse(composeYaml) as {
    services?: Record<string, ComposeService & Record<string, unknown>>;
  };
  const service = compose.services?.[name];
  if (service === undefined) throw new Error(`compose.yaml has no service ${name}`);
  const known = new Set([
    'build',
    'image',
    'restart',
    'environment',
    'env_file',
    'group_add',
    'volumes',
    'ports',
    'networks',
  ]);
  const unknown = Object.keys(service).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new Error(`composeRunArgs does not translate ${unknown.join(', ')}: extend it`);

  const interpolate = (value: string | number): string =>
    String(value).replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, variable: string, fallback?: string) => {
      const resolved = setting.variables[variable] ?? fallback;
      if (resolved === undefined)
        throw new Error(`compose.yaml uses \${${variable}} without a value or default`);
      return resolved;
    });
  const hostPath = (source: string): string =>
    isAbsolute(source) ? (setting.hostPaths?.[source] ?? source) : join(setting.folder, source);

  const args = ['run', '-d', '--network', setting.network, ...(setting.extra ?? [])];
  const environment = Array.isArray(service.environment)
    ? service.environment
    : Object.entries(service.environment ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const entry of environment) args.push('--env', interpolate(entry));
  for (const file of service.env_file ?? []) args.push('--env-file', hostPath(file));
  for (const group of service.group_add ?? []) args.push('--group-add', interpolate(group));
  for (const volume of service.volumes ?? []) {
    const [source = '', target = '', mode] = interpolate(volume).split(':');
    args.push('--volume', [hostPath(source), target, ...(mode ? [mode] : [])].join(':'));
  }
  for (const port of service.ports ?? []) {
    const containerPort = interpolate(port).split(':').at(-1);
    args.push('--publish', `127.0.0.1::${containerPort}`);
  }
  args.push(setting.image);
  return args;
}
