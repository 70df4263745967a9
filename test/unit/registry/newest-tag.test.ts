import { describe, expect, it } from 'vitest';
import { compareVersionTags, ordersByVersion, pickNewest } from '../../../src/registry/newest-tag.js';
import { MAX_BACKOFF_FACTOR, nextPollDelayMs } from '../../../src/registry/poll-schedule.js';

const sorted = (tags: string[]) => [...tags].sort(compareVersionTags);

describe('newest tag', () => {
  it('orders v tags by semantic version, pre-releases below their release', () => {
    expect(
      sorted(['v1.10.0', 'v1.9.3', 'v1.2.0-rc.10', 'v1.2.0', 'v1.2.0-rc.2', 'v1.2.0-beta', 'vnext', 'v2']),
    ).toEqual(['vnext', 'v1.2.0-beta', 'v1.2.0-rc.2', 'v1.2.0-rc.10', 'v1.2.0', 'v1.9.3', 'v1.10.0', 'v2']);
    expect(compareVersionTags('v1.10.0', 'v1.9.3')).toBeGreaterThan(0);
    expect(compareVersionTags('v1.2.0', 'v1.2.0-rc.1')).toBeGreaterThan(0);
    expect(compareVersionTags('v1.2.0-rc.10', 'v1.2.0-rc.2')).toBeGreaterThan(0);
    expect(compareVersionTags('v1.2.0-rc.1', 'v1.2.0-beta')).toBeGreaterThan(0);
    expect(compareVersionTags('vnext', 'v0.0.1')).toBeLessThan(0);
  });

  it('picks by version for v patterns and by push time otherwise', () => {
    expect(ordersByVersion('v*')).toBe(true);
    expect(ordersByVersion('dev-*')).toBe(false);
    const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);
    const candidates = [
      { tag: 'v1.9.3', digest: 'a', pushedAt: at(30) },
      { tag: 'v1.10.0', digest: 'b', pushedAt: at(10) },
      { tag: 'v1.10.0-rc.1', digest: 'c', pushedAt: at(20) },
    ];
    expect(pickNewest(candidates, true)?.tag).toBe('v1.10.0');
    expect(pickNewest(candidates, false)?.tag).toBe('v1.9.3');
    // Same build time: the higher number wins (dev-10 > dev-9), an unknown time loses.
    expect(
      pickNewest(
        [
          { tag: 'dev-9', digest: 'a', pushedAt: at(5) },
          { tag: 'dev-10', digest: 'b', pushedAt: at(5) },
          { tag: 'dev-11', digest: 'c' },
        ],
        false,
      )?.tag,
    ).toBe('dev-10');
    expect(pickNewest([], false)).toBeUndefined();
  });
});

describe('poll schedule', () => {
  it('spreads the interval by at most 10% and backs off doubling up to ten intervals', () => {
    expect(nextPollDelayMs(60_000, 0, () => 0.5)).toBe(60_000);
    expect(nextPollDelayMs(60_000, 0, () => 0)).toBe(54_000);
    expect(nextPollDelayMs(60_000, 0, () => 0.999999)).toBeCloseTo(66_000, -1);
    expect([1, 2, 3, 4, 9].map((failures) => nextPollDelayMs(1000, failures, () => 0.5))).toEqual([
      2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(MAX_BACKOFF_FACTOR).toBe(10);
  });
});
