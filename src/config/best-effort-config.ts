import { configSchema, type Config } from './schema.js';
import { schemaAt, unwrapSchema } from './schema-walk.js';

// A stand-in for a required value that is missing or bad, so the object around it survives.
function placeholder(path: readonly PropertyKey[]): unknown {
  const schema = schemaAt(configSchema, path);
  if (!schema) return undefined;
  const inner = unwrapSchema(schema) as unknown as {
    type: string;
    format?: string | null;
    minValue?: number | null;
    options?: unknown[];
  };
  switch (inner.type) {
    case 'number':
      return Math.max(inner.minValue ?? 1, 1);
    case 'string':
      return inner.format === 'url' ? 'http://placeholder.invalid' : 'x';
    case 'boolean':
      return false;
    case 'enum':
      return inner.options?.[0];
    case 'record':
      return {};
    case 'array':
      return [];
    default:
      return undefined;
  }
}

function put(root: unknown, path: readonly PropertyKey[], value: unknown): boolean {
  const parent = parentOf(root, path);
  const key = path.at(-1);
  if (!parent || key === undefined || value === undefined) return false;
  parent[key] = value;
  return true;
}

function parentOf(root: unknown, path: readonly PropertyKey[]): Record<PropertyKey, unknown> | undefined {
  let current = root;
  for (const segment of path.slice(0, -1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current !== null && typeof current === 'object'
    ? (current as Record<PropertyKey, unknown>)
    : undefined;
}

function remove(root: unknown, path: readonly PropertyKey[]): boolean {
  const parent = parentOf(root, path);
  const key = path.at(-1);
  if (!parent || key === undefined || !(key in parent)) return false;
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  // A typed array (YAML's !!binary) has indexes that cannot be deleted: false, not a TypeError.
  else return Reflect.deleteProperty(parent, key);
  return true;
}

const OPTIONAL = new Set(['optional', 'default', 'prefault']);

/**
 * A config made from data the schema rejected: unknown keys and bad optional values are dropped,
 * bad required values get a neutral stand-in, so the cross-field checks can still report their
 * problems in the same run. `damaged` lists objects that had to be dropped whole (checks touching
 * them are unreliable).
 */
export function bestEffortConfig(data: unknown): { config: Config | undefined; damaged: PropertyKey[][] } {
  const copy = structuredClone(data);
  const damaged: PropertyKey[][] = [];
  const patched = new Set<string>();
  for (let round = 0; round < 8; round++) {
    const result = configSchema.safeParse(copy);
    if (result.success) return { config: result.data, damaged };
    for (const issue of result.error.issues) {
      if (issue.path.length === 0) return { config: undefined, damaged };
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) remove(copy, [...issue.path, key]);
        continue;
      }
      const { path } = issue;
      const schema = schemaAt(configSchema, path);
      const id = path.map(String).join('\0');
      if (schema && OPTIONAL.has(schema._zod.def.type)) {
        remove(copy, path);
      } else if (!patched.has(id) && put(copy, path, placeholder(path))) {
        patched.add(id);
      } else {
        const owner = path.length > 1 && !patched.has(id) ? path : path.slice(0, -1);
        if (owner.length === 0 || !remove(copy, owner)) return { config: undefined, damaged };
        damaged.push(owner);
      }
    }
  }
  return { config: undefined, damaged };
}
