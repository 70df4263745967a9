import { request } from 'node:http';
import { stageDomain } from '../src/config/domains.js';
import { LABEL_INSTANCE } from '../src/docker/engine.js';
import { silentLogger } from '../src/log/logger.js';
import { createNpmRouter } from '../src/proxy/npm/npm-router.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { startFakeNpm } from '../test/fakes/npm/fake-npm-server.js';
import { startNginx } from '../test/helpers/nginx-instance.js';
import { buildTestImage, OPEN_REGISTRY } from '../test/helpers/test-images.js';
import { benchDeployer, benchDocker, benchGlobal, benchInstance } from './bench-env.js';
import { ms, table } from './stats.js';

const RATE = 250; // requests per second, paced
const NPM_PASSWORD = 'bench-npm-password';

interface Sample {
  at: number;
  ok: boolean;
  version?: string | undefined;
}

/**
 * Issue "Nginx Proxy Manager" benchmark: continuous load through a real nginx (configured by
 * the fake NPM from the proxy hosts docker-watcher writes) while a new version is deployed, for
 * docker-watcher's blue-green swap and, in the same run, for a stop-then-start recreate (what
 * Watchtower does) as the baseline.
 */
export async function trafficBench(): Promise<string> {
  const repository = `${benchInstance}/traffic`;
  for (const tag of ['t-1', 't-2', 't-3']) {
    await buildTestImage({ repository, tag, behaviour: 'healthy', instanceId: benchInstance });
  }
  const image = `${OPEN_REGISTRY}/${repository}`;
  const nginx = await startNginx();
  const npm = await startFakeNpm({ nginx, password: NPM_PASSWORD });
  const store = openSqliteStore(':memory:');
  try {
    const config = {
      global: benchGlobal({
        domain: 'bench.test',
        npm: {
          url: npm.url,
          email: 'admin@example.com',
          password_env: 'NPM_PASSWORD',
          forward: 'host' as const,
          forward_host: '127.0.0.1',
          certificate: 'none' as const,
        },
      }),
      projects: {
        web: {
          image,
          port: 8080,
          healthcheck: '/health',
          stages: { dev: { tag_pattern: 't-*', auto_deploy: true } },
        },
      },
    };
    const secrets = { NPM_PASSWORD };
    const probe = benchDeployer(config, { store, secrets });
    const router = createNpmRouter({ loaded: probe.loaded, instanceId: benchInstance, logger: silentLogger });
    const bench = benchDeployer(config, { router, store, secrets });
    const domain = stageDomain(bench.loaded.config, 'web', 'dev');

    await bench.deploy({ project: 'web', stage: 'dev', image, tag: 't-1' });
    const load = paceLoad(nginx.port, domain);
    await sleep(1000);
    const record = await bench.deploy({ project: 'web', stage: 'dev', image, tag: 't-2' });
    await sleep(1000);
    const ours = await load.stop();
    const healthyAt = Date.parse(record.phases.find((p) => p.phase === 'health')?.finishedAt ?? '');
    const switchMs = allOnNewAfter(ours, 'version t-2') - healthyAt;

    // Baseline: Watchtower's recreate. The same nginx and proxy host point at a fixed host port;
    // the old container is stopped and removed, then the new one is created and started on it.
    const port = 20000 + Math.floor(Math.random() * 20000);
    const first = await runFixed(`${image}:t-2`, port, 'a');
    await router.switchTo({
      project: 'web',
      stage: 'dev',
      domain,
      containerName: 'fixed',
      port: 8080,
      hostPort: port,
    });
    await waitHealthy(port);
    const baselineLoad = paceLoad(nginx.port, domain);
    await sleep(1000);
    await first.stop({ t: 2 });
    await first.remove({ force: true });
    const second = await runFixed(`${image}:t-3`, port, 'b');
    await sleep(1500);
    const baseline = await baselineLoad.stop();
    await second.remove({ force: true });

    await bench.deployer.shutdown(30_000);
    const row = (name: string, s: Sample[]) => {
      const seconds = (s.at(-1)!.at - s[0]!.at) / 1000;
      return [name, s.length, (s.length / seconds).toFixed(0), s.filter((x) => !x.ok).length];
    };
    return [
      `### Traffic during a deploy: ${RATE} req/s paced through a real nginx configured via the (fake) NPM API`,
      '',
      table(
        ['strategy', 'requests', 'req/s', 'failed'],
        [row('docker-watcher blue-green', ours), row('stop-then-start recreate (Watchtower)', baseline)],
      ),
      '',
      table(
        ['measure', 'value', 'target'],
        [
          ['failed requests, blue-green', ours.filter((x) => !x.ok).length, '0'],
          ['healthy -> all traffic on the new container', ms(switchMs), ''],
        ],
      ),
    ].join('\n');
  } finally {
    store.close();
    await npm.close();
    await nginx.stop();
  }
}

/** Sends RATE requests per second (each on a fresh connection) until stopped. */
function paceLoad(port: number, host: string) {
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    for (let i = 0; i < RATE / 50; i++) {
      const at = Date.now();
      const p = get(port, host).then(
        (r) => void samples.push({ at, ok: r.status === 200, version: /version (\S+)/.exec(r.body)?.[0] }),
        () => void samples.push({ at, ok: false }),
      );
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  }, 20);
  return {
    async stop(): Promise<Sample[]> {
      clearInterval(timer);
      await Promise.all(pending);
      return samples.sort((a, b) => a.at - b.at);
    },
  };
}

/** Start time of the first request after which every answer came from `version`. */
function allOnNewAfter(samples: Sample[], version: string): number {
  let last = Number.NaN;
  for (const s of samples) {
    if (s.version !== version) last = Number.NaN;
    else if (Number.isNaN(last)) last = s.at;
  }
  return last;
}

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function runFixed(imageRef: string, port: number, suffix: string) {
  const container = await benchDocker.createContainer({
    Image: imageRef,
    name: `${benchInstance}-recreate-${suffix}`,
    Labels: { [LABEL_INSTANCE]: benchInstance },
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
  });
  await container.start();
  return container;
}

async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`baseline container on port ${port} never answered`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
