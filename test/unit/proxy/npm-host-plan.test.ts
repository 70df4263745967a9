import { describe, expect, it } from 'vitest';
import { npmSchema } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/core/errors.js';
import {
  buildCreateBody,
  buildForwardSettings,
  buildUpdateBody,
  hasOwnerMeta,
  parseRouteState,
} from '../../../src/proxy/npm/npm-host-plan.js';
import type { NpmProxyHost } from '../../../src/proxy/npm/npm-types.js';
import type { RouteTarget } from '../../../src/proxy/router.js';
import { loadNpmSpec } from '../../fakes/npm/npm-spec.js';

const base = { url: 'http://npm:81', email: 'dw@example.com', password_env: 'NPM_PASSWORD' };
const target: RouteTarget = {
  project: 'web',
  stage: 'dev',
  domain: 'dev-web.example.com',
  containerName: 'dw-web-dev-v1-2',
  port: 3000,
  hostPort: 49153,
};

describe('buildForwardSettings', () => {
  it('forwards to the container name and port on the shared network', () => {
    const npm = npmSchema.parse(base);
    expect(buildForwardSettings(npm, target, 0)).toEqual({
      forward_scheme: 'http',
      forward_host: 'dw-web-dev-v1-2',
      forward_port: 3000,
      certificate_id: 0,
      ssl_forced: false,
      http2_support: false,
      allow_websocket_upgrade: true,
      block_exploits: true,
    });
  });

  it('forwards to forward_host and the published port in host mode, TLS options with a certificate', () => {
    const npm = npmSchema.parse({
      ...base,
      forward: 'host',
      forward_host: '172.17.0.1',
      http2: false,
      websockets: false,
    });
    expect(buildForwardSettings(npm, target, 7)).toMatchObject({
      forward_host: '172.17.0.1',
      forward_port: 49153,
      certificate_id: 7,
      ssl_forced: true,
      http2_support: false,
      allow_websocket_upgrade: false,
    });
  });

  it('names the missing setting in host mode', () => {
    expect(() => buildForwardSettings(npmSchema.parse({ ...base, forward: 'host' }), target, 0)).toThrow(
      ConfigError,
    );
    const npm = npmSchema.parse({ ...base, forward: 'host', forward_host: 'h' });
    expect(() =>
      buildForwardSettings(
        npm,
        {
          project: 'web',
          stage: 'dev',
          domain: 'd.example.com',
          containerName: 'dw-web-dev-v1-2',
          port: 3000,
        },
        0,
      ),
    ).toThrow(/dw-web-dev-v1-2 publishes no host port/);
  });
});

describe('proxy host bodies', () => {
  const spec = loadNpmSpec();
  const forward = buildForwardSettings(npmSchema.parse(base), target, 3);

  it('builds a create body the spec accepts, marked as ours', () => {
    const body = buildCreateBody(target, forward);
    expect(body.domain_names).toEqual(['dev-web.example.com']);
    expect(body.meta).toEqual({ docker_watcher: { project: 'web', stage: 'dev' } });
    expect(
      spec.match('POST', '/nginx/proxy-hosts')!.checkRequest(new URLSearchParams(), body),
    ).toBeUndefined();
  });

  it('builds an update body that keeps the host’s own meta but not NPM’s status keys', () => {
    const host = {
      id: 4,
      meta: { note: 'x', nginx_online: true, nginx_err: null },
    } as unknown as NpmProxyHost;
    const body = buildUpdateBody(host, target, forward);
    expect(body.meta).toEqual({ note: 'x', docker_watcher: { project: 'web', stage: 'dev' } });
    expect(body).not.toHaveProperty('domain_names');
    expect(
      spec.match('PUT', '/nginx/proxy-hosts/4')!.checkRequest(new URLSearchParams(), body),
    ).toBeUndefined();
    expect(hasOwnerMeta({ meta: body.meta! })).toBe(true);
    expect(hasOwnerMeta(host)).toBe(false);
  });

  it('reads back a snapshot state and refuses a foreign one', () => {
    expect(parseRouteState(undefined)).toBeUndefined();
    expect(parseRouteState({ hostId: 2, forward, meta: {} })).toEqual({ hostId: 2, forward, meta: {} });
    expect(() => parseRouteState({ id: 2 })).toThrow(/not an NPM route state/);
  });
});
