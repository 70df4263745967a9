import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { healthcheckCommand, listenUrl } from '../../../app/commands/healthcheck.js';

function capture(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), env },
  };
}

/** A stand-in for the app's listener: /healthz answers `status`. */
async function listener(status: number): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":false,"reason":"db"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

let dir: string;
const servers: Server[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-healthcheck-'));
});
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A config whose secrets are not set here: the probe needs only global.listen. */
function configListeningOn(port: number): string {
  const file = join(dir, 'docker-watcher.yaml');
  writeFileSync(
    file,
    [
      'global:',
      '  domain: example.test',
      '  secret_env: NOT_SET_HERE',
      `  listen: { host: 0.0.0.0, port: ${port} }`,
      'projects: {}',
      '',
    ].join('\n'),
  );
  return file;
}

describe('docker-watcher healthcheck', () => {
  it("probes /healthz on the config's listen port (wildcard host reached on loopback)", async () => {
    const up = await listener(200);
    servers.push(up.server);
    const { out, io } = capture({ DOCKER_WATCHER_CONFIG: configListeningOn(up.port) });
    expect(await healthcheckCommand([], io)).toBe(0);
    expect(up.paths).toEqual(['/healthz']);
    expect(out.stdout).toBe(`ok http://127.0.0.1:${up.port}/healthz\n`);
  });

  it('fails with the answer when the app is unhealthy, and when nothing listens', async () => {
    const sick = await listener(503);
    servers.push(sick.server);
    const first = capture();
    expect(await healthcheckCommand(['--config', configListeningOn(sick.port)], first.io)).toBe(1);
    expect(first.out.stderr).toContain(`http://127.0.0.1:${sick.port}/healthz answered 503`);

    const port = sick.port;
    await new Promise((resolve) => sick.server.close(resolve));
    const second = capture();
    expect(await healthcheckCommand(['--url', `http://127.0.0.1:${port}`], second.io)).toBe(1);
    expect(second.out.stderr).toContain(`http://127.0.0.1:${port}/healthz: fetch failed (`);
    expect(second.out.stderr).toContain('ECONNREFUSED');
  });

  it('names a broken config, and refuses a bad --timeout', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'global:\n  listen: { port: 70000 }\n');
    const broken = capture();
    expect(await healthcheckCommand(['--config', file], broken.io)).toBe(1);
    expect(broken.out.stderr).toContain('global.listen.port');
    const bad = capture();
    expect(await healthcheckCommand(['--timeout', 'soon'], bad.io)).toBe(2);
    expect(bad.out.stderr).toContain('--timeout "soon"');
  });

  it('turns listen addresses into URLs it can reach', () => {
    expect(listenUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080');
    expect(listenUrl('::', 8080)).toBe('http://[::1]:8080');
    expect(listenUrl('10.0.0.5', 81)).toBe('http://10.0.0.5:81');
  });
});
