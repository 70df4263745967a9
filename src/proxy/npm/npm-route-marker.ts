import type { RouteTarget } from '../router.js';
import { normalizeDomain } from './npm-matching.js';
import type { NpmForwardSettings, NpmProxyHost } from './npm-types.js';

/** Key in a proxy host's `meta` that marks it as created (or adopted) by docker-watcher. */
export const OWNER_META_KEY = 'docker_watcher';

/** Path at which the probe block answers through the proxy (a request for the stage's domain). */
export const ROUTE_PROBE_PATH = '/.well-known/docker-watcher/route';

/** Header the probe block adds: the container the host's current configuration forwards to. */
export const ROUTE_PROBE_HEADER = 'x-docker-watcher-target';

const BLOCK_BEGIN = '# docker-watcher route probe: begin (managed by docker-watcher, do not edit)';
const BLOCK_END = '# docker-watcher route probe: end';

/** Who wrote a marker: this instance of docker-watcher, for this domain and stage. */
export interface RouteOwner {
  instanceId: string;
  domain: string;
}

/** The ownership marker written into `meta`. */
export function ownerMeta(target: RouteTarget, instanceId: string): Record<string, unknown> {
  return {
    [OWNER_META_KEY]: {
      project: target.project,
      stage: target.stage,
      instance: instanceId,
      domain: normalizeDomain(target.domain),
    },
  };
}

/**
 * Whether a host is docker-watcher's: its marker names this instance and this domain. A marker
 * without an instance was written before markers named one; it is trusted as it was then. An id
 * alone proves nothing: NPM restarts ids at 1 on a fresh database.
 */
export function isOwnedBy(host: Pick<NpmProxyHost, 'meta'>, owner: RouteOwner): boolean {
  const marker = host.meta[OWNER_META_KEY] as Record<string, unknown> | null | undefined;
  if (typeof marker !== 'object' || marker === null) return false;
  if (marker.instance === undefined) return true;
  return (
    marker.instance === owner.instanceId &&
    typeof marker.domain === 'string' &&
    normalizeDomain(marker.domain) === normalizeDomain(owner.domain)
  );
}

/** A health path safe to put into an nginx string; anything else probes `/`. */
function safePath(path: string | undefined): string {
  return path !== undefined && /^\/[\w\-./~%=&]*$/.test(path) ? path : '/';
}

/**
 * The probe block docker-watcher keeps in a host's advanced_config: a request for the stage's
 * domain at ROUTE_PROBE_PATH is proxied to the target's health path with a header naming the
 * target. Both come from the same configuration nginx loaded, so an answer with the new
 * container's name that is not nginx's own 502 means the proxy now reaches the new container.
 */
export function probeBlock(target: RouteTarget, forward: NpmForwardSettings): string {
  const upstream = `${forward.forward_scheme}://${forward.forward_host}:${forward.forward_port}${safePath(target.healthPath)}`;
  return [
    BLOCK_BEGIN,
    `location = ${ROUTE_PROBE_PATH} {`,
    `  add_header X-Docker-Watcher-Target "${target.containerName}" always;`,
    `  set $dw_probe_target "${upstream}";`,
    '  proxy_pass $dw_probe_target;',
    '  proxy_set_header Host $host;',
    '}',
    BLOCK_END,
  ].join('\n');
}

/** A host's advanced_config without docker-watcher's probe block. */
export function withoutProbeBlock(advancedConfig: string): string {
  const begin = advancedConfig.indexOf(BLOCK_BEGIN);
  const end = advancedConfig.indexOf(BLOCK_END);
  if (begin < 0 || end < begin) return advancedConfig;
  return (advancedConfig.slice(0, begin) + advancedConfig.slice(end + BLOCK_END.length))
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The advanced_config with the probe block for a target, keeping whatever else a person wrote. */
export function withProbeBlock(advancedConfig: string, target: RouteTarget, forward: NpmForwardSettings) {
  const own = withoutProbeBlock(advancedConfig);
  return own ? `${own}\n\n${probeBlock(target, forward)}` : probeBlock(target, forward);
}
