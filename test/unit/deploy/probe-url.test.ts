import { describe, expect, it } from 'vitest';
import { DeployError } from '../../../src/core/errors.js';
import { detectReach, probeUrl, probeUrls, type ContainerSigns } from '../../../src/deploy/probe-url.js';

const container = { name: 'dw-web-dev-v2', hostPort: 32769 };

describe('probeUrl', () => {
  it('uses the published port on loopback when published on every address', () => {
    for (const publishHost of ['0.0.0.0', '::', '']) {
      expect(probeUrl({ reach: 'host', container, port: 8080, path: '/up', publishHost })).toBe(
        'http://127.0.0.1:32769/up',
      );
    }
  });

  it('uses the specific publish address, bracketing IPv6', () => {
    expect(probeUrl({ reach: 'host', container, port: 8080, path: '/', publishHost: '10.0.0.5' })).toBe(
      'http://10.0.0.5:32769/',
    );
    expect(probeUrl({ reach: 'host', container, port: 8080, path: '/', publishHost: '::1' })).toBe(
      'http://[::1]:32769/',
    );
  });

  it('uses the container name and app port on the shared network', () => {
    expect(
      probeUrl({ reach: 'network', container, port: 3000, path: '/healthz', publishHost: '127.0.0.1' }),
    ).toBe('http://dw-web-dev-v2:3000/healthz');
  });

  it('fails clearly when the container has no published port', () => {
    const probe = () =>
      probeUrl({
        reach: 'host',
        container: { name: 'dw-web-dev-v2' },
        port: 8080,
        path: '/',
        publishHost: '127.0.0.1',
      });
    expect(probe).toThrow(DeployError);
    expect(probe).toThrow(/dw-web-dev-v2 has no published host port for port 8080/);
  });
});

function signs(files: Record<string, string>): ContainerSigns {
  return { exists: (path) => path in files, read: (path) => files[path] };
}

describe('detectReach', () => {
  it('keeps an explicit setting', () => {
    expect(detectReach('host', signs({ '/.dockerenv': '' }))).toBe('host');
    expect(detectReach('network', signs({}))).toBe('network');
  });

  it('picks network inside a container and host outside', () => {
    expect(detectReach('auto', signs({ '/.dockerenv': '' }))).toBe('network');
    expect(detectReach('auto', signs({ '/proc/1/cgroup': '12:pids:/docker/abc123\n' }))).toBe('network');
    expect(
      detectReach(
        'auto',
        signs({
          '/proc/1/cgroup': '0::/\n',
          '/proc/self/mountinfo': '/var/lib/docker/containers/abc/hostname /etc/hostname',
        }),
      ),
    ).toBe('network');
    expect(
      detectReach(
        'auto',
        signs({ '/proc/1/cgroup': '0::/init.scope\n', '/proc/self/mountinfo': '/ / ext4' }),
      ),
    ).toBe('host');
  });
});

describe('probeUrls', () => {
  const base = { reach: 'host' as const, port: 8080, path: '/health', publishHost: '127.0.0.1' };

  it('probes each replica of a service on its own published port', () => {
    const container = {
      name: 'dw-web-dev-v2',
      hostPort: 30001,
      instances: [
        { name: 'dw-web-dev-v2.1', hostPort: 30001 },
        { name: 'dw-web-dev-v2.2', hostPort: 30002 },
      ],
    };
    expect(probeUrls({ ...base, container })).toEqual([
      'http://127.0.0.1:30001/health',
      'http://127.0.0.1:30002/health',
    ]);
  });

  it("probes a replica on another node at that node's address, one on this node at the loopback", () => {
    const container = {
      name: 'dw-web-dev-v2',
      instances: [
        { name: 'dw-web-dev-v2.1', hostPort: 30001, hostAddress: '10.0.0.7' },
        { name: 'dw-web-dev-v2.2', hostPort: 30002 },
      ],
    };
    expect(probeUrls({ ...base, publishHost: '0.0.0.0', container })).toEqual([
      'http://10.0.0.7:30001/health',
      'http://127.0.0.1:30002/health',
    ]);
  });

  it('probes a plain container once, and a service by its name on the network', () => {
    expect(probeUrls({ ...base, container: { name: 'c', hostPort: 1234 } })).toEqual([
      'http://127.0.0.1:1234/health',
    ]);
    const service = { name: 'dw-web-dev-v2', instances: [{ name: 'dw-web-dev-v2.1', hostPort: 30001 }] };
    expect(probeUrls({ ...base, reach: 'network', container: service })).toEqual([
      'http://dw-web-dev-v2:8080/health',
    ]);
  });
});
