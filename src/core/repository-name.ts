/** One segment of `owner/name`: [A-Za-z0-9_.-], never `.` or `..` (they would walk the forge's API paths). */
const SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Whether `value` is exactly `owner/name` as GitHub and Gitea spell repositories. The one rule
 * for every repository that can become a forge API path: the config's `repository`, a deploy
 * request's `source.repository`, parseRepo.
 */
export function isRepositoryName(value: string): boolean {
  const parts = value.split('/');
  return parts.length === 2 && parts.every((part) => SEGMENT.test(part) && part !== '.' && part !== '..');
}

/** The message for a value that is not isRepositoryName. */
export const REPOSITORY_EXPECTED = 'owner/name, each of letters, digits, "_", "." and "-" (not "." or "..")';
