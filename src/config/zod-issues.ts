import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { objectShape, schemaAt, unwrapSchema } from './schema-walk.js';

/** A config problem before it gets its line: the key path as segments. */
export interface RawIssue {
  path: readonly PropertyKey[];
  message: string;
}

type ZodIssue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping of keys',
  record: 'a mapping',
  array: 'a list',
  int: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
};

// Keys whose value may be a secret pasted in by mistake (e.g. the password itself in password_env).
const SENSITIVE_KEY = /(_env|password|secret|token)$/i;

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** How a found value is shown in a message; values of secret-looking keys are never shown. */
function describeFound(value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const key = String(path.at(-1) ?? '');
  if (typeof value === 'string') {
    if (SENSITIVE_KEY.test(key))
      return `a value of ${value.length} characters (not shown, it may be a secret)`;
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

function describeExpected(issue: ZodIssue, schema: z.ZodType | undefined): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'too_big':
    case 'too_small': {
      const bounds = (schema && unwrapSchema(schema)) as
        { minValue?: number | null; maxValue?: number | null } | undefined;
      const [min, max] = [bounds?.minValue, bounds?.maxValue];
      if (issue.origin === 'number' && Number.isFinite(min) && Number.isFinite(max)) {
        return `a number from ${min} to ${max}`;
      }
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      if (issue.code === 'too_big')
        return `${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}${unit}`;
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'a non-empty value';
      return `${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}${unit}`;
    }
    case 'invalid_format':
      if (issue.format === 'url') return 'a URL such as https://example.com';
      if (issue.format === 'starts_with' && 'prefix' in issue)
        return `text starting with "${String(issue.prefix)}"`;
      return issue.format === 'regex' ? issue.message : `a ${issue.format}`;
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_union':
      return issue.errors
        .map((branch) => (branch[0] ? describeExpected(branch[0], undefined) : 'another value'))
        .join(' or ');
    default:
      return issue.message;
  }
}

/**
 * Turns zod's issues into messages that say what was expected and what was found, one per
 * unknown key with a "did you mean" hint. `data` is the parsed YAML the issues refer to.
 */
export function zodIssuesToRaw(issues: readonly ZodIssue[], data: unknown, root: z.ZodType): RawIssue[] {
  return issues.flatMap((issue): RawIssue[] => {
    const schema = schemaAt(root, issue.path);
    if (issue.code === 'unrecognized_keys') {
      const allowed = Object.keys((schema && objectShape(schema)) ?? {});
      return issue.keys.map((key) => {
        const guess = didYouMean(key, allowed);
        const hint = guess ? `did you mean "${guess}"?` : `allowed keys: ${allowed.join(', ')}`;
        return { path: [...issue.path, key], message: `unknown key "${key}"; ${hint}` };
      });
    }
    const found = valueAt(data, issue.path);
    if (found === undefined && issue.code === 'invalid_type') {
      return [
        { path: issue.path, message: `required key is missing: expected ${describeExpected(issue, schema)}` },
      ];
    }
    const expected = describeExpected(issue, schema);
    return [{ path: issue.path, message: `expected ${expected}, found ${describeFound(found, issue.path)}` }];
  });
}
