import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployRequestError, sendDeployRequest } from '../../../src/protocol/client.js';
import { deployRequestSchema } from '../../../src/protocol/deploy-request.js';
import { verifyFollowToken } from '../../../src/protocol/follow-token.js';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from '../../../src/protocol/signature.js';
import { listen } from '../../helpers/listening-app.js';
import { webDeployBody } from '../../helpers/signed-request.js';

const SECRET = 'client-secret';
const request = deployRequestSchema.parse(webDeployBody());
const accepted = {
  id: 'd1',
  status: 'queued',
  stage: 'dev',
  urls: { self: 's', events: 'e', dashboard: 'd' },
};

interface Seen {
  delivery: string;
  timestamp: string;
  valid: boolean;
}

describe('sendDeployRequest', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  /** A stand-in app answering with `answers` in turn, recording what it saw. */
  async function server(answers: { status: number; body: unknown }[]) {
    const seen: Seen[] = [];
    const app = new Hono();
    app.post('/api/deploys', async (c) => {
      const raw = await c.req.text();
      const headers = {
        timestamp: c.req.header(TIMESTAMP_HEADER),
        deliveryId: c.req.header(DELIVERY_HEADER),
        signature: c.req.header(SIGNATURE_HEADER),
      };
      seen.push({
        delivery: headers.deliveryId!,
        timestamp: headers.timestamp!,
        valid: verifySignature(SECRET, raw, headers, { method: c.req.method, path: c.req.path }, new Date())
          .ok,
      });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      return c.json(answer.body as object, answer.status as 202);
    });
    const listening = await listen(app);
    close = listening.close;
    return { url: listening.url, seen };
  }

  it('retries 5xx with the same delivery id and a fresh signature each time', async () => {
    const { url, seen } = await server([
      { status: 503, body: {} },
      { status: 502, body: {} },
      { status: 202, body: accepted },
    ]);
    let offset = 0;
    const retries: number[] = [];
    const result = await sendDeployRequest(url, SECRET, request, {
      now: () => new Date(Date.now() + (offset += 1000)),
      baseDelayMs: 1,
      onRetry: (_attempt, _reason, delay) => retries.push(delay),
    });
    expect(result).toEqual(accepted);
    expect(retries).toEqual([1, 2]);
    expect(new Set(seen.map((s) => s.delivery)).size).toBe(1);
    expect(new Set(seen.map((s) => s.timestamp)).size).toBe(3);
    expect(seen.every((s) => s.valid)).toBe(true);
  });

  it('treats 409 with the earlier deploy on a retry as accepted, making its own follow token', async () => {
    const { url } = await server([
      { status: 500, body: {} },
      { status: 409, body: { error: { code: 'replayed_delivery', message: 'seen', deploy: accepted } } },
    ]);
    const result = await sendDeployRequest(url, SECRET, request, { baseDelayMs: 1 });
    expect(result).toMatchObject(accepted);
    expect(verifyFollowToken(SECRET, 'd1', result.followToken!, new Date(), 3 * 3600_000)).toBe(true);
  });

  it("does not retry a 4xx and reports the app's message", async () => {
    const { url, seen } = await server([
      { status: 422, body: { error: { code: 'unprocessable', message: 'tag matches no stage' } } },
    ]);
    const error = await sendDeployRequest(url, SECRET, request, { baseDelayMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployRequestError);
    expect(error).toMatchObject({
      status: 422,
      code: 'unprocessable',
      message: expect.stringContaining('tag matches no stage'),
    });
    expect(seen).toHaveLength(1);
  });

  it('gives up after the retries with the network error', async () => {
    const { url } = await server([]);
    await close!();
    close = undefined;
    const error = await sendDeployRequest(url, SECRET, request, { retries: 2, baseDelayMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      message: expect.stringMatching(/could not reach.*ECONNREFUSED.*gave up after 3 tries/),
    });
  });
});
