import { describe, expect, it } from 'vitest';
import { parseLogQuery, parseSince } from '../../../src/ops/log-query.js';

const now = new Date('2024-05-01T12:00:00Z');

describe('log query', () => {
  it('takes since as a duration, an RFC 3339 time or Unix seconds', () => {
    expect(parseSince('10m', now).toISOString()).toBe('2024-05-01T11:50:00.000Z');
    expect(parseSince('2h', now).toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(parseSince('2024-05-01T11:00:00Z', now).toISOString()).toBe('2024-05-01T11:00:00.000Z');
    expect(parseSince('1714561200', now).toISOString()).toBe('2024-05-01T11:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/since "yesterday" is not a time.*10m/);
  });

  it('parses tail and follow, naming a bad value', () => {
    expect(parseLogQuery({ tail: '5', follow: 'true' }, now)).toEqual({ tail: 5, follow: true });
    expect(parseLogQuery({ tail: 'all' }, now)).toEqual({ follow: false });
    expect(() => parseLogQuery({ tail: '-1' }, now)).toThrow(/tail "-1"/);
    expect(() => parseLogQuery({ follow: 'maybe' }, now)).toThrow(/follow "maybe"/);
  });
});
