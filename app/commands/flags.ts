import type { z } from 'zod';

/**
 * Zod issues of a request built from flags, each named by the flag that was typed:
 * `--sha: a commit sha of 7 to 64 hex digits, not "abc123"`. `flagOf` maps request fields
 * (`source.sha`) to flags where the names differ; other fields are `--<field>`.
 */
export function flagIssues(error: z.ZodError, flagOf: Readonly<Record<string, string>> = {}): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.map(String).join('.');
      const flag = flagOf[field] ?? `--${field}`;
      const input = (issue as { input?: unknown }).input;
      const given = typeof input === 'string' ? `, not "${input}"` : '';
      return `${flag}: ${issue.message}${given}`;
    })
    .join('; ');
}

/** --timeout as seconds > 0, or the message that says what is wrong with it. */
export function timeoutSeconds(raw: string): number | string {
  const timeout = Number(raw);
  return Number.isFinite(timeout) && timeout > 0
    ? timeout
    : `--timeout "${raw}" is not a number of seconds > 0`;
}
