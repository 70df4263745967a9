import { z } from 'zod';
import type { ForgeKind } from '../../src/forge/forge.js';

/**
 * The few fields docker-watcher reads from forge webhooks (GitHub and Gitea use the same names
 * for these). Parsed only after the signature was verified; unknown fields are dropped.
 */

const user = z.object({ login: z.string().min(1), type: z.string().optional() });

const issueCommentSchema = z.object({
  action: z.string(),
  is_pull: z.boolean().optional(),
  issue: z.object({
    number: z.int().positive(),
    state: z.string(),
    pull_request: z.unknown().optional(),
  }),
  comment: z.object({ id: z.int().positive(), body: z.string().nullish() }),
  repository: z.object({ full_name: z.string().min(1), html_url: z.string().optional() }),
  sender: user,
});

/** A comment on an issue or PR, reduced to what the command runner needs. */
export interface IssueComment {
  action: string;
  isPullRequest: boolean;
  open: boolean;
  pr: number;
  commentId: number;
  body: string;
  repository: string;
  repositoryUrl?: string;
  sender: string;
  senderIsBot: boolean;
}

/** Reads an issue_comment payload; undefined when it lacks the fields a comment has. */
export function readIssueComment(payload: unknown): IssueComment | undefined {
  const parsed = issueCommentSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const { action, is_pull, issue, comment, repository, sender } = parsed.data;
  return {
    action,
    // issue.pull_request is an object for PRs on both forges (null or absent on plain issues).
    isPullRequest: is_pull === true || (issue.pull_request !== undefined && issue.pull_request !== null),
    open: issue.state === 'open',
    pr: issue.number,
    commentId: comment.id,
    body: comment.body ?? '',
    repository: repository.full_name,
    ...(repository.html_url ? { repositoryUrl: repository.html_url } : {}),
    sender: sender.login,
    senderIsBot: sender.type === 'Bot',
  };
}

const githubPackageSchema = z.object({
  registry_package: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    package_type: z.string(),
    package_version: z
      .object({
        container_metadata: z.object({ tag: z.object({ name: z.string().optional() }).optional() }).nullish(),
      })
      .optional(),
  }),
});

const giteaPackageSchema = z.object({
  package: z.object({
    type: z.string(),
    name: z.string().min(1),
    version: z.string(),
    owner: user,
  }),
});

/** An image pushed to a forge's registry, handed on to whoever deploys from registry events. */
export interface RegistryPush {
  forge: ForgeKind;
  image: string;
  tag?: string;
}

/**
 * Reads a registry push: GitHub `registry_package` (ghcr.io/<namespace>/<name>) or Gitea
 * `package` (<forge host>/<owner>/<name>). Untagged manifests (sha256:...) carry no tag.
 */
export function readRegistryPush(
  kind: ForgeKind,
  payload: unknown,
  forgeUrl?: string,
): RegistryPush | undefined {
  const withTag = (image: string, tag: string | undefined): RegistryPush => ({
    forge: kind,
    image: image.toLowerCase(),
    ...(tag && !tag.startsWith('sha256:') ? { tag } : {}),
  });
  if (kind === 'github') {
    const parsed = githubPackageSchema.safeParse(payload);
    if (!parsed.success || parsed.data.registry_package.package_type.toLowerCase() !== 'container')
      return undefined;
    const pkg = parsed.data.registry_package;
    return withTag(
      `ghcr.io/${pkg.namespace}/${pkg.name}`,
      pkg.package_version?.container_metadata?.tag?.name,
    );
  }
  const parsed = giteaPackageSchema.safeParse(payload);
  if (!parsed.success || parsed.data.package.type !== 'container' || !forgeUrl) return undefined;
  const pkg = parsed.data.package;
  return withTag(`${new URL(forgeUrl).host}/${pkg.owner.login}/${pkg.name}`, pkg.version);
}

const pullRequestSchema = z.object({
  action: z.string(),
  number: z.int().positive(),
  pull_request: z.object({ merged: z.boolean().nullish() }),
  repository: z.object({ full_name: z.string().min(1) }),
});

/** A `pull_request` event that closed (or merged) a PR; undefined for any other action. */
export function readPullRequestClosed(payload: unknown): { repository: string; pr: number } | undefined {
  const parsed = pullRequestSchema.safeParse(payload);
  if (!parsed.success || parsed.data.action !== 'closed') return undefined;
  return { repository: parsed.data.repository.full_name, pr: parsed.data.number };
}
