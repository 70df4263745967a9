import { describe, expect, it } from 'vitest';
import { safeNext } from '../../../app/dashboard/form-body.js';
import { API_TOKEN, appFixture } from '../../fakes/app-fixture.js';

const ORIGIN = 'http://localhost';
const CONTROL = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, 0x85, 0x9f].map((code) =>
  String.fromCharCode(code),
);

async function loginWithNext(next: string) {
  const { app } = appFixture();
  const res = await app.request('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    body: new URLSearchParams({ token: API_TOKEN, next }).toString(),
  });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return { app, res, cookie };
}

describe('login redirect (next) stays on this site', () => {
  it.each(CONTROL.map((char) => [char.charCodeAt(0).toString(16), char]))(
    'refuses control character 0x%s anywhere in next, on POST and GET (never a 500)',
    async (_hex, char) => {
      for (const next of [`/${char}/evil.example/phish`, `${char}//evil.example`, `/projects${char}`]) {
        const { app, res, cookie } = await loginWithNext(next);
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/');
        const get = await app.request(`/login?next=${encodeURIComponent(next)}`, { headers: { cookie } });
        expect(get.status).toBe(302);
        expect(get.headers.get('location')).toBe('/');
      }
    },
  );

  it.each([
    '/%09/evil.example',
    '/%2F/evil.example',
    '/.//evil.example',
    '/..//evil.example',
    '/\\evil.example',
    'https://evil.example/',
    '//evil.example/',
    '/\u2028/evil.example',
    'javascript:alert(1)',
  ])('keeps %j on this origin', async (next) => {
    const { res } = await loginWithNext(next);
    const location = res.headers.get('location')!;
    expect(location.startsWith('/')).toBe(true);
    expect(location.startsWith('//')).toBe(false);
    expect(new URL(location, 'http://localhost').origin).toBe('http://localhost');
    expect([...location].every((char) => char > ' ' && char !== '\\')).toBe(true);
  });

  it('passes a plain path with query and fragment through', () => {
    expect(safeNext('/deploys/abc?x=1#log')).toBe('/deploys/abc?x=1#log');
    expect(safeNext('/projects/web/stages/dev')).toBe('/projects/web/stages/dev');
    expect(safeNext('/./a/../b')).toBe('/b');
    expect(safeNext('/' + 'a'.repeat(600))).toBe('/');
  });
});
