import { describe, expect, it } from 'vitest';
import { createFollowToken, isFollowToken, verifyFollowToken } from '../../../src/protocol/follow-token.js';

describe('follow tokens', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const expires = new Date(now.getTime() + 60_000);
  const token = createFollowToken('secret', 'deploy-1', expires);

  it('is valid for its deploy until it expires', () => {
    expect(isFollowToken(token)).toBe(true);
    expect(verifyFollowToken('secret', 'deploy-1', token, now)).toBe(true);
    expect(verifyFollowToken('secret', 'deploy-1', token, new Date(expires.getTime() + 1000))).toBe(false);
  });

  it('is not valid for another deploy, another secret, or when altered', () => {
    expect(verifyFollowToken('secret', 'deploy-2', token, now)).toBe(false);
    expect(verifyFollowToken('other', 'deploy-1', token, now)).toBe(false);
    const [version, exp, mac] = token.split('.');
    expect(verifyFollowToken('secret', 'deploy-1', `${version}.${Number(exp) + 3600}.${mac}`, now)).toBe(
      false,
    );
    expect(verifyFollowToken('secret', 'deploy-1', `${version}.${exp}.${mac!.slice(2)}`, now)).toBe(false);
  });
});
