import { describe, expect, it } from 'vitest';
import { createFollowToken, isFollowToken, verifyFollowToken } from '../../../src/protocol/follow-token.js';

const DAY = 24 * 3600_000;

describe('follow tokens', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const expires = new Date(now.getTime() + 60_000);
  const token = createFollowToken('secret', 'deploy-1', expires);

  it('is valid for its deploy until it expires', () => {
    expect(isFollowToken(token)).toBe(true);
    expect(verifyFollowToken('secret', 'deploy-1', token, now, DAY)).toBe(true);
    expect(verifyFollowToken('secret', 'deploy-1', token, new Date(expires.getTime() + 1000), DAY)).toBe(
      false,
    );
  });

  it('is not valid for another deploy, another secret, or when altered', () => {
    expect(verifyFollowToken('secret', 'deploy-2', token, now, DAY)).toBe(false);
    expect(verifyFollowToken('other', 'deploy-1', token, now, DAY)).toBe(false);
    const [version, exp, mac] = token.split('.');
    expect(verifyFollowToken('secret', 'deploy-1', `${version}.${Number(exp) + 3600}.${mac}`, now, DAY)).toBe(
      false,
    );
    expect(verifyFollowToken('secret', 'deploy-1', `${version}.${exp}.${mac!.slice(2)}`, now, DAY)).toBe(
      false,
    );
  });

  it('is refused when its expiry lies further ahead than the lifetime the verifier allows', () => {
    const forever = createFollowToken('secret', 'deploy-1', new Date('2999-01-01T00:00:00Z'));
    expect(verifyFollowToken('secret', 'deploy-1', forever, now, DAY)).toBe(false);
    expect(verifyFollowToken('secret', 'deploy-1', token, now, 59_000)).toBe(false);
    expect(verifyFollowToken('secret', 'deploy-1', token, now, 60_000)).toBe(true);
  });
});
