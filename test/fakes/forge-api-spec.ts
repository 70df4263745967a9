import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Request validation against a forge's own API description: GitHub's OpenAPI 3.0
 * (@octokit/openapi) or Gitea's Swagger 2.0. Each operation's parameter and body schemas are
 * compiled on first use, with just the `#/...` definitions they reach (the GitHub document is
 * 13 MB) and OpenAPI's `nullable` turned into JSON Schema.
 */

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'body' | 'formData' | 'cookie';
  required?: boolean;
  schema?: Json;
  type?: string;
}

interface Route {
  method: string;
  pattern: RegExp;
  literals: number;
  names: string[];
  template: string;
  op: Json;
  parameters: Parameter[];
}

/** A spec operation matched to a request. */
export interface SpecOperation {
  operationId: string;
  template: string;
  params: Record<string, string>;
  /** Checks path and query parameters and the JSON body; ajv's error text or undefined. */
  checkRequest(query: URLSearchParams, body: unknown): string | undefined;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Loads a spec: `basePath` is what requests carry before the spec's paths ('' or '/api/v1'). */
export function loadForgeSpec(file: string, basePath = '') {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password'])
    ajv.addFormat(format, true);

  const resolve = (pointer: string): unknown =>
    pointer
      .slice(2)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
  const deref = <T>(node: T): T => {
    const ref = (node as { $ref?: unknown }).$ref;
    return typeof ref === 'string' ? deref(resolve(ref) as T) : node;
  };

  const routes: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const names: string[] = [];
    const source = template
      .replace(/[.]/g, '\\.')
      .replace(/\{(\w+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)'));
    const shared = ((item.parameters ?? []) as Json[]).map((p) => deref(p) as unknown as Parameter);
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || typeof op !== 'object' || op === null) continue;
      const own = (((op as Json).parameters ?? []) as Json[]).map((p) => deref(p) as unknown as Parameter);
      routes.push({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${basePath}${source}$`),
        literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        names,
        template,
        op: op as Json,
        parameters: [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own],
      });
    }
  }

  const cache = new Map<string, ValidateFunction>();
  const validator = (key: string, schema: Json) => {
    let fn = cache.get(key);
    if (!fn) cache.set(key, (fn = ajv.compile(selfContained(schema, resolve))));
    return fn;
  };
  const check = (fn: ValidateFunction, value: unknown, name: string) =>
    fn(value) ? undefined : ajv.errorsText(fn.errors, { dataVar: name });

  const bodyOf = (route: Route): { schema: Json; required: boolean } | undefined => {
    const inBody = route.parameters.find((p) => p.in === 'body');
    if (inBody?.schema) return { schema: inBody.schema, required: inBody.required === true };
    const requestBody = route.op.requestBody === undefined ? undefined : deref(route.op.requestBody as Json);
    const schema = (requestBody?.content as Record<string, { schema?: Json }> | undefined)?.[
      'application/json'
    ]?.schema;
    return schema ? { schema, required: requestBody?.required === true } : undefined;
  };

  return {
    /** Finds the operation for a method and path; the most specific template wins. */
    match(method: string, path: string): SpecOperation | undefined {
      const route = routes
        .filter((r) => r.method === method && r.pattern.test(path))
        .sort((a, b) => b.literals - a.literals)[0];
      if (!route) return undefined;
      const values = route.pattern.exec(path)!.slice(1);
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(values[i]!)]));
      const operationId = String(route.op.operationId);
      return {
        operationId,
        template: route.template,
        params,
        checkRequest(query, body) {
          for (const key of new Set(query.keys())) {
            if (!route.parameters.some((p) => p.in === 'query' && p.name === key)) {
              return `query parameter ${key} is not in the spec of ${operationId}`;
            }
          }
          for (const p of route.parameters) {
            if (p.in !== 'path' && p.in !== 'query') continue;
            const raw = p.in === 'path' ? params[p.name] : (query.get(p.name) ?? undefined);
            if (raw === undefined) {
              if (p.required) return `${p.in} parameter ${p.name} is required`;
              continue;
            }
            const schema =
              p.schema ??
              pick(p as unknown as Json, ['type', 'format', 'enum', 'minimum', 'maximum', 'items']);
            const type = (schema as { type?: string }).type;
            const value =
              (type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
            const error = check(validator(`${operationId} ${p.in} ${p.name}`, schema), value, p.name);
            if (error) return error;
          }
          const declared = bodyOf(route);
          if (!declared) return body === undefined ? undefined : `${operationId} takes no request body`;
          if (body === undefined) return declared.required ? 'a request body is required' : undefined;
          return check(validator(`${operationId} body`, declared.schema), body, 'body');
        },
      };
    },
  };
}

export type ForgeSpec = ReturnType<typeof loadForgeSpec>;

function pick(source: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
}

/** OpenAPI 3.0's `nullable: true` as JSON Schema: null or the schema. */
function withNull(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withNull);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) if (key !== 'nullable') out[key] = withNull(value);
  return (node as Json).nullable === true ? { anyOf: [{ type: 'null' }, out] } : out;
}

/** The schema plus every `#/...` definition it reaches, placed at the same pointers in one root. */
function selfContained(schema: Json, resolve: (pointer: string) => unknown): Json {
  const root: Json = { allOf: [withNull(schema)] };
  const seen = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/') && !seen.has(value)) {
        seen.add(value);
        const target = withNull(resolve(value));
        const parts = value
          .slice(2)
          .split('/')
          .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
        let parent = root;
        for (const part of parts.slice(0, -1)) parent = (parent[part] ??= {}) as Json;
        parent[parts.at(-1)!] = target;
        visit(target);
      } else visit(value);
    }
  };
  visit(root.allOf);
  return root;
}
