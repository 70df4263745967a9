import { Agent, request } from 'undici';
import type { Clock } from '../../core/clock.js';
import { ExternalError, errorMessage } from '../../core/errors.js';
import type { RouteTarget } from '../router.js';
import type { NpmClient } from './npm-client.js';
import { ROUTE_PROBE_HEADER, ROUTE_PROBE_PATH } from './npm-route-marker.js';

export interface LiveCheckOptions {
  client: Pick<NpmClient, 'getProxyHost'>;
  /** NPM's HTTP(S) port as docker-watcher reaches it (global.npm.probe_url); no probe without it. */
  probeUrl: string | undefined;
  timeoutMs: number;
  clock: Clock;
}

const POLL_MS = 25;
/**
 * For a few ms after a reload nginx's old workers still accept connections beside the new ones:
 * the route counts as served once every probe has reached the target for this long.
 */
const STEADY_MS = 100;
/** Without a probe URL: NPM answers 50-130 ms before nginx serves a change; this covers it with room. */
const RELOAD_GRACE_MS = 500;

/**
 * Waits until NPM reports the host online without an nginx error and, with a probe URL, until a
 * request for the domain through the proxy reaches the target (NPM answers before nginx serves
 * a change: 50-130 ms on NPM v2.15.1, NPM's default site meanwhile for a new host).
 */
export async function waitUntilLive(
  options: LiveCheckOptions,
  target: RouteTarget,
  hostId: number,
  signal?: AbortSignal,
): Promise<string> {
  const { client, clock } = options;
  const started = clock.now().getTime();
  const left = () => started + options.timeoutMs - clock.now().getTime();
  const seconds = `${options.timeoutMs / 1000} s (global.npm.live_timeout_seconds)`;

  for (;;) {
    const host = await client.getProxyHost(hostId, signal);
    const err = host.meta.nginx_err;
    if (host.meta.nginx_online === false || (typeof err === 'string' && err !== '')) {
      throw new ExternalError(
        'npm',
        `NPM could not load the nginx configuration of proxy host ${hostId} for ${target.domain}: ${typeof err === 'string' && err ? err : 'no error given'}; fix the host's advanced config in NPM`,
      );
    }
    if (host.meta.nginx_online === true) break;
    if (left() <= 0)
      throw new ExternalError('npm', `NPM did not report proxy host ${hostId} online within ${seconds}`);
    await clock.sleep(POLL_MS, signal);
  }
  if (!options.probeUrl) {
    const onlineMs = clock.now().getTime() - started;
    await clock.sleep(RELOAD_GRACE_MS, signal);
    return `NPM reports proxy host ${hostId} online after ${onlineMs} ms, then waited ${RELOAD_GRACE_MS} ms for nginx's reload; not checked through the proxy (set global.npm.probe_url)`;
  }
  const url = options.probeUrl.replace(/\/+$/, '') + ROUTE_PROBE_PATH;
  const agent = new Agent({ connect: { servername: target.domain, rejectUnauthorized: false } });
  let reachedSince: number | undefined;
  try {
    for (;;) {
      const last = await probeOnce(agent, url, target, signal);
      const at = clock.now().getTime();
      reachedSince = last === 'reached' ? (reachedSince ?? at) : undefined;
      if (reachedSince !== undefined && at - reachedSince >= STEADY_MS) {
        return `live through the proxy after ${reachedSince - started} ms (${url} for ${target.domain} reached ${target.containerName})`;
      }
      if (left() <= 0) {
        throw new ExternalError(
          'npm',
          `the proxy did not serve ${target.containerName} for ${target.domain} within ${seconds}: ${last} at ${url}; check global.npm.probe_url and that NPM reaches the container`,
        );
      }
      await clock.sleep(POLL_MS, signal);
    }
  } finally {
    await agent.close();
  }
}

/** One request through the proxy on a fresh connection (a kept-alive one may sit on an old nginx worker). */
async function probeOnce(agent: Agent, url: string, target: RouteTarget, signal?: AbortSignal) {
  const timeout = AbortSignal.timeout(2_000);
  try {
    const res = await request(url, {
      headers: { host: target.domain },
      reset: true,
      dispatcher: agent,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    await res.body.dump();
    const served = res.headers[ROUTE_PROBE_HEADER];
    if (served === target.containerName && res.statusCode < 400) return 'reached';
    if (served === undefined)
      return `answer ${res.statusCode} without the route header (old configuration or NPM's default site)`;
    return `answer ${res.statusCode} naming ${String(served)}`;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    return `no answer (${errorMessage(error)})`;
  }
}
