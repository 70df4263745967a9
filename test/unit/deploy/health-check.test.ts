import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthConfig } from '../../../src/config/schema.js';
import { DeployError } from '../../../src/core/errors.js';
import {
  describeProbe,
  waitUntilHealthy,
  type HealthCheckOptions,
} from '../../../src/deploy/health-check.js';
import { LABEL_PROJECT, LABEL_STAGE, type ContainerDetails } from '../../../src/docker/engine.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeDockerEngine } from '../../fakes/fake-docker-engine.js';

const servers: Server[] = [];

/** A real HTTP server on 127.0.0.1 with a random port; closed after each test. */
async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/up`;
}

/** A URL on which nothing listens: the port was just released. */
async function refusingUrl(): Promise<string> {
  const url = await serve(() => undefined);
  const server = servers.pop();
  await new Promise((resolve) => server?.close(resolve));
  return url;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const timing: HealthConfig = {
  timeout_seconds: 5,
  interval_seconds: 1,
  deadline_seconds: 120,
  healthy_after: 1,
  client_error_grace_seconds: 30,
};

/** A running fake container and options probing `url`; `onProbe(n)` runs before the n-th probe (from 1). */
function setup(
  url: string,
  health: Partial<HealthConfig> = {},
  state: Partial<ContainerDetails> = {},
  onProbe: (n: number, docker: FakeDockerEngine, id: string) => void = () => undefined,
) {
  const docker = new FakeDockerEngine();
  const clock = new FakeClock();
  const container = docker.addContainer(
    {
      name: 'dw-web-dev-v2',
      image: 'registry.test/web:v2',
      labels: { [LABEL_PROJECT]: 'web', [LABEL_STAGE]: 'dev' },
      env: [],
      volumes: [],
      network: 'dw',
      port: 8080,
      publishHost: '127.0.0.1',
      restartPolicy: 'unless-stopped',
    },
    { state: 'running', ...state },
  );
  let probes = 0;
  const options: HealthCheckOptions = {
    docker,
    containerId: container.id,
    url,
    clock,
    health: { ...timing, ...health },
    fetch: (input, init) => {
      probes += 1;
      onProbe(probes, docker, container.id);
      return fetch(input, init);
    },
  };
  return { docker, clock, id: container.id, options, probes: () => probes };
}

async function rejection(promise: Promise<unknown>): Promise<DeployError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeployError);
  expect((error as DeployError).phase).toBe('health');
  return error as DeployError;
}

describe('waitUntilHealthy', () => {
  it('resolves at once when the first probe answers 2xx', async () => {
    const url = await serve((_req, res) => res.writeHead(204).end());
    const { options, clock, probes } = setup(url);
    await waitUntilHealthy(options);
    expect(probes()).toBe(1);
    expect(clock.slept).toEqual([]);
  });

  it('waits through failures for the consecutive successes it needs', async () => {
    const answers = [500, 200, 503, 200, 200, 200];
    const url = await serve((_req, res) => res.writeHead(answers.shift() ?? 500).end('body'));
    const { options, clock, probes } = setup(url, { healthy_after: 2, interval_seconds: 2 });
    await waitUntilHealthy(options);
    expect(probes()).toBe(5);
    expect(clock.slept).toEqual([2000, 2000, 2000, 2000]);
  });

  it('fails at the deadline, saying what the last probe saw', async () => {
    const url = await serve((_req, res) => res.writeHead(500).end());
    const { options, docker, id, clock } = setup(url, { deadline_seconds: 5, interval_seconds: 2 });
    docker.appendLogs(id, 'booting', 'database unreachable');
    const error = await rejection(waitUntilHealthy(options));
    expect(error.message).toMatch(
      /dw-web-dev-v2 did not become healthy within 5s at http:\/\/127\.0\.0\.1:\d+\/up/,
    );
    expect(error.message).toContain('last probe saw HTTP 500');
    expect(error.summary).toBe('HTTP 500 on /up (5s)');
    expect(error.containerLogs).toEqual(['booting', 'database unreachable']);
    expect(clock.slept).toEqual([2000, 2000, 1000]);
  });

  it('reports connection refused', async () => {
    const { options } = setup(await refusingUrl(), { deadline_seconds: 1 });
    const error = await rejection(waitUntilHealthy(options));
    expect(error.message).toContain('last probe saw connection refused');
    expect(error.summary).toBe('connection refused on /up (1s)');
  });

  it('gives up on a probe that gets no answer within timeout_seconds', async () => {
    const url = await serve(() => undefined);
    const { options, probes } = setup(url, {
      timeout_seconds: 0.05,
      interval_seconds: 0.5,
      deadline_seconds: 1,
    });
    const error = await rejection(waitUntilHealthy(options));
    expect(error.message).toContain('no answer within 0.05s (timeout)');
    expect(probes()).toBe(2);
  });

  it('fails at once when the container exits mid-check', async () => {
    const url = await serve((_req, res) => res.writeHead(502).end());
    const { options, probes, clock } = setup(url, {}, {}, (n, docker, id) => {
      if (n === 2) docker.exitContainer(id, 3);
    });
    const error = await rejection(waitUntilHealthy(options));
    expect(error.message).toBe('container dw-web-dev-v2 exited with code 3 while being health-checked');
    expect(error.summary).toBe('container exited with code 3');
    expect(probes()).toBe(2);
    expect(clock.slept).toEqual([1000]);
  });

  it('fails at once, naming the node, when its runtime says a replica was lost with its node', async () => {
    const url = await serve((_req, res) => res.writeHead(503).end());
    const lost = 'task dw-web-dev-v2.1 was lost: its node nas2 (10.0.0.12) is down';
    const { options, probes } = setup(url, {}, {}, (n, docker, id) => {
      if (n === 2) docker.patchContainer(id, { state: 'created', lost });
    });
    const error = await rejection(waitUntilHealthy(options));
    expect(error.message).toBe(`container dw-web-dev-v2 cannot serve while being health-checked: ${lost}`);
    expect(error.summary).toBe(lost);
    expect(probes()).toBe(2);
  });

  it('fails at once when the restart count goes up, even if the container runs again', async () => {
    const url = await serve((_req, res) => res.writeHead(500).end());
    const { options } = setup(url, {}, { restartCount: 2 }, (n, docker, id) => {
      docker.patchContainer(id, { restartCount: 3 });
    });
    expect((await rejection(waitUntilHealthy(options))).message).toMatch(
      /dw-web-dev-v2 restarted \(restart count 3\)/,
    );
  });

  it('names the exit code of a container that crashed and was restarted', async () => {
    const url = await serve((_req, res) => res.writeHead(500).end());
    const { options } = setup(url, {}, {}, (n, docker, id) => {
      if (n === 1) docker.crashContainer(id, 3);
    });
    const error = await rejection(waitUntilHealthy(options));
    expect(error.message).toBe(
      'container dw-web-dev-v2 exited with code 3 and restarted (restart count 1) while being health-checked: it keeps crashing',
    );
    // The short cause on commit statuses names the exit code too.
    expect(error.summary).toBe('container keeps restarting (exit 3, 1 restart)');
  });

  it('tells about each try as it ends: what it saw and the time left', async () => {
    const answers = [404, 503, 200];
    const url = await serve((_req, res) => res.writeHead(answers.shift() ?? 500).end());
    const { options } = setup(url, { deadline_seconds: 10, interval_seconds: 2 });
    const seen: string[] = [];
    await waitUntilHealthy({ ...options, onProbe: (probe) => seen.push(describeProbe(probe)) });
    expect(seen).toEqual([
      'try 1: HTTP 404, 10 s left',
      'try 2: HTTP 503, 8 s left',
      'try 3: HTTP 200 (healthy), 6 s left',
    ]);
  });

  it('gives up early when the same 4xx lasts longer than client_error_grace_seconds', async () => {
    const url = await serve((_req, res) => res.writeHead(404).end('not found'));
    const { options, probes } = setup(url, { client_error_grace_seconds: 5, interval_seconds: 1 });
    const error = await rejection(waitUntilHealthy(options));
    expect(error.message).toMatch(/answered HTTP 404 at http:\/\/127\.0\.0\.1:\d+\/up for 5 s/);
    expect(error.message).toContain("check the project's healthcheck path");
    expect(error.summary).toBe('HTTP 404 on /up for 5s');
    // Tries at 0..5 s: long before the 120 s deadline.
    expect(probes()).toBe(6);
  });

  it('waits out a 4xx that changes or turns healthy within the grace', async () => {
    const answers = [404, 404, 404, 401, 401, 401, 200];
    const url = await serve((_req, res) => res.writeHead(answers.shift() ?? 500).end());
    const { options, probes } = setup(url, { client_error_grace_seconds: 3, interval_seconds: 1 });
    await waitUntilHealthy(options);
    expect(probes()).toBe(7);
  });

  it('waits for a Docker HEALTHCHECK to report healthy', async () => {
    const url = await serve((_req, res) => res.writeHead(200).end());
    const { options, probes } = setup(url, {}, { health: 'starting' }, (n, docker, id) => {
      if (n === 3) docker.setHealth(id, 'healthy');
    });
    await waitUntilHealthy(options);
    expect(probes()).toBe(3);
  });

  it('fails when the Docker HEALTHCHECK turns unhealthy', async () => {
    const url = await serve((_req, res) => res.writeHead(200).end());
    const { options } = setup(url, {}, { health: 'starting' }, (_n, docker, id) =>
      docker.setHealth(id, 'unhealthy'),
    );
    expect((await rejection(waitUntilHealthy(options))).message).toContain('Docker HEALTHCHECK as unhealthy');
  });

  it('stops with the signal reason when aborted during a probe', async () => {
    const url = await serve(() => undefined);
    const controller = new AbortController();
    const { options } = setup(url, { timeout_seconds: 30 });
    const waiting = waitUntilHealthy({ ...options, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('deploy cancelled')), 20);
    const started = Date.now();
    await expect(waiting).rejects.toThrow('deploy cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('waitUntilHealthy with replicas (a Swarm service)', () => {
  it('is healthy only when every replica answers: one bad replica fails the gate, naming it', async () => {
    const good = await serve((_req, res) => res.writeHead(200).end());
    const bad = await serve((_req, res) => res.writeHead(503).end());
    const { options } = setup(good, { deadline_seconds: 3 });
    const error = await rejection(waitUntilHealthy({ ...options, urlsOf: () => [good, bad] }));
    expect(error.message).toMatch(/HTTP 503 from replica 2 of 2/);
    expect(error.message).toContain(bad);
  });

  it('resolves once all replicas answer 2xx', async () => {
    const one = await serve((_req, res) => res.writeHead(200).end());
    const two = await serve((_req, res) => res.writeHead(204).end());
    const { options } = setup(one);
    await expect(waitUntilHealthy({ ...options, urlsOf: () => [one, two] })).resolves.toBeUndefined();
  });
});
