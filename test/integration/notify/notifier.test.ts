import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { createJsonLogger } from '../../../src/log/logger.js';
import { createNotifier, type Notifier } from '../../../src/notify/notifier.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeDeployer } from '../../fakes/fake-deployer.js';

/** What the loopback receiver got. */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const NTFY_TOKEN = 'ntfy-secret-token-123';
const GOTIFY_TOKEN = 'gotify-app-token-456';
const QUERY_SECRET = 'query-secret-789';

/** A webhook receiver on 127.0.0.1 whose answer per path the test sets (`hang`: never answers). */
class Receiver {
  readonly received: Received[] = [];
  readonly answers = new Map<string, (number | 'hang')[]>();
  #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      this.#answer(path.split('?')[0]!, res);
    });
  });

  #answer(path: string, res: ServerResponse): void {
    const next = this.answers.get(path)?.shift() ?? 200;
    if (next === 'hang') return;
    res.writeHead(next, { 'content-type': 'text/plain' }).end(next < 300 ? 'ok' : 'nope');
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path.split('?')[0] === path);
  }
}

const project = (port: number, extra: object) => ({
  image: '127.0.0.1:5000/acme/app',
  port,
  stages: { dev: { tag_pattern: 'dev-*', auto_deploy: true } },
  ...extra,
});

let receiver: Receiver;
let base: string;
let store: Store;
let notifier: Notifier | undefined;
const logLines: string[] = [];

beforeEach(async () => {
  receiver = new Receiver();
  base = await receiver.start();
  store = openSqliteStore(':memory:');
  logLines.length = 0;
});

afterEach(async () => {
  await notifier?.close();
  notifier = undefined;
  await receiver.stop();
  store.close();
});

function setUp(
  input: ConfigInput,
  options: { timeoutMs?: number; retryDelaysMs?: number[]; clock?: Clock } = {},
) {
  const loaded: LoadedConfig = {
    config: configSchema.parse(input),
    file: '/t/dw.yaml',
    dir: '/t',
    secrets: { NTFY_TOKEN, GOTIFY_TOKEN },
  };
  const clock = new FakeClock();
  notifier = createNotifier({
    loaded,
    clock: options.clock ?? clock,
    logger: createJsonLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    timeoutMs: options.timeoutMs ?? 5_000,
    retryDelaysMs: options.retryDelaysMs ?? [1_000, 2_000],
  });
  const deploys = new FakeDeployer({
    store,
    clock,
    observers: [notifier],
    outcome: (intent) =>
      intent.tag === 'dev-bad' ? { failAt: 'health', message: 'GET / answered 502' } : {},
  });
  return { deploys, notifier, clock };
}

const intent = (project: string, tag: string) => ({
  project,
  stage: 'dev',
  image: '127.0.0.1:5000/acme/app',
  tag,
  trigger: 'ci' as const,
});

describe('notifier against a loopback receiver', () => {
  it('posts each format to its endpoint for started and ended deploys', async () => {
    const { deploys, notifier } = setUp({
      global: {
        public_url: 'https://dw.example.com',
        notification_url: `${base}/json`,
        notification_events: ['succeeded', 'failed'],
      },
      projects: {
        web: project(80, {
          notification_url: `${base}/ntfy/deploys`,
          notification_format: 'ntfy',
          notification_token_env: 'NTFY_TOKEN',
          notification_events: ['started', 'succeeded'],
        }),
        api: project(81, {
          notification_url: `${base}/discord`,
          notification_format: 'discord',
          notification_events: ['failed'],
        }),
        shop: project(82, {
          notification_url: `${base}/slack`,
          notification_format: 'slack',
          notification_events: ['started', 'succeeded'],
        }),
        blog: project(83, {
          notification_url: `${base}/gotify/message`,
          notification_format: 'gotify',
          notification_token_env: 'GOTIFY_TOKEN',
          notification_events: ['started', 'succeeded'],
        }),
      },
    });
    for (const [name, tag] of [
      ['web', 'dev-1'],
      ['api', 'dev-bad'],
      ['shop', 'dev-2'],
      ['blog', 'dev-3'],
    ] as const) {
      await deploys.run(deploys.submit(intent(name, tag)).id);
    }
    await notifier.idle();

    const json = receiver.on('/json').map((r) => JSON.parse(r.body) as { project: string; event: string });
    expect(json.map((n) => [n.project, n.event])).toEqual([
      ['web', 'succeeded'],
      ['api', 'failed'],
      ['shop', 'succeeded'],
      ['blog', 'succeeded'],
    ]);
    expect(json[1]).toMatchObject({
      version: 1,
      status: 'failed',
      tag: 'dev-bad',
      error: { phase: 'health', message: 'GET / answered 502' },
      links: { deploy: expect.stringMatching(/^https:\/\/dw\.example\.com\/deploys\/\S+$/) },
    });
    expect(receiver.on('/json')[0]?.headers.authorization).toBeUndefined();

    const ntfy = receiver.on('/ntfy/deploys');
    expect(ntfy.map((r) => r.headers.title)).toEqual([
      'Deploying dev-1 to web/dev',
      'dev-1 is live on web/dev',
    ]);
    expect(ntfy[1]?.headers).toMatchObject({
      authorization: `Bearer ${NTFY_TOKEN}`,
      tags: 'white_check_mark,web,dev',
      priority: '3',
    });
    expect(ntfy[1]?.body).toContain('Site: http://web-dev.test');

    const discord = receiver.on('/discord').map((r) => JSON.parse(r.body) as { embeds: object[] });
    expect(discord).toHaveLength(1);
    expect(discord[0]?.embeds[0]).toMatchObject({
      color: 0xe74c3c,
      title: '🚨 Deploy of dev-bad to api/dev failed in health',
    });

    const slack = receiver.on('/slack').map((r) => JSON.parse(r.body) as { text: string });
    expect(slack.map((b) => b.text)).toEqual([
      '🚀 Deploying dev-2 to shop/dev',
      '✅ dev-2 is live on shop/dev',
    ]);

    const gotify = receiver.on('/gotify/message');
    expect(gotify.map((r) => r.headers['x-gotify-key'])).toEqual([GOTIFY_TOKEN, GOTIFY_TOKEN]);
    expect(JSON.parse(gotify[1]!.body)).toMatchObject({ priority: 5, title: '✅ dev-3 is live on blog/dev' });
  });

  it('retries after 500s until the receiver takes it', async () => {
    const { deploys, notifier, clock } = setUp({
      global: { notification_url: `${base}/flaky`, notification_events: ['succeeded'] },
      projects: { web: project(80, {}) },
    });
    receiver.answers.set('/flaky', [500, 503]);
    await deploys.run(deploys.submit(intent('web', 'dev-1')).id);
    await notifier.idle();
    const tries = receiver.on('/flaky');
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((r) => r.body)).size).toBe(1);
    expect(clock.slept).toEqual([1_000, 2_000]);
    expect(logLines.some((line) => JSON.parse(line).msg === 'notification delivered after retries')).toBe(
      true,
    );
  });

  it('a receiver that never answers does not hold up the deploy, and is given up', async () => {
    const { deploys, notifier } = setUp(
      {
        global: { notification_url: `${base}/hang`, notification_events: ['started'] },
        projects: { web: project(80, {}) },
      },
      { timeoutMs: 500, retryDelaysMs: [10] },
    );
    receiver.answers.set('/hang', ['hang', 'hang']);
    let idle = false;
    const record = deploys.submit(intent('web', 'dev-1'));
    const finished = await deploys.run(record.id);
    void notifier.idle().then(() => (idle = true));
    expect(finished.status).toBe('succeeded');
    expect(idle).toBe(false);
    await notifier.idle();
    expect(receiver.on('/hang')).toHaveLength(2);
    const last = JSON.parse(logLines.at(-1)!);
    expect(last).toMatchObject({ level: 'error', target: 'global', endpoint: base });
    expect(last.msg).toMatch(/not delivered after 2 tries: the endpoint is down or unreachable/);
    expect(last.reason).toMatch(/timeout|abort/i);
  });

  it('never writes tokens or URL secrets to the log', async () => {
    const { deploys, notifier } = setUp({
      global: {
        notification_url: `${base}/gotify/message?token=${QUERY_SECRET}`,
        notification_format: 'gotify',
        notification_token_env: 'GOTIFY_TOKEN',
      },
      projects: {
        web: project(80, {
          notification_url: `${base}/ntfy/${QUERY_SECRET}`,
          notification_format: 'ntfy',
          notification_token_env: 'NTFY_TOKEN',
        }),
      },
    });
    receiver.answers.set('/gotify/message', [401, 401]);
    receiver.answers.set(`/ntfy/${QUERY_SECRET}`, [500, 500, 500, 500]);
    await deploys.run(deploys.submit(intent('web', 'dev-1')).id);
    await notifier.idle();
    const errors = logLines
      .map((line) => JSON.parse(line) as { level: string; target: string; reason: string })
      .filter((entry) => entry.level === 'error');
    expect(errors.map((e) => [e.target, e.reason])).toEqual(
      expect.arrayContaining([
        ['global', 'HTTP 401 Unauthorized'],
        ['project web', 'HTTP 500 Internal Server Error'],
      ]),
    );
    const log = logLines.join('\n');
    for (const secret of [NTFY_TOKEN, GOTIFY_TOKEN, QUERY_SECRET]) expect(log).not.toContain(secret);
  });

  it('close drops what is still waiting to retry, and later events are ignored', async () => {
    // The real clock: the 60 s pause must be cut short by close, not by a fake.
    const { deploys, notifier } = setUp(
      {
        global: { notification_url: `${base}/down`, notification_events: ['started'] },
        projects: { web: project(80, {}) },
      },
      { retryDelaysMs: [60_000], clock: systemClock },
    );
    receiver.answers.set('/down', [500, 500]);
    await deploys.run(deploys.submit(intent('web', 'dev-1')).id);
    await notifier.close();
    deploys.submit(intent('web', 'dev-2'));
    await deploys.run(deploys.submit(intent('web', 'dev-3')).id);
    await notifier.idle();
    expect(receiver.on('/down').length).toBeLessThanOrEqual(1);
    const dropped = logLines.filter((line) => JSON.parse(line).msg === 'notification dropped at shutdown');
    expect(dropped).toHaveLength(1);
  });
});
