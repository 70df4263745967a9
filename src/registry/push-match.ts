import type { Config } from '../config/schema.js';
import { matchesTagPattern } from '../config/tag-pattern.js';
import { imageRegistryHost } from '../deploy/pull-credentials.js';

/** A registry's "image pushed" notification (Gitea/GitHub package webhook, registry notifications). */
export interface RegistryPush {
  /** Name or kind of the forge that sent it (for logs). */
  forge: string;
  /** host/owner/name, or owner/name when the sender does not know the host. */
  image: string;
  tag?: string;
}

function normalize(image: string): string {
  return image
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/@.*$/, '')
    .replace(/:[^/:]+$/, '')
    .toLowerCase();
}

function withoutHost(image: string): string {
  const host = imageRegistryHost(image);
  return host === undefined ? image : image.slice(host.length + 1);
}

/**
 * The projects with poll: true that a push concerns: same image (or same owner/name when the push
 * names no host), and, when it names a tag, only if some stage's tag_pattern matches it.
 */
export function projectsForPush(config: Config, push: RegistryPush): string[] {
  const pushed = normalize(push.image);
  const hostless = imageRegistryHost(pushed) === undefined;
  return Object.entries(config.projects)
    .filter(([, project]) => {
      if (!project.poll) return false;
      const image = normalize(project.image);
      if (image !== pushed && !(hostless && withoutHost(image) === pushed)) return false;
      const tag = push.tag;
      return (
        tag === undefined || Object.values(project.stages).some((s) => matchesTagPattern(s.tag_pattern, tag))
      );
    })
    .map(([name]) => name);
}
