import type { LoadedConfig } from '../config/loaded-config.js';
import { matchesTagPattern } from '../config/tag-pattern.js';
import { compareVersionTags } from './newest-tag.js';
import { projectRegistry } from './project-registry.js';
import type { RegistryClient } from './registry-client.js';

/** A tag of a project's image as the deploy form offers it. */
export interface ImageTag {
  tag: string;
  digest: string;
  /** When the image was built (its config's `created`), when it says. */
  created?: string;
  /** The project's stages whose tag_pattern matches, in config order. */
  stages: string[];
}

/** What the picker shows: the newest tags, and how many more the registry has. */
export interface ImageTagList {
  tags: ImageTag[];
  /** Tags left out beyond `limit` (the oldest by name order). */
  more: number;
}

/** Tags looked at by default: each costs a digest and a config request (cached by digest). */
const DEFAULT_LIMIT = 40;
const CONCURRENCY = 6;

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The tags of a project's image in its registry, newest first (build time, then version order),
 * each with its digest, age and the stages it matches. With more than `limit` tags the last
 * `limit` in natural name order are the ones looked at.
 */
export async function listImageTags(
  deps: { loaded: LoadedConfig; registry: Pick<RegistryClient, 'listTags' | 'resolveDigest' | 'pushedAt'> },
  project: string,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<ImageTagList> {
  const target = projectRegistry(deps.loaded, project);
  const stages = Object.entries(deps.loaded.config.projects[project]?.stages ?? {});
  const { signal } = options;
  const all = await deps.registry.listTags(target.endpoint, target.repository, signal ? { signal } : {});
  const limit = options.limit ?? DEFAULT_LIMIT;
  // Natural order (dev-10 after dev-9, v1.10 after v1.9) is the best guess at "newest" by name.
  const chosen = [...all].sort((a, b) => b.localeCompare(a, 'en', { numeric: true })).slice(0, limit);
  const tags = await mapLimited(chosen, CONCURRENCY, async (tag): Promise<ImageTag> => {
    const digest = await deps.registry.resolveDigest(target.endpoint, target.repository, tag, signal);
    const created = await deps.registry.pushedAt(target.endpoint, target.repository, digest, signal);
    return {
      tag,
      digest,
      ...(created ? { created: created.toISOString() } : {}),
      stages: stages.filter(([, stage]) => matchesTagPattern(stage.tag_pattern, tag)).map(([name]) => name),
    };
  });
  tags.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || compareVersionTags(b.tag, a.tag));
  return { tags, more: all.length - chosen.length };
}
