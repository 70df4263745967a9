import type { DeploySource } from '../../src/core/deploy-types.js';

/** `2024-05-01 12:00:03 UTC` */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago` (or `in ...` for a time ahead of `now`). */
export function timeAgo(iso: string, now: Date): string {
  const ms = now.getTime() - new Date(iso).getTime();
  if (Number.isNaN(ms)) return '';
  const seconds = Math.round(Math.abs(ms) / 1000);
  const span =
    seconds < 60
      ? `${seconds} s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)} min`
        : seconds < 86_400
          ? `${Math.floor(seconds / 3600)} h`
          : `${Math.floor(seconds / 86_400)} d`;
  return ms >= 0 ? `${span} ago` : `in ${span}`;
}

/** `0.4 s`, `12 s`, `2 min 5 s` between two instants; empty while `end` is unknown. */
export function formatDuration(startIso: string | undefined, endIso: string | undefined): string {
  if (!startIso || !endIso) return '';
  const ms = new Date(endIso).getTime() - new Date(startIso).getTime();
  if (Number.isNaN(ms) || ms < 0) return '';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * How long a deploy took, in words that fit how it ended: `12 s`, or `ran 25 s, then interrupted`
 * for one the app's restart or shutdown cut short (it did not "take" that long).
 */
export function tookOrRan(
  deploy: { status: string; startedAt?: string | undefined; finishedAt?: string | undefined },
  start = deploy.startedAt,
): string {
  const span = formatDuration(start, deploy.finishedAt);
  if (!span || deploy.status !== 'interrupted') return span;
  return `ran ${span}, then interrupted`;
}

/** The first 12 hex digits of a `sha256:` digest. */
export function shortDigest(digest: string | undefined): string {
  if (!digest) return '';
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * `url` when it is an http(s) URL, else undefined: values from deploy requests end up in
 * href attributes, where escaping alone does not stop `javascript:`.
 */
export function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** Links to the commit, pull request and CI run a deploy came from, where they can be made. */
export function sourceLinks(source: DeploySource): { commit?: string; pr?: string; run?: string } {
  const base = safeHref(source.serverUrl)?.replace(/\/+$/, '');
  const repo = /^[^/\s]+\/[^/\s]+$/.test(source.repository) ? source.repository : undefined;
  const links: { commit?: string; pr?: string; run?: string } = {};
  if (base && repo && /^[0-9a-f]{7,64}$/i.test(source.sha))
    links.commit = `${base}/${repo}/commit/${source.sha}`;
  if (base && repo && source.pr !== undefined && Number.isInteger(source.pr)) {
    links.pr = `${base}/${repo}/${source.forge === 'gitea' ? 'pulls' : 'pull'}/${source.pr}`;
  }
  const run = safeHref(source.runUrl);
  if (run) links.run = run;
  return links;
}

/**
 * A phase for people: the `rollback` phase is the undo after a failure (new container removed,
 * the previous version put back), not a rollback to an older version, so it is called `undo`.
 */
export function phaseLabel(phase: string): string {
  return phase === 'rollback' ? 'undo' : phase;
}

/** A status for people: `awaiting_approval` -> `awaiting approval`. */
export function statusLabel(status: string): string {
  return status.replaceAll('_', ' ');
}
