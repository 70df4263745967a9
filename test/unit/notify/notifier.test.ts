import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/loaded-config.js';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import type { DeployEvent, DeployStatus } from '../../../src/core/deploy-types.js';
import { DEFAULT_RETRY_DELAYS_MS, deliver, endpointForLog } from '../../../src/notify/deliver.js';
import { notificationEventOf } from '../../../src/notify/notifier.js';
import { notifyTargets } from '../../../src/notify/targets.js';
import { createJsonLogger, silentLogger } from '../../../src/log/logger.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { succeededRecord } from './notify-records.js';

function loaded(input: ConfigInput, secrets: Record<string, string> = {}): LoadedConfig {
  return { config: configSchema.parse(input), file: '/t/dw.yaml', dir: '/t', secrets };
}

const project = { image: 'r/web', port: 80, stages: { dev: { tag_pattern: 'dev-*' } } };

describe('notifyTargets', () => {
  it('sends to the global and the project URL, each with its own format and token', () => {
    const config = loaded(
      {
        global: {
          notification_url: 'https://ntfy.test/all',
          notification_format: 'ntfy',
          notification_token_env: 'NTFY',
        },
        projects: {
          web: {
            ...project,
            notification_url: 'https://g.test/message',
            notification_format: 'gotify',
            notification_token_env: 'GOTIFY',
          },
          api: { ...project, notification_url: 'https://hooks.test/api' },
        },
      },
      { NTFY: 'n-secret\n', GOTIFY: 'g-secret' },
    );
    expect(notifyTargets(config, 'web', 'failed')).toEqual([
      { name: 'global', url: 'https://ntfy.test/all', format: 'ntfy', token: 'n-secret' },
      { name: 'project web', url: 'https://g.test/message', format: 'gotify', token: 'g-secret' },
    ]);
    // The project inherits the global format but never the global token.
    expect(notifyTargets(config, 'api', 'started')[1]).toEqual({
      name: 'project api',
      url: 'https://hooks.test/api',
      format: 'ntfy',
    });
  });

  it('filters by event lists and posts once to a URL configured twice', () => {
    const config = loaded({
      global: { notification_url: 'https://hooks.test/x', notification_events: ['failed'] },
      projects: {
        web: {
          ...project,
          notification_url: 'https://hooks.test/x',
          notification_events: ['failed', 'succeeded'],
        },
        api: { ...project },
      },
    });
    expect(notifyTargets(config, 'web', 'succeeded').map((t) => t.name)).toEqual(['project web']);
    expect(notifyTargets(config, 'web', 'failed').map((t) => t.name)).toEqual(['global']);
    expect(notifyTargets(config, 'api', 'started')).toEqual([]);
    expect(notifyTargets(config, 'unknown', 'failed').map((t) => t.name)).toEqual(['global']);
  });
});

describe('notificationEventOf', () => {
  const event = (status: DeployStatus | undefined, type: DeployEvent['type'] = 'status'): DeployEvent => ({
    deployId: 'd1',
    seq: 1,
    at: '2025-01-01T00:00:00.000Z',
    type,
    level: 'info',
    message: 'x',
    ...(status ? { status } : {}),
  });
  it('maps status events to notification events', () => {
    const record = succeededRecord();
    const rollback = succeededRecord({ intent: { ...record.intent, trigger: 'rollback' } });
    expect(notificationEventOf(event('running'), record, false)).toBe('started');
    expect(notificationEventOf(event('running'), record, true)).toBeUndefined();
    expect(notificationEventOf(event('succeeded'), record, true)).toBe('succeeded');
    expect(notificationEventOf(event('succeeded'), rollback, true)).toBe('rolled_back');
    expect(notificationEventOf(event('failed'), record, true)).toBe('failed');
    expect(notificationEventOf(event('interrupted'), record, true)).toBe('failed');
    expect(notificationEventOf(event('awaiting_approval'), record, false)).toBe('awaiting_approval');
    for (const status of ['queued', 'superseded', 'cancelled'] as const) {
      expect(notificationEventOf(event(status), record, true)).toBeUndefined();
    }
    expect(notificationEventOf(event(undefined, 'phase'), record, true)).toBeUndefined();
  });
});

describe('deliver', () => {
  const request = { url: 'https://user:pw@hooks.test/secret-path?token=q', headers: {}, body: '{}' };
  const answers = (...statuses: (number | Error)[]) => {
    const calls: string[] = [];
    const fetch = (async (url: string) => {
      calls.push(url);
      const next = statuses.shift() ?? 200;
      if (next instanceof Error) throw next;
      return new Response('nope', { status: next, headers: next === 429 ? { 'retry-after': '90' } : {} });
    }) as typeof globalThis.fetch;
    return { calls, fetch };
  };
  const options = (fetch: typeof globalThis.fetch, clock: FakeClock, lines: string[] = []) => ({
    fetch,
    clock,
    logger: createJsonLogger({ level: 'debug', write: (line) => lines.push(line) }),
    timeoutMs: 1000,
    retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
    signal: new AbortController().signal,
    target: 'global',
  });

  it('retries 5xx, 429 (honouring Retry-After) and network errors, then succeeds', async () => {
    const clock = new FakeClock();
    const { calls, fetch } = answers(500, 429, new TypeError('fetch failed'), 200);
    expect(await deliver(request, options(fetch, clock))).toBe(true);
    expect(calls).toHaveLength(4);
    expect(clock.slept).toEqual([5_000, 90_000, 30_000]);
  });

  it('gives up after 5 tries over about two minutes and logs no secret', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const { calls, fetch } = answers(503, 503, 503, 503, 503, 200);
    expect(await deliver(request, options(fetch, clock, lines))).toBe(false);
    expect(calls).toHaveLength(5);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(110_000);
    const last = JSON.parse(lines.at(-1)!);
    expect(last).toMatchObject({
      level: 'error',
      target: 'global',
      endpoint: 'https://hooks.test',
      reason: 'HTTP 503',
    });
    expect(last.msg).toMatch(/not delivered after 5 tries/);
    expect(lines.join('\n')).not.toMatch(/pw|secret-path|token=q/);
  });

  it('does not retry a refusal (4xx): the config is wrong', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const { calls, fetch } = answers(404);
    expect(await deliver(request, options(fetch, clock, lines))).toBe(false);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(lines.at(-1)!).msg).toMatch(
      /after 1 try: the endpoint refused it; check notification_url/,
    );
  });

  it('stops waiting when aborted', async () => {
    const clock = new FakeClock();
    const abort = new AbortController();
    const { fetch } = answers(500, 500, 500);
    abort.abort();
    expect(
      await deliver(request, { ...options(fetch, clock), logger: silentLogger, signal: abort.signal }),
    ).toBe(false);
  });

  it('scrubs header values and the URL from error messages that quote them', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const leaky = { ...request, headers: { Authorization: 'Bearer tok-en\n' } };
    const fetch = (async () => {
      throw new TypeError(`Headers.append: "Bearer tok-en\n" is an invalid header value for ${request.url}`);
    }) as typeof globalThis.fetch;
    const delivery = deliver(leaky, { ...options(fetch, clock, lines), retryDelaysMs: [] });
    expect(await delivery).toBe(false);
    expect(JSON.parse(lines.at(-1)!).reason).toBe(
      'Headers.append: "[redacted]" is an invalid header value for [redacted]',
    );
    expect(lines.join('\n')).not.toMatch(/tok-en|secret-path|pw/);
  });

  it('logs only scheme and host of an endpoint', () => {
    expect(endpointForLog('https://u:p@discord.com/api/webhooks/1/tok?x=1')).toBe('https://discord.com');
    expect(endpointForLog('not a url')).toBe('(invalid URL)');
  });
});
