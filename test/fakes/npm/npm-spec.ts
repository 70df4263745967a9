import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * NPM's own OpenAPI description (v2.15.1), $refs spread across files. Next to this file, or
 * under the working directory when this file runs bundled elsewhere (the bench's run-ts bundle).
 */
export const NPM_SPEC_DIR = [
  resolve(import.meta.dirname, '../../fixtures/specs/nginx-proxy-manager'),
  resolve('test/fixtures/specs/nginx-proxy-manager'),
].find((dir) => existsSync(dir))!;

interface Parameter {
  in: 'path' | 'query';
  name: string;
  required?: boolean;
  schema: { type?: string };
}

interface OperationFile {
  operationId: string;
  security?: { bearerAuth?: string[] }[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

/** A spec operation matched to a request. */
export interface MatchedOperation {
  operationId: string;
  params: Record<string, string>;
  needsAuth: boolean;
  /** Checks path and query parameters and the body; returns ajv's error text or undefined. */
  checkRequest(query: URLSearchParams, body: unknown): string | undefined;
  /** Checks an answer of the fake against the documented response; error text or undefined. */
  checkResponse(status: number, body: unknown): string | undefined;
}

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  url: string;
  op: OperationFile;
}

/** Loads the spec once per process: every component and path file becomes an ajv schema with a file URL id. */
export function loadNpmSpec(dir = NPM_SPEC_DIR) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.json') ? [join(d, e.name)] : [],
    );
  for (const file of walk(dir)) {
    if (file.endsWith('swagger.json')) continue;
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // common.json declares `$id: "common"`; an absolute file URL lets relative $refs resolve.
    delete schema.$id;
    delete schema.$schema;
    ajv.addSchema({ ...schema, $id: pathToFileURL(file).href });
  }
  const swagger = JSON.parse(readFileSync(join(dir, 'swagger.json'), 'utf8')) as {
    paths: Record<string, Record<string, { $ref: string }>>;
  };
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(swagger.paths)) {
    const names: string[] = [];
    const source = path.replace(/\{(\w+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)'));
    for (const [method, ref] of Object.entries(item)) {
      const file = join(dir, ref.$ref);
      routes.push({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${source}$`),
        names,
        url: pathToFileURL(file).href,
        op: JSON.parse(readFileSync(file, 'utf8')) as OperationFile,
      });
    }
  }
  const cache = new Map<string, ValidateFunction>();
  const validator = (url: string, pointer: string) => {
    const ref = `${url}#${pointer}`;
    let fn = cache.get(ref);
    if (!fn) cache.set(ref, (fn = ajv.compile({ $ref: ref })));
    return fn;
  };
  const check = (fn: ValidateFunction, value: unknown, name: string) =>
    fn(value) ? undefined : ajv.errorsText(fn.errors, { dataVar: name });
  const escape = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

  return {
    /** Finds the operation for a method and a path below /api; undefined when the spec has none. */
    match(method: string, path: string): MatchedOperation | undefined {
      const route = routes.find((r) => r.method === method && r.pattern.test(path));
      if (!route) return undefined;
      const values = route.pattern.exec(path)!.slice(1);
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(values[i]!)]));
      const { op, url } = route;
      return {
        operationId: op.operationId,
        params,
        needsAuth: (op.security ?? []).some((s) => s.bearerAuth !== undefined),
        checkRequest(query, body) {
          const declared = op.parameters ?? [];
          for (const key of query.keys()) {
            if (!declared.some((p) => p.in === 'query' && p.name === key))
              return `query parameter ${key} is not allowed`;
          }
          for (const [i, p] of declared.entries()) {
            const raw = p.in === 'path' ? params[p.name] : (query.get(p.name) ?? undefined);
            if (raw === undefined) {
              if (p.required) return `${p.in} parameter ${p.name} is required`;
              continue;
            }
            const value = p.schema.type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
            const error = check(validator(url, `/parameters/${i}/schema`), value, p.name);
            if (error) return error;
          }
          if (!op.requestBody) return body === undefined ? undefined : 'this operation takes no request body';
          if (body === undefined) return op.requestBody.required ? 'request body is required' : undefined;
          return check(
            validator(url, `/requestBody/content/${escape('application/json')}/schema`),
            body,
            'data',
          );
        },
        checkResponse(status, body) {
          const content = op.responses[String(status)]?.content?.['application/json'];
          if (!content?.schema) return undefined;
          return check(
            validator(url, `/responses/${status}/content/${escape('application/json')}/schema`),
            body,
            'response',
          );
        },
      };
    },
  };
}

export type NpmSpec = ReturnType<typeof loadNpmSpec>;
