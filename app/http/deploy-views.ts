import type { Context } from 'hono';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import type { DeployAccepted } from '../../src/protocol/deploy-request.js';
import type { AppDeps } from './app-env.js';

/** The app's base URL for links: global.public_url, else the origin the request came to. */
export function baseUrl(c: Context, deps: AppDeps): string {
  const configured = deps.loaded.config.global.public_url;
  return (configured ?? new URL(c.req.url).origin).replace(/\/+$/, '');
}

/** The answer to an accepted deploy (202), with the links CI and people follow. */
export function acceptedBody(
  c: Context,
  deps: AppDeps,
  record: DeployRecord,
  followToken?: string,
): DeployAccepted {
  const base = baseUrl(c, deps);
  const id = encodeURIComponent(record.id);
  const body: DeployAccepted = {
    id: record.id,
    status: record.status,
    stage: record.stage,
    urls: {
      self: `${base}/api/deploys/${id}`,
      events: `${base}/api/deploys/${id}/events`,
      dashboard: `${base}/deploys/${id}`,
    },
  };
  if (followToken) body.followToken = followToken;
  return body;
}

/** A deploy as the API shows it: without the route snapshot kept for crash recovery. */
export function publicRecord(record: DeployRecord): Omit<DeployRecord, 'routeBefore'> {
  const { routeBefore: _internal, ...shown } = record;
  return shown;
}
