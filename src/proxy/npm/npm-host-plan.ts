import type { NpmConfig } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';
import type { RouteTarget } from '../router.js';
import { ownerMeta, withProbeBlock } from './npm-route-marker.js';
import type { NpmForwardSettings, NpmProxyHost, NpmProxyHostInput } from './npm-types.js';

/** Keys NPM itself writes into `meta` after configuring nginx; never sent back. */
const NPM_META_KEYS = new Set(['nginx_online', 'nginx_err']);

/** What a RouteSnapshot's `state` holds for an NPM route that existed before a switch. */
export interface NpmRouteState {
  hostId: number;
  forward: NpmForwardSettings;
  /** The host's own meta (without NPM's status keys) before the switch; an adopted host gets it back. */
  meta: Record<string, unknown>;
  /** The host's advanced_config before the switch (absent in snapshots of older versions). */
  advancedConfig?: string;
}

/**
 * Where NPM should send traffic for a target, per `forward` mode. With `host`, a target published
 * on another Docker host (a Swarm task on another node) is forwarded to that host's address:
 * forward_host is how NPM reaches this one.
 */
export function forwardAddress(npm: NpmConfig, target: RouteTarget): { host: string; port: number } {
  if (npm.forward === 'network') return { host: target.containerName, port: target.port };
  if (!npm.forward_host) {
    throw new ConfigError(`global.npm.forward is "${npm.forward}" but global.npm.forward_host is not set`, [
      { path: 'global.npm.forward_host', message: 'set the address NPM uses to reach the Docker host' },
    ]);
  }
  if (target.hostPort === undefined) {
    throw new ConfigError(
      `global.npm.forward is "host" but container ${target.containerName} publishes no host port`,
      [{ path: 'global.docker', message: 'publish the container port, or use forward: network' }],
    );
  }
  return { host: target.hostAddress ?? npm.forward_host, port: target.hostPort };
}

/** Forward and TLS settings for a target; TLS options only apply with a certificate (id > 0). */
export function buildForwardSettings(
  npm: NpmConfig,
  target: RouteTarget,
  certificateId: number,
): NpmForwardSettings {
  const address = forwardAddress(npm, target);
  const tls = certificateId > 0;
  return {
    forward_scheme: 'http',
    forward_host: address.host,
    forward_port: address.port,
    certificate_id: certificateId,
    ssl_forced: tls && npm.ssl_forced,
    http2_support: tls && npm.http2,
    allow_websocket_upgrade: npm.websockets,
    block_exploits: npm.block_exploits,
  };
}

/** A host's meta without the keys NPM manages itself. */
export function userMeta(host: Pick<NpmProxyHost, 'meta'>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(host.meta).filter(([key]) => !NPM_META_KEYS.has(key)));
}

/** The body that creates a host for a target: marker in meta, probe block in advanced_config. */
export function buildCreateBody(
  target: RouteTarget,
  forward: NpmForwardSettings,
  instanceId: string,
): NpmProxyHostInput {
  return {
    domain_names: [target.domain],
    ...forward,
    enabled: true,
    meta: ownerMeta(target, instanceId),
    advanced_config: withProbeBlock('', target, forward),
  };
}

/** The body that points an existing host at a target, keeping its own meta and adding the marker. */
export function buildUpdateBody(
  host: NpmProxyHost,
  target: RouteTarget,
  forward: NpmForwardSettings,
  instanceId: string,
): NpmProxyHostInput {
  return {
    ...forward,
    enabled: true,
    meta: { ...userMeta(host), ...ownerMeta(target, instanceId) },
    advanced_config: withProbeBlock(host.advanced_config ?? '', target, forward),
  };
}

/**
 * Whether writing `body` would change nothing on the host: then no PUT is sent, since every
 * write makes NPM reload nginx, and a reload resets some keep-alive client connections.
 */
export function updateChangesNothing(host: NpmProxyHost, body: NpmProxyHostInput): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return Object.entries(body).every(([key, value]) => {
    if (key === 'meta') return same(sortedKeys(userMeta(host)), sortedKeys(value as Record<string, unknown>));
    if (key === 'advanced_config') return (host.advanced_config ?? '') === value;
    return same(host[key as keyof NpmProxyHost], value);
  });
}

function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}

/** The forward settings a host has now. */
export function forwardSettingsOf(host: NpmProxyHost): NpmForwardSettings {
  return {
    forward_scheme: host.forward_scheme,
    forward_host: host.forward_host,
    forward_port: host.forward_port,
    certificate_id: host.certificate_id,
    ssl_forced: host.ssl_forced,
    http2_support: host.http2_support,
    allow_websocket_upgrade: host.allow_websocket_upgrade,
    block_exploits: host.block_exploits,
  };
}

/** Reads a snapshot's state back, rejecting anything that is not an NpmRouteState. */
export function parseRouteState(state: unknown): NpmRouteState | undefined {
  if (state === undefined || state === null) return undefined;
  const s = state as Partial<NpmRouteState>;
  if (typeof s.hostId !== 'number' || typeof s.forward !== 'object' || s.forward === null) {
    throw new Error(`route snapshot state is not an NPM route state: ${JSON.stringify(state)}`);
  }
  return {
    hostId: s.hostId,
    forward: s.forward,
    meta: typeof s.meta === 'object' && s.meta ? s.meta : {},
    ...(typeof s.advancedConfig === 'string' ? { advancedConfig: s.advancedConfig } : {}),
  };
}
