import { describe, expect, it } from 'vitest';
import { API_TOKEN, appFixture } from '../../fakes/app-fixture.js';

const HINT = 'No DOCKER_WATCHER_TOKEN was set, so the app generated a token: it is in /data/credentials.json';

describe('login page: where the token is', () => {
  it('shows the hint the root passes when the token was generated, on the page and after a refusal', async () => {
    const { app } = appFixture({ loginHint: HINT });
    expect(await (await app.request('/login')).text()).toContain(HINT);
    const refused = await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ token: 'wrong', next: '/' }).toString(),
    });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain(HINT);
  });

  it('shows none when the token was set, and never on pages behind the login', async () => {
    expect(await (await appFixture().app.request('/login')).text()).not.toContain('login-hint');
    const { app } = appFixture({ loginHint: HINT });
    const login = await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ token: API_TOKEN, next: '/' }).toString(),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(await (await app.request('/', { headers: { cookie } })).text()).not.toContain(HINT);
  });
});
