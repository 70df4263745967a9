import type { NpmConfig } from '../../config/schema.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConflictError, errorMessage, ExternalError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import {
  RouteWriteError,
  type CertificateStatus,
  type ProxyRouter,
  type RouteSnapshot,
  type RouteTarget,
} from '../router.js';
import { createCertificateRequests } from './npm-certificate-requests.js';
import type { NpmClient } from './npm-client.js';
import {
  buildCreateBody,
  buildForwardSettings,
  buildUpdateBody,
  forwardSettingsOf,
  parseRouteState,
  updateChangesNothing,
  userMeta,
  type NpmRouteState,
} from './npm-host-plan.js';
import { waitUntilLive } from './npm-live-check.js';
import { normalizeDomain } from './npm-matching.js';
import { isOwnedBy } from './npm-route-marker.js';
import type { NpmCertificate, NpmProxyHost, NpmProxyHostInput } from './npm-types.js';

/**
 * What the router is built from: global.npm and the client, built by the composition root with
 * the password named by global.npm.password_env (npm-client-from-config.ts), and the DNS
 * provider's credentials when certificates are requested by DNS challenge. `instanceId` goes
 * into every marker.
 */
export interface NpmRouterDeps {
  npm: NpmConfig;
  client: NpmClient;
  /** The value of global.npm.certificate_dns.credentials_env. */
  dnsCredentials?: string;
  instanceId: string;
  logger: Logger;
  clock?: Clock;
}

/**
 * ProxyRouter over Nginx Proxy Manager. It creates one proxy host per stage domain and marks it
 * as its own in the host's meta (this instance, this domain), and never changes a host without
 * that marker unless global.npm.adopt_existing is true. A write that would change nothing is not
 * sent: each write makes NPM reload nginx.
 */
export function createNpmRouter(deps: NpmRouterDeps): ProxyRouter {
  const { logger, instanceId } = deps;
  const clock = deps.clock ?? systemClock;
  const { npm, client } = deps;
  const owns = (host: NpmProxyHost, domain: string) => isOwnedBy(host, { instanceId, domain });
  /** The host id each domain was last routed through, for confirm(). */
  const routedHost = new Map<string, number>();
  /** The target and certificate id each domain was last routed to (a new certificate is attached to it). */
  const routed = new Map<string, { target: RouteTarget; certificateId: number }>();
  const dns = npm.certificate_dns && {
    provider: npm.certificate_dns.provider,
    credentials: deps.dnsCredentials ?? '',
    ...(npm.certificate_dns.propagation_seconds === undefined
      ? {}
      : { propagationSeconds: npm.certificate_dns.propagation_seconds }),
  };
  const requests = createCertificateRequests({
    client,
    clock,
    logger,
    retryMs: npm.certificate_retry_seconds * 1000,
    ...(dns ? { dns } : {}),
    onIssued: (domain, certificate) => attach(domain, certificate),
  });

  const certificateFor = async (domain: string, signal?: AbortSignal): Promise<number> => {
    if (npm.certificate === 'none') return 0;
    if (npm.certificate === 'auto' || npm.certificate === 'request') {
      return (await client.findCertificate(domain, signal))?.id ?? 0;
    }
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

  /** PUTs the body unless the host already has it; says whether it wrote. */
  const update = async (host: NpmProxyHost, body: NpmProxyHostInput, signal?: AbortSignal) => {
    if (updateChangesNothing(host, body)) return false;
    await client.updateProxyHost(host.id, body, signal);
    return true;
  };

  return {
    switchTo: (target, signal) => naming(target.domain, switchTo(target, signal)),
    restore: (snapshot, signal) => naming(snapshot.domain, restore(snapshot, signal)),
    remove: (domain, signal) => naming(domain, remove(domain, signal)),
    confirm: (target, signal) => naming(target.domain, confirm(target, signal)),
    certificateStatus: (domain) => requests.status(normalizeDomain(domain)),
  };

  /**
   * With certificate: request, a steady route (live through the proxy, or already right) of a
   * domain that no certificate covers gets one asked for, in the background; HTTP meanwhile.
   * Asking only once the route is steady matters: NPM takes the domain's hosts out of nginx
   * while certbot runs, which must not fall into a deploy's switch.
   */
  function askForCertificate(domain: string): CertificateStatus | undefined {
    if (npm.certificate !== 'request') return undefined;
    const last = routed.get(domain);
    if (!last || last.certificateId > 0) return undefined;
    return requests.ensure(domain);
  }

  /**
   * A new domain's certificate is asked for before its host exists: NPM takes the hosts of a
   * domain out of nginx while certbot runs, but only those that exist when the request comes in
   * (a host created afterwards serves at once). So the request goes first and the host is
   * created once NPM lists the request's certificate row (it inserts the row, then looks for
   * hosts); waited for at most CERTIFICATE_LISTED_MS, the deploy never waits for certbot.
   */
  async function askBeforeCreating(domain: string, signal?: AbortSignal): Promise<void> {
    if (requests.status(domain)) return;
    const covers = (c: NpmCertificate) => c.domain_names.some((d) => normalizeDomain(d) === domain);
    const before = new Set((await client.listCertificates(signal)).filter(covers).map((c) => c.id));
    requests.ensure(domain);
    const deadline = clock.now().getTime() + CERTIFICATE_LISTED_MS;
    while (clock.now().getTime() < deadline) {
      const listed = (await client.listCertificates(signal)).some((c) => covers(c) && !before.has(c.id));
      if (listed) break;
      await clock.sleep(25, signal);
    }
    await clock.sleep(CERTIFICATE_LOOKUP_MARGIN_MS, signal);
  }

  /** Puts a certificate NPM just issued on the domain's host, if the host is ours and still on the target. */
  async function attach(domain: string, certificate: NpmCertificate): Promise<void> {
    const last = routed.get(domain);
    const host = await client.findProxyHost(domain);
    if (!last || !host || !owns(host, domain) || host.certificate_id === certificate.id) return;
    const forward = buildForwardSettings(npm, last.target, certificate.id);
    // A deploy moved the host since: its switch finds the certificate and attaches it then.
    if (host.forward_host !== forward.forward_host || host.forward_port !== forward.forward_port) return;
    await update(host, buildUpdateBody(host, { ...last.target, domain }, forward, instanceId));
    routed.set(domain, { target: last.target, certificateId: certificate.id });
    logger.info('attached the new certificate to the NPM proxy host', {
      domain,
      hostId: host.id,
      certificateId: certificate.id,
    });
  }

  async function switchTo(target: RouteTarget, signal?: AbortSignal): Promise<RouteSnapshot> {
    const domain = normalizeDomain(target.domain);
    const routedTarget = { ...target, domain };
    const forward = buildForwardSettings(npm, routedTarget, await certificateFor(domain, signal));
    const existing = await client.findProxyHost(domain, signal);
    routed.set(domain, { target: routedTarget, certificateId: forward.certificate_id });
    if (!existing && npm.certificate === 'request' && forward.certificate_id === 0) {
      await askBeforeCreating(domain, signal);
    }
    if (!existing) {
      const created = await writing({ domain }, () =>
        client.createProxyHost(buildCreateBody(routedTarget, forward, instanceId), signal),
      );
      routedHost.set(domain, created.id);
      logger.info('created NPM proxy host', {
        domain,
        hostId: created.id,
        forwardHost: forward.forward_host,
      });
      return { domain };
    }
    // The marker, not the id, proves the host is ours: NPM restarts ids at 1 on a fresh database.
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
      advancedConfig: existing.advanced_config ?? '',
    };
    routedHost.set(domain, existing.id);
    const wrote = await writing({ domain, state }, () =>
      update(existing, buildUpdateBody(existing, routedTarget, forward, instanceId), signal),
    );
    const fields = {
      domain,
      hostId: existing.id,
      forwardHost: forward.forward_host,
      forwardPort: forward.forward_port,
    };
    if (wrote) logger.info('pointed NPM proxy host at new target', fields);
    else {
      logger.debug('NPM proxy host already on the target: nothing written', fields);
      askForCertificate(domain);
    }
    return { domain, state };
  }

  async function confirm(target: RouteTarget, signal?: AbortSignal): Promise<string> {
    const domain = normalizeDomain(target.domain);
    const hostId = routedHost.get(domain) ?? (await client.findProxyHost(domain, signal))?.id;
    if (hostId === undefined)
      throw new ExternalError('npm', `NPM has no proxy host for ${domain} after the switch`);
    const live = await waitUntilLive(
      { client, probeUrl: npm.probe_url, timeoutMs: npm.live_timeout_seconds * 1000, clock },
      { ...target, domain },
      hostId,
      signal,
    );
    const certificate = askForCertificate(domain);
    return certificate ? `${live}; ${describeCertificate(domain, certificate)}` : live;
  }

  async function restore(snapshot: RouteSnapshot, signal?: AbortSignal): Promise<void> {
    const domain = normalizeDomain(snapshot.domain);
    const before = parseRouteState(snapshot.state);
    const current = await client.findProxyHost(domain, signal);
    if (!before) {
      if (current && owns(current, domain)) {
        await client.deleteProxyHost(current.id, signal);
        logger.info('removed NPM proxy host created by the failed switch', { domain, hostId: current.id });
      }
      return;
    }
    const advanced = before.advancedConfig === undefined ? {} : { advanced_config: before.advancedConfig };
    if (!current) {
      await client.createProxyHost(
        { domain_names: [domain], ...before.forward, enabled: true, meta: before.meta, ...advanced },
        signal,
      );
      return;
    }
    if (!owns(current, domain)) {
      throw new ConflictError(
        `NPM proxy host ${current.id} for ${domain} no longer carries docker-watcher's marker (a person re-created or changed it), so it is left as it is; point it at the right container in NPM`,
        409,
      );
    }
    // A host the previous state did not mark as ours was adopted: it gets its own meta back.
    const wrote = await update(current, { ...before.forward, meta: before.meta, ...advanced }, signal);
    logger.info(wrote ? 'restored NPM proxy host' : 'NPM proxy host already as it was', {
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
    routedHost.delete(name);
    routed.delete(name);
    requests.forget(name);
    logger.info('removed NPM proxy host', { domain: name, hostId: host.id });
    return true;
  }
}

/** How long a new domain's switch waits for NPM to list the certificate request it just got. */
const CERTIFICATE_LISTED_MS = 2_000;
/** After the row is listed: time for NPM's look-up of the domain's hosts, which follows the insert. */
const CERTIFICATE_LOOKUP_MARGIN_MS = 50;

/** A certificate request's status as the deploy log says it. */
export function describeCertificate(domain: string, status: CertificateStatus): string {
  switch (status.state) {
    case 'requesting':
      return `certificate: none covers ${domain}; asked NPM for a Let's Encrypt certificate in the background (HTTP until NPM has it)`;
    case 'issued':
      return `certificate: NPM issued #${status.certificateId} for ${domain}`;
    case 'failed':
      return `certificate: the request for ${domain} failed (${status.error}); HTTP meanwhile, asked again at ${status.retryAt}`;
  }
}

/**
 * Runs a write of a switch: NPM may have stored it (and reloaded nginx) even when its answer
 * never came or was an error, so a failure says how to put the route back (`before`).
 */
async function writing<T>(before: RouteSnapshot, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const message = errorMessage(error);
    const named = message.includes(before.domain) ? message : `${message} (routing ${before.domain})`;
    throw new RouteWriteError(named, before, { cause: error });
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
