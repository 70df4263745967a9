import { describe, expect, it } from 'vitest';
import { npmSchema } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/core/errors.js';
import {
  buildCreateBody,
  buildForwardSettings,
  buildUpdateBody,
  parseRouteState,
  updateChangesNothing,
} from '../../../src/proxy/npm/npm-host-plan.js';
import {
  isOwnedBy,
  probeBlock,
  withoutProbeBlock,
  withProbeBlock,
} from '../../../src/proxy/npm/npm-route-marker.js';
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

  it("forwards a target published on another Swarm node to that node's address in host mode", () => {
    const npm = npmSchema.parse({ ...base, forward: 'host', forward_host: '172.17.0.1' });
    expect(buildForwardSettings(npm, { ...target, hostAddress: '10.0.0.7' }, 0)).toMatchObject({
      forward_host: '10.0.0.7',
      forward_port: 49153,
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

  const marker = { project: 'web', stage: 'dev', instance: 'inst-1', domain: 'dev-web.example.com' };

  it('builds a create body the spec accepts, marked as ours, with the route probe', () => {
    const body = buildCreateBody(target, forward, 'inst-1');
    expect(body.domain_names).toEqual(['dev-web.example.com']);
    expect(body.meta).toEqual({ docker_watcher: marker });
    expect(body.advanced_config).toBe(probeBlock(target, forward));
    expect(body.advanced_config).toContain('add_header X-Docker-Watcher-Target "dw-web-dev-v1-2" always;');
    expect(body.advanced_config).toContain('set $dw_probe_target "http://dw-web-dev-v1-2:3000/";');
    expect(
      spec.match('POST', '/nginx/proxy-hosts')!.checkRequest(new URLSearchParams(), body),
    ).toBeUndefined();
  });

  it('builds an update body that keeps the host’s own meta and advanced config, not NPM’s status keys', () => {
    const host = {
      id: 4,
      meta: { note: 'x', nginx_online: true, nginx_err: null },
      advanced_config: 'client_max_body_size 50m;',
    } as unknown as NpmProxyHost;
    const body = buildUpdateBody(host, { ...target, healthPath: '/health' }, forward, 'inst-1');
    expect(body.meta).toEqual({ note: 'x', docker_watcher: marker });
    expect(body.advanced_config).toMatch(/^client_max_body_size 50m;\n\n# docker-watcher route probe: begin/);
    expect(body.advanced_config).toContain('"http://dw-web-dev-v1-2:3000/health"');
    expect(withoutProbeBlock(body.advanced_config!)).toBe('client_max_body_size 50m;');
    expect(body).not.toHaveProperty('domain_names');
    expect(
      spec.match('PUT', '/nginx/proxy-hosts/4')!.checkRequest(new URLSearchParams(), body),
    ).toBeUndefined();
  });

  it('a health path that could break out of the nginx string probes / instead', () => {
    expect(probeBlock({ ...target, healthPath: '/x"; return 200;' }, forward)).toContain(':3000/";');
    expect(withProbeBlock(withProbeBlock('', target, forward), target, forward)).toBe(
      probeBlock(target, forward),
    );
  });

  it('owns a host only by a marker of this instance for this domain; an id proves nothing', () => {
    const owner = { instanceId: 'inst-1', domain: 'Dev-Web.example.com.' };
    expect(isOwnedBy({ meta: { docker_watcher: marker } }, owner)).toBe(true);
    expect(isOwnedBy({ meta: { docker_watcher: { ...marker, instance: 'inst-2' } } }, owner)).toBe(false);
    expect(isOwnedBy({ meta: { docker_watcher: { ...marker, domain: 'other.example.com' } } }, owner)).toBe(
      false,
    );
    expect(isOwnedBy({ meta: { note: 'made by hand' } }, owner)).toBe(false);
    expect(isOwnedBy({ meta: { docker_watcher: null } }, owner)).toBe(false);
    // Markers of versions before the instance was recorded are still ours.
    expect(isOwnedBy({ meta: { docker_watcher: { project: 'web', stage: 'dev' } } }, owner)).toBe(true);
  });

  it('sees that a host already forwarding to the target needs no write', () => {
    const written = buildCreateBody(target, forward, 'inst-1');
    const host = {
      id: 4,
      domain_names: written.domain_names,
      ...forward,
      enabled: true,
      meta: { ...written.meta, nginx_online: true, nginx_err: null },
      advanced_config: written.advanced_config,
    } as NpmProxyHost;
    expect(updateChangesNothing(host, buildUpdateBody(host, target, forward, 'inst-1'))).toBe(true);
    const moved = buildForwardSettings(
      npmSchema.parse(base),
      { ...target, containerName: 'dw-web-dev-v2-3' },
      3,
    );
    expect(updateChangesNothing(host, buildUpdateBody(host, target, moved, 'inst-1'))).toBe(false);
    expect(
      updateChangesNothing({ ...host, enabled: false }, buildUpdateBody(host, target, forward, 'inst-1')),
    ).toBe(false);
  });

  it('reads back a snapshot state and refuses a foreign one', () => {
    expect(parseRouteState(undefined)).toBeUndefined();
    expect(parseRouteState({ hostId: 2, forward, meta: {} })).toEqual({ hostId: 2, forward, meta: {} });
    expect(() => parseRouteState({ id: 2 })).toThrow(/not an NPM route state/);
  });
});
