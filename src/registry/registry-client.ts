import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ExternalError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { configCreated, manifestStep, MANIFEST_ACCEPT, nextLink } from './manifest.js';
import { registryBaseUrl, registryHost, type RegistryEndpoint } from './registry-endpoint.js';
import { createRegistryHttp, safeJson, type RegistryCall, type RegistryResponse } from './registry-http.js';

export type { RegistryEndpoint, RegistryLogin } from './registry-endpoint.js';

/** What docker-watcher reads from an OCI distribution registry. */
export interface RegistryClient {
  /** Every tag of `repository`, following `Link: rel="next"` pages. */
  listTags(
    endpoint: RegistryEndpoint,
    repository: string,
    options?: { pageSize?: number; signal?: AbortSignal },
  ): Promise<string[]>;
  /** The manifest digest (`sha256:...`) `tag` points at now. */
  resolveDigest(
    endpoint: RegistryEndpoint,
    repository: string,
    tag: string,
    signal?: AbortSignal,
  ): Promise<string>;
  /** When the image was built (its config's `created`); undefined when the image does not say. */
  pushedAt(
    endpoint: RegistryEndpoint,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<Date | undefined>;
  close(): Promise<void>;
}

export interface RegistryClientOptions {
  clock: Clock;
  logger: Logger;
  /** The fetch requests go through (tests, proxies); default the global one. */
  fetch?: typeof fetch;
  /** Tags per page asked for with `n`; default: the registry's own page size. */
  pageSize?: number;
  timeoutMs?: number;
}

const MAX_PAGES = 1000;
const CREATED_CACHE_SIZE = 2000;

/** Creates a registry client over fetch. */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const http = createRegistryHttp({
    clock: options.clock,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  // Content under a digest never changes, so its creation time can be kept.
  const createdByDigest = new Map<string, Date | undefined>();

  const failure = (call: RegistryCall, what: string, res: RegistryResponse, advice: string) => {
    const host = registryHost(call.endpoint.registry);
    const code = (safeJson(res.body) as { errors?: { code?: unknown }[] } | undefined)?.errors?.[0]?.code;
    const detail = typeof code === 'string' ? ` ${code}` : '';
    return new ExternalError(
      'registry',
      `registry ${host} answered ${res.status}${detail} to ${what} of ${call.repository}; ${res.status === 404 ? advice : 'try again later or check the registry'}`,
      { status: res.status },
    );
  };

  const manifest = async (call: RegistryCall, reference: string, method: 'GET' | 'HEAD') => {
    const what = `${method === 'HEAD' ? 'the digest' : 'the manifest'} of ${reference}`;
    const res = await http.send(call, `/v2/${call.repository}/manifests/${reference}`, {
      method,
      accept: MANIFEST_ACCEPT,
      what,
    });
    if (res.status !== 200) {
      throw failure(call, what, res, `check that the tag ${reference} was pushed to ${call.repository}`);
    }
    return res;
  };

  const blobJson = async (call: RegistryCall, digest: string) => {
    const what = `the config blob ${digest}`;
    const res = await http.send(call, `/v2/${call.repository}/blobs/${digest}`, {
      method: 'GET',
      accept: 'application/json, */*',
      what,
    });
    if (res.status !== 200)
      throw failure(call, what, res, 'the image is incomplete in the registry; push it again');
    return safeJson(res.body);
  };

  return {
    async listTags(endpoint, repository, listOptions = {}) {
      const call: RegistryCall = { endpoint, repository, signal: listOptions.signal };
      const base = registryBaseUrl(endpoint);
      const pageSize = listOptions.pageSize ?? options.pageSize;
      let url = `${base}/v2/${repository}/tags/list${pageSize === undefined ? '' : `?n=${pageSize}`}`;
      const visited = new Set([url]);
      const tags: string[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const res = await http.send(call, url, {
          method: 'GET',
          accept: 'application/json',
          what: 'the tag list',
        });
        // NAME_UNKNOWN: the registry has no such repository yet, i.e. nothing was pushed to it:
        // that is "no tags" (the usual first minutes of a project), not a registry failure.
        if (res.status === 404 && page === 1 && errorCodes(res.body).includes('NAME_UNKNOWN')) return [];
        if (res.status !== 200) {
          throw failure(
            call,
            'the tag list',
            res,
            `check the image name; nothing has been pushed to ${repository} yet`,
          );
        }
        // GHCR answers `"tags": null` for a repository without tags.
        const pageTags = (safeJson(res.body) as { tags?: unknown } | undefined)?.tags;
        const valid = Array.isArray(pageTags)
          ? pageTags.filter((t): t is string => typeof t === 'string')
          : [];
        // Gitea sends a next link even on its last page; an empty page ends the list.
        if (valid.length === 0) break;
        tags.push(...valid);
        const next = nextLink(res.headers.link, url);
        if (next === undefined || visited.has(next)) break;
        if (new URL(next).origin !== new URL(base).origin) {
          options.logger.warn('registry tag list points to another origin; stopping there', {
            registry: registryHost(endpoint.registry),
            repository,
          });
          break;
        }
        visited.add(next);
        url = next;
      }
      return [...new Set(tags)];
    },

    async resolveDigest(endpoint, repository, tag, signal) {
      const call: RegistryCall = { endpoint, repository, signal };
      const head = await manifest(call, tag, 'HEAD');
      const header = head.headers['docker-content-digest'];
      if (typeof header === 'string' && /^[a-z0-9]+:[a-f0-9]{32,}$/.test(header)) return header;
      const body = (await manifest(call, tag, 'GET')).body;
      return `sha256:${createHash('sha256').update(body).digest('hex')}`;
    },

    async pushedAt(endpoint, repository, reference, signal) {
      const call: RegistryCall = { endpoint, repository, signal };
      const cacheKey = `${registryBaseUrl(endpoint)}/${repository}@${reference}`;
      const immutable = reference.includes(':');
      if (immutable && createdByDigest.has(cacheKey)) return createdByDigest.get(cacheKey);
      let ref = reference;
      let created: Date | undefined;
      for (let depth = 0; depth < 2; depth++) {
        const res = await manifest(call, ref, 'GET');
        const contentType = res.headers['content-type'];
        const step = manifestStep(
          safeJson(res.body),
          typeof contentType === 'string' ? contentType : undefined,
        );
        if (step.kind === 'index') {
          ref = step.child;
          continue;
        }
        if (step.kind === 'image') created = configCreated(await blobJson(call, step.config));
        break;
      }
      if (immutable) {
        if (createdByDigest.size >= CREATED_CACHE_SIZE)
          createdByDigest.delete(createdByDigest.keys().next().value!);
        createdByDigest.set(cacheKey, created);
      }
      return created;
    },

    close: () => http.close(),
  };
}

/** The `errors[].code` values of a distribution API error body. */
function errorCodes(body: Buffer): string[] {
  const errors = (safeJson(body) as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors)
    ? errors
        .map((e) => (e as { code?: unknown } | null)?.code)
        .filter((c): c is string => typeof c === 'string')
    : [];
}
