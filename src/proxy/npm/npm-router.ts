import type { NpmConfig } from '../../config/schema.js';
import { ConflictError, ExternalError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import type { Store } from '../../store/store.js';
import type { ProxyRouter, RouteSnapshot, RouteTarget } from '../router.js';
import type { NpmClient } from './npm-client.js';
import {
  buildCreateBody,
  buildForwardSettings,
  buildUpdateBody,
  forwardSettingsOf,
  hasOwnerMeta,
  OWNER_META_KEY,
  parseRouteState,
  userMeta,
  type NpmRouteState,
} from './npm-host-plan.js';
import { normalizeDomain } from './npm-matching.js';
import type { NpmProxyHost } from './npm-types.js';

/** Where the router remembers the ids of hosts it owns (the store's kv state). */
export type OwnershipStore = Pick<Store, 'getState' | 'setState'>;

/**
 * What the router is built from: global.npm, the client (built by the composition root with the
 * password named by global.npm.password_env, see npm-client-from-config.ts) and where ownership
 * is remembered.
 */
export interface NpmRouterDeps {
  npm: NpmConfig;
  client: NpmClient;
  ownership: OwnershipStore;
  logger: Logger;
}

const stateKey = (domain: string) => `npm.proxy-host.${normalizeDomain(domain)}`;

/**
 * ProxyRouter over Nginx Proxy Manager. It creates one proxy host per stage domain and marks it
 * as its own (meta.docker_watcher plus the host id in the store), and never changes a host a
 * person made unless global.npm.adopt_existing is true.
 */
export function createNpmRouter(deps: NpmRouterDeps): ProxyRouter {
  const { logger, npm, client, ownership } = deps;

  const owns = (host: NpmProxyHost, domain: string) =>
    hasOwnerMeta(host) || ownership.getState(stateKey(domain)) === String(host.id);
  const remember = (domain: string, id: number | undefined) =>
    ownership.setState(stateKey(domain), id === undefined ? '' : String(id));

  const certificateFor = async (domain: string, signal?: AbortSignal): Promise<number> => {
    if (npm.certificate === 'none') return 0;
    if (npm.certificate === 'auto') return (await client.findCertificate(domain, signal))?.id ?? 0;
    const id = npm.certificate;
    const certificates = await client.listCertificates(signal);
    if (!certificates.some((c) => c.id === id)) {
      throw new ExternalError(
        'npm',
        `certificate ${id} (global.npm.certificate) does not exist in NPM; use an existing id, "auto" or "none"`,
      );
    }
    return id;
  };

  return {
    switchTo: (target, signal) => naming(target.domain, switchTo(target, signal)),
    restore: (snapshot, signal) => naming(snapshot.domain, restore(snapshot, signal)),
    remove: (domain, signal) => naming(domain, remove(domain, signal)),
  };

  async function switchTo(target: RouteTarget, signal?: AbortSignal): Promise<RouteSnapshot> {
    const domain = normalizeDomain(target.domain);
    const forward = buildForwardSettings(npm, target, await certificateFor(domain, signal));
    const existing = await client.findProxyHost(domain, signal);
    if (!existing) {
      const created = await client.createProxyHost(buildCreateBody({ ...target, domain }, forward), signal);
      remember(domain, created.id);
      logger.info('created NPM proxy host', {
        domain,
        hostId: created.id,
        forwardHost: forward.forward_host,
      });
      return { domain };
    }
    if (!owns(existing, domain)) {
      if (!npm.adopt_existing) {
        throw new ConflictError(
          `NPM proxy host ${existing.id} for ${domain} was not created by docker-watcher, so it is left alone; remove it in NPM, or set global.npm.adopt_existing: true to let docker-watcher take it over`,
          409,
        );
      }
      logger.warn('adopting NPM proxy host made outside docker-watcher', { domain, hostId: existing.id });
    }
    const state: NpmRouteState = {
      hostId: existing.id,
      forward: forwardSettingsOf(existing),
      meta: userMeta(existing),
    };
    await client.updateProxyHost(
      existing.id,
      buildUpdateBody(existing, { ...target, domain }, forward),
      signal,
    );
    remember(domain, existing.id);
    logger.info('pointed NPM proxy host at new target', {
      domain,
      hostId: existing.id,
      forwardHost: forward.forward_host,
    });
    return { domain, state };
  }

  async function restore(snapshot: RouteSnapshot, signal?: AbortSignal): Promise<void> {
    const domain = normalizeDomain(snapshot.domain);
    const before = parseRouteState(snapshot.state);
    const current = await client.findProxyHost(domain, signal);
    if (!before) {
      if (current && owns(current, domain)) {
        await client.deleteProxyHost(current.id, signal);
        remember(domain, undefined);
        logger.info('removed NPM proxy host created by the failed switch', { domain, hostId: current.id });
      }
      return;
    }
    // A host the previous state did not mark as ours was adopted: give it back its own meta.
    const meta = before.meta;
    if (!current) {
      const created = await client.createProxyHost(
        { domain_names: [domain], ...before.forward, enabled: true, meta },
        signal,
      );
      remember(domain, OWNER_META_KEY in meta ? created.id : undefined);
      return;
    }
    await client.updateProxyHost(current.id, { ...before.forward, meta }, signal);
    if (!(OWNER_META_KEY in meta)) remember(domain, undefined);
    logger.info('restored NPM proxy host', {
      domain,
      hostId: current.id,
      forwardHost: before.forward.forward_host,
    });
  }

  async function remove(domain: string, signal?: AbortSignal): Promise<boolean> {
    const name = normalizeDomain(domain);
    const host = await client.findProxyHost(name, signal);
    if (!host || !owns(host, name)) return false;
    await client.deleteProxyHost(host.id, signal);
    remember(name, undefined);
    logger.info('removed NPM proxy host', { domain: name, hostId: host.id });
    return true;
  }
}

/** Adds the domain to NPM errors that do not name it yet (listing hosts or certificates). */
async function naming<T>(domain: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof ExternalError) || error.message.includes(normalizeDomain(domain))) throw error;
    const options = error.status === undefined ? { cause: error } : { cause: error, status: error.status };
    throw new ExternalError('npm', `${error.message} (routing ${normalizeDomain(domain)})`, options);
  }
}
