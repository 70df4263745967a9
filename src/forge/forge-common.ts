import { ExternalError } from '../core/errors.js';
import type { Permission, RepoRef } from './forge.js';

/** Both forges show at most this many characters of a status description. */
export const MAX_STATUS_DESCRIPTION = 140;

/** Cuts a status description to what the forges accept, marking the cut with an ellipsis. */
export function statusDescription(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine.length <= MAX_STATUS_DESCRIPTION) return oneLine;
  return `${oneLine.slice(0, MAX_STATUS_DESCRIPTION - 1)}…`;
}

/** The body of a marked comment always carries its marker, so the next upsert finds it. */
export function withMarker(marker: string, body: string): string {
  return body.includes(marker) ? body : `${marker}\n${body}`;
}

/**
 * Maps a forge's role or permission name to ours: GitHub's `maintain` counts as write and
 * `triage` as read; Gitea's `owner` as admin. Anything unknown gives no rights.
 */
export function toPermission(value: string | undefined): Permission {
  switch (value) {
    case 'admin':
    case 'owner':
      return 'admin';
    case 'write':
    case 'maintain':
      return 'write';
    case 'read':
    case 'triage':
      return 'read';
    default:
      return 'none';
  }
}

const HINTS: Record<number, string> = {
  401: 'the token was refused: check the forge token (forges.<name>.token_env) and that it has not expired',
  403: 'the token lacks the rights for this call on the repository (or a rate limit was hit)',
  404: 'check the repository name (owner/name) and that the token can see it',
  422: 'the forge refused the request as invalid',
};

/** An ExternalError('forge') naming the forge, the call and the repository; never the token. */
export function forgeError(
  forge: string,
  call: string,
  repo: RepoRef,
  detail: { status?: number; message: string; cause?: unknown; hint?: string },
): ExternalError {
  const where = `${forge} ${call} on ${repo.owner}/${repo.repo}`;
  const status = detail.status === undefined ? '' : ` (HTTP ${detail.status})`;
  const hint =
    detail.hint ?? (detail.status === undefined ? 'check that the forge is reachable' : HINTS[detail.status]);
  return new ExternalError('forge', `${where} failed${status}: ${detail.message}${hint ? `; ${hint}` : ''}`, {
    cause: detail.cause,
    ...(detail.status === undefined ? {} : { status: detail.status }),
  });
}
