/**
 * Tag patterns are globs matched against the whole tag: `*` is any run of characters, `?` one
 * character; everything else is literal. Docker tags are [A-Za-z0-9_.-]{1,128}, so a pattern may
 * only use those characters and the two wildcards.
 */
const PATTERN_CHARS = /^[A-Za-z0-9_.*?-]{1,128}$/;

/** Why a tag pattern is invalid, or undefined when it is fine. */
export function tagPatternProblem(pattern: string): string | undefined {
  if (!PATTERN_CHARS.test(pattern)) {
    return `tag pattern "${pattern}" may contain only letters, digits, "_", ".", "-" and the wildcards "*" and "?"`;
  }
  return undefined;
}

/** Compiles a glob into an anchored regular expression. */
export function tagPatternRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Whether `tag` matches `pattern` as a whole. */
export function matchesTagPattern(pattern: string, tag: string): boolean {
  return tagPatternRegExp(pattern).test(tag);
}
