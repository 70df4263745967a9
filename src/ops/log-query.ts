import { ValidationError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a request for a stage's log asks for. */
export interface LogQuery {
  tail?: number;
  since?: Date;
  follow: boolean;
}

/**
 * `since` as `docker logs --since` takes it: a duration back from now (90s, 10m, 2h, 1d), an
 * RFC 3339 time, or seconds since the epoch.
 */
export function parseSince(text: string, now: Date): Date {
  const value = text.trim();
  const duration = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value);
  if (duration) return new Date(now.getTime() - Number(duration[1]) * (UNIT_MS[duration[2] ?? 's'] ?? 1000));
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ValidationError(
    `since "${text}" is not a time: use a duration such as 10m or 2h, an RFC 3339 time, or Unix seconds`,
  );
}

/** Parses ?tail=&since=&follow= of the logs route (and the CLI's flags of the same names). */
export function parseLogQuery(query: Record<string, string | undefined>, now: Date): LogQuery {
  const result: LogQuery = { follow: false };
  const { tail, since, follow } = query;
  if (tail !== undefined && tail !== '' && tail !== 'all') {
    if (!/^\d{1,7}$/.test(tail))
      throw new ValidationError(`tail "${tail}" is not a number of lines: use e.g. tail=100, or tail=all`);
    result.tail = Number(tail);
  }
  if (since !== undefined && since !== '') result.since = parseSince(since, now);
  if (follow !== undefined) {
    if (!['', '1', 'true', '0', 'false'].includes(follow))
      throw new ValidationError(`follow "${follow}" is not a yes or no: use follow=true or follow=false`);
    result.follow = follow === '' || follow === '1' || follow === 'true';
  }
  return result;
}
