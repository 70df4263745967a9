import { describe, expect, it } from 'vitest';
import {
  DELIVERY_HEADER,
  MAX_SKEW_SECONDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  beginVerify,
  signRequest,
  verifySignature,
  type ReceivedSignature,
} from '../../../src/protocol/signature.js';

const SECRET = 'test-secret';
const NOW = new Date('2025-06-01T12:00:00Z');
const DELIVERY = '0b8a3c1e-5f7d-4e2a-9c6b-1d2e3f4a5b6c';
const BODY = '{"project":"web","tag":"dev-1"}';
const ROUTE = { method: 'POST', path: '/api/deploys' };
const SIGNED = { ...ROUTE, key: 'web', now: NOW, deliveryId: DELIVERY };

function received(headers: ReturnType<typeof signRequest>): ReceivedSignature {
  return {
    timestamp: headers[TIMESTAMP_HEADER],
    deliveryId: headers[DELIVERY_HEADER],
    signature: headers[SIGNATURE_HEADER],
  };
}

describe('signRequest / verifySignature', () => {
  const headers = signRequest(SECRET, BODY, SIGNED);

  it('signs timestamp, delivery id and raw body, and verifies its own signature', () => {
    expect(headers[TIMESTAMP_HEADER]).toBe(String(NOW.getTime() / 1000));
    expect(headers[SIGNATURE_HEADER]).toMatch(/^v2,key=web,sha256=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, BODY, received(headers), ROUTE, NOW)).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      timestamp: NOW.getTime() / 1000,
      key: 'web',
    });
    expect(verifySignature(SECRET, new TextEncoder().encode(BODY), received(headers), ROUTE, NOW).ok).toBe(
      true,
    );
  });

  it('refuses a wrong secret', () => {
    const result = verifySignature('other-secret', BODY, received(headers), ROUTE, NOW);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('does not match') });
  });

  it('refuses a tampered body, even one that parses to the same JSON', () => {
    expect(verifySignature(SECRET, BODY.replace('dev-1', 'dev-2'), received(headers), ROUTE, NOW).ok).toBe(
      false,
    );
    expect(verifySignature(SECRET, BODY.replace(',', ', '), received(headers), ROUTE, NOW).ok).toBe(false);
  });

  it('refuses a changed delivery id or timestamp', () => {
    const other = { ...received(headers), deliveryId: DELIVERY.replace('0b8a', '1b8a') };
    expect(verifySignature(SECRET, BODY, other, ROUTE, NOW).ok).toBe(false);
    const later = String(Number(headers[TIMESTAMP_HEADER]) + 1);
    expect(verifySignature(SECRET, BODY, { ...received(headers), timestamp: later }, ROUTE, NOW).ok).toBe(
      false,
    );
  });

  it('binds the signature to the method, the path with its query, and the key', () => {
    for (const route of [
      { method: 'GET', path: '/api/deploys' },
      { method: 'POST', path: '/api/projects/web/stages/prod/deploy' },
      { method: 'POST', path: '/api/deploys?x=1' },
      { method: 'POST', path: '/api/deploys/' },
    ]) {
      expect(verifySignature(SECRET, BODY, received(headers), route, NOW)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('signed for this method and path'),
      });
    }
    const otherKey = {
      ...received(headers),
      signature: headers[SIGNATURE_HEADER].replace('key=web', 'key=shop'),
    };
    expect(verifySignature(SECRET, BODY, otherKey, ROUTE, NOW).ok).toBe(false);
    expect(
      verifySignature(SECRET, BODY, received(headers), { method: 'post', path: '/api/deploys' }, NOW).ok,
    ).toBe(true);
  });

  it('refuses stale and future timestamps, accepting the edge of the window', () => {
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    expect(verifySignature(SECRET, BODY, received(headers), ROUTE, at(MAX_SKEW_SECONDS)).ok).toBe(true);
    const stale = verifySignature(SECRET, BODY, received(headers), ROUTE, at(MAX_SKEW_SECONDS + 1));
    expect(stale).toMatchObject({ ok: false, reason: expect.stringContaining('301 s away') });
    const future = verifySignature(SECRET, BODY, received(headers), ROUTE, at(-(MAX_SKEW_SECONDS + 60)));
    expect(future).toMatchObject({ ok: false, reason: expect.stringContaining('360 s away') });
  });

  it.each([
    ['missing signature', { signature: undefined }, 'missing'],
    ['no version', { signature: 'a'.repeat(64) }, 'must be "v2,key=<project>'],
    ['the old v1 scheme', { signature: 'sha256=' + 'a'.repeat(64) }, 'old scheme'],
    ['other algorithm', { signature: 'v2,key=web,sha1=' + 'a'.repeat(40) }, 'must be "v2,key=<project>'],
    ['key not a project name', { signature: 'v2,key=../x,sha256=' + 'a'.repeat(64) }, 'must be "v2'],
    ['not hex', { signature: 'v2,key=web,sha256=' + 'z'.repeat(64) }, '64 hex'],
    ['timestamp not a number', { timestamp: '12:00' }, 'unix seconds'],
    ['delivery not a uuid', { deliveryId: 'abc' }, 'UUID'],
  ])('refuses a malformed header: %s', (_name, change, reason) => {
    const result = verifySignature(SECRET, BODY, { ...received(headers), ...change }, ROUTE, NOW);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('refuses a signature of the wrong length before comparing', () => {
    const hex = headers[SIGNATURE_HEADER].slice('v2,key=web,sha256='.length);
    for (const signature of [`v2,key=web,sha256=${hex.slice(0, 62)}`, `v2,key=web,sha256=${hex}00`]) {
      const result = verifySignature(SECRET, BODY, { ...received(headers), signature }, ROUTE, NOW);
      expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('64 hex') });
    }
  });

  it('never verifies against an empty secret', () => {
    const signed = signRequest('x', BODY, SIGNED);
    expect(verifySignature('', BODY, received(signed), ROUTE, NOW).ok).toBe(false);
    expect(() => signRequest('', BODY, SIGNED)).toThrow(/secret is empty/);
  });
});

describe('beginVerify: the body fed as it arrives', () => {
  const bytes = new TextEncoder().encode(BODY);
  const headers = signRequest(SECRET, bytes, SIGNED);

  it('verifies a body fed in chunks the same as whole, and refuses a chunk changed on the way', () => {
    const check = beginVerify(SECRET, received(headers), ROUTE, NOW);
    for (let i = 0; i < bytes.length; i += 5) check.update(bytes.subarray(i, i + 5));
    expect(check.finish()).toEqual(verifySignature(SECRET, bytes, received(headers), ROUTE, NOW));
    expect(check.finish()).toMatchObject({ ok: true, key: 'web' });

    const tampered = beginVerify(SECRET, received(headers), ROUTE, NOW);
    tampered.update(bytes.subarray(0, 10));
    tampered.update(new TextEncoder().encode(BODY.slice(10).replace('dev-1', 'dev-2')));
    expect(tampered.finish()).toMatchObject({ ok: false, reason: expect.stringContaining('does not match') });
  });

  it('gives a header that is already wrong as its reason once the body is fed, hashing nothing', () => {
    const check = beginVerify(SECRET, { ...received(headers), deliveryId: 'not-a-uuid' }, ROUTE, NOW);
    check.update(bytes);
    expect(check.finish()).toEqual({ ok: false, reason: `${DELIVERY_HEADER} must be a UUID` });
  });

  it('refuses more body after the result is known', () => {
    const check = beginVerify(SECRET, received(headers), ROUTE, NOW);
    check.update(bytes);
    check.finish();
    expect(() => check.update(bytes)).toThrow(/finished/);
  });
});
