import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJsonLogger } from '../../../src/log/logger.js';
import { appFixture, GLOBAL_SECRET } from '../../fakes/app-fixture.js';
import { signedPost, webDeployBody } from '../../helpers/signed-request.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function loggedApp() {
  const lines: Record<string, unknown>[] = [];
  const { app } = appFixture({
    logger: createJsonLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  return { app, lines };
}

const refusedPost = () => signedPost('not-the-secret', webDeployBody());

describe('the request log during a burst of refused requests', () => {
  it('logs the first refusal in full, then one summary line per 10 s window, then stops when quiet', async () => {
    const { app, lines } = loggedApp();
    for (let i = 0; i < 50; i++) expect((await app.request('/api/deploys', refusedPost())).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await app.request('/api/version')).status).toBe(401);
    expect(lines).toEqual([expect.objectContaining({ msg: 'request', status: 401, path: '/api/deploys' })]);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      level: 'warn',
      msg: 'requests refused',
      count: 49 + 3,
      statuses: { '401': 52 },
      paths: { '/api/deploys': 49, '/api/version': 3 },
    });

    // A quiet window ends the burst without a line; the next refusal is logged in full again.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lines).toHaveLength(2);
    await app.request('/api/deploys', refusedPost());
    expect(lines[2]).toMatchObject({ msg: 'request', status: 401 });
  });

  it('still logs every accepted request on its own line during a burst', async () => {
    const { app, lines } = loggedApp();
    await app.request('/api/deploys', refusedPost());
    await app.request('/api/deploys', refusedPost());
    expect((await app.request('/api/deploys', signedPost(GLOBAL_SECRET, webDeployBody()))).status).toBe(202);
    expect(lines.map((line) => line['status'])).toEqual([401, 202]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lines[2]).toMatchObject({ msg: 'requests refused', count: 1 });
  });
});
