import { describe, expect, it } from 'vitest';
import {
  checkCsrf,
  createSession,
  csrfToken,
  SESSION_TTL_MS,
  verifySession,
} from '../../../app/dashboard/session.js';
import { createLoginThrottle } from '../../../app/http/login-throttle.js';
import { safeHref, sourceLinks } from '../../../app/dashboard/format.js';
import { safeNext } from '../../../app/dashboard/form-body.js';

const TOKEN = 'dashboard-token-for-tests';
const now = new Date('2025-01-01T00:00:00Z');

describe('dashboard session', () => {
  it('signs a random session that does not contain the token and verifies until it expires', () => {
    const { session, value } = createSession(TOKEN, now);
    expect(value).not.toContain(TOKEN);
    expect(createSession(TOKEN, now).session.id).not.toBe(session.id);
    expect(verifySession(TOKEN, value, now)).toEqual(session);
    expect(session.expiresAt.getTime() - now.getTime()).toBe(SESSION_TTL_MS);
    expect(verifySession(TOKEN, value, new Date(now.getTime() + SESSION_TTL_MS - 1000))).toBeDefined();
    expect(verifySession(TOKEN, value, new Date(now.getTime() + SESSION_TTL_MS))).toBeUndefined();
  });

  it('refuses a cookie signed with another token, altered, or malformed', () => {
    const { value } = createSession(TOKEN, now);
    expect(verifySession('another-token', value, now)).toBeUndefined();
    const [v, id, expiry, mac] = value.split('.');
    expect(verifySession(TOKEN, `${v}.${id}.${Number(expiry) + 3600}.${mac}`, now)).toBeUndefined();
    expect(verifySession(TOKEN, `${v}.${id}x.${expiry}.${mac}`, now)).toBeUndefined();
    for (const bad of [undefined, '', 'v1', `${value}.extra`, `v2.${id}.${expiry}.${mac}`, TOKEN]) {
      expect(verifySession(TOKEN, bad, now)).toBeUndefined();
    }
  });

  it('binds CSRF tokens to the session and the token', () => {
    const a = createSession(TOKEN, now).session;
    const b = createSession(TOKEN, now).session;
    const csrf = csrfToken(TOKEN, a.id);
    expect(checkCsrf(TOKEN, a.id, csrf)).toBe(true);
    expect(checkCsrf(TOKEN, b.id, csrf)).toBe(false);
    expect(checkCsrf('another-token', a.id, csrf)).toBe(false);
    expect(checkCsrf(TOKEN, a.id, null)).toBe(false);
    expect(checkCsrf(TOKEN, a.id, '')).toBe(false);
  });
});

describe('login throttle', () => {
  it('locks an address out after too many failures until the window ends, others not', () => {
    const throttle = createLoginThrottle({ maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterMs('10.0.0.1', now)).toBe(0);
      throttle.failed('10.0.0.1', now);
    }
    expect(throttle.retryAfterMs('10.0.0.1', new Date(now.getTime() + 1000))).toBe(59_000);
    expect(throttle.retryAfterMs('10.0.0.2', now)).toBe(0);
    expect(throttle.retryAfterMs('10.0.0.1', new Date(now.getTime() + 60_000))).toBe(0);
    throttle.failed('10.0.0.2', now);
    throttle.succeeded('10.0.0.2');
    expect(throttle.retryAfterMs('10.0.0.2', now)).toBe(0);
  });
});

describe('link and redirect safety', () => {
  it('keeps only http(s) links and same-app redirect targets', () => {
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('data:text/html,x')).toBeUndefined();
    expect(safeHref('https://ci.example/run/1')).toBe('https://ci.example/run/1');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('/deploys/abc')).toBe('/deploys/abc');
  });

  it('links a GitHub and a Gitea source to commit, pull request and run', () => {
    const base = {
      repository: 'alexei/web',
      sha: 'a'.repeat(40),
      pr: 7,
      runUrl: 'https://github.com/alexei/web/actions/runs/1',
    };
    expect(sourceLinks({ ...base, forge: 'github', serverUrl: 'https://github.com' })).toEqual({
      commit: `https://github.com/alexei/web/commit/${'a'.repeat(40)}`,
      pr: 'https://github.com/alexei/web/pull/7',
      run: 'https://github.com/alexei/web/actions/runs/1',
    });
    expect(sourceLinks({ ...base, forge: 'gitea', serverUrl: 'http://gitea.local:3000/' }).pr).toBe(
      'http://gitea.local:3000/alexei/web/pulls/7',
    );
    expect(
      sourceLinks({ ...base, forge: 'github', serverUrl: 'javascript:x', runUrl: 'javascript:y' }),
    ).toEqual({});
  });
});
