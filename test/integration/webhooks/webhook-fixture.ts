import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createApp } from '../../../app/create-app.js';
import { createBackgroundTasks } from '../../../app/http/background-tasks.js';
import type { RegistryPush } from '../../../app/http/webhook-payloads.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { ForgeClient } from '../../../src/forge/forge.js';
import { parseRepo } from '../../../src/forge/forge.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FakeForgeClient } from '../../fakes/fake-forge-client.js';
import { IMAGE, deployerFixture } from '../../unit/deploy/deployer-fixture.js';

export const GITHUB_SECRET = 'github-hook-secret-for-tests';
export const GITEA_SECRET = 'gitea-hook-secret-for-tests';
const SHOP_IMAGE = 'git.example.test/acme/shop';

const stages = {
  dev: { tag_pattern: 'dev-*', auto_deploy: true },
  rel: { tag_pattern: 'v*', auto_deploy: false },
  prod: { tag_pattern: 'v*', auto_deploy: true, confirm: true, promote_from: 'rel' },
};

/** `web` on GitHub (Codertocat/Hello-World, the repository of the example payloads), `shop` on Gitea. */
export const webhookConfig: ConfigInput = {
  global: { domain: 'example.test', public_url: 'https://dw.example.test', docker: { drain_seconds: 0 } },
  forges: {
    gh: { type: 'github', token_env: 'GH_TOKEN', webhook_secret_env: 'GH_HOOK_SECRET' },
    tea: {
      type: 'gitea',
      url: 'https://git.example.test',
      token_env: 'TEA_TOKEN',
      webhook_secret_env: 'TEA_HOOK_SECRET',
    },
  },
  projects: {
    web: { image: IMAGE, port: 8080, repository: 'Codertocat/Hello-World', forge: 'gh', stages },
    shop: { image: SHOP_IMAGE, port: 3000, repository: 'acme/shop', forge: 'tea', stages },
  },
};

/** webhookConfig plus `shop-admin`, a second project deployed from acme/shop on Gitea (a monorepo). */
export const monorepoWebhookConfig: ConfigInput = {
  ...webhookConfig,
  projects: {
    ...webhookConfig.projects,
    'shop-admin': { image: `${SHOP_IMAGE}-admin`, port: 3001, repository: 'acme/shop', forge: 'tea', stages },
  },
};

/**
 * The real app and the real deployer (fake Docker engine, in-memory store), with a recording forge
 * client per forge unless `clients` gives others (the real adapters against fake servers).
 */
export function webhookFixture(
  clients: { github?: ForgeClient; gitea?: ForgeClient } = {},
  config: ConfigInput = webhookConfig,
) {
  const fx = deployerFixture({
    config,
    secrets: {
      GH_TOKEN: 't1',
      TEA_TOKEN: 't2',
      GH_HOOK_SECRET: GITHUB_SECRET,
      TEA_HOOK_SECRET: GITEA_SECRET,
    },
  });
  const github = new FakeForgeClient('github');
  const gitea = new FakeForgeClient('gitea');
  const tasks = createBackgroundTasks();
  const pushes: RegistryPush[] = [];
  const app = createApp({
    loaded: fx.loaded,
    deployer: fx.deployer,
    store: fx.store,
    clock: fx.clock,
    logger: silentLogger,
    tasks,
    onRegistryPush: (push) => pushes.push(push),
    forgeFor: (project) => {
      const config = fx.loaded.config.projects[project];
      if (!config?.repository) return undefined;
      const client = config.forge === 'gh' ? (clients.github ?? github) : (clients.gitea ?? gitea);
      return { client, repo: parseRepo(config.repository), forgeName: config.forge ?? '' };
    },
  });
  /** Makes `tag` of `project`'s image pullable and returns the image. */
  const publishTag = (project: string, tag: string) => {
    const image = fx.loaded.config.projects[project]?.image ?? IMAGE;
    fx.docker.setPullResult(`${image}:${tag}`, {});
    return image;
  };
  /** Publishes `tag` of `project` and makes it live in rel (a manual deploy). */
  const liveInRel = async (project: string, tag: string) => {
    const image = publishTag(project, tag);
    const record = fx.deployer.submit({ project, stage: 'rel', image, tag, trigger: 'manual' });
    return fx.deployer.waitFor(record.id);
  };
  return { ...fx, app, github, gitea, tasks, pushes, publishTag, liveInRel };
}

const require = createRequire(import.meta.url);
interface Definition {
  name: string;
  examples: Record<string, unknown>[];
}

/**
 * GitHub's issue_comment "created" example from @octokit/webhooks-examples, made a PR comment the
 * way GitHub sends one: issue.pull_request is an object with the PR's URLs.
 */
export function githubPrComment(
  body: string,
  login: string,
  options: { commentId?: number; type?: string } = {},
) {
  const definitions = require('@octokit/webhooks-examples') as Definition[];
  const example = definitions
    .find((d) => d.name === 'issue_comment')
    ?.examples.find((e) => e['action'] === 'created');
  if (!example) throw new Error('@octokit/webhooks-examples has no issue_comment created example');
  const payload = structuredClone(example) as {
    issue: Record<string, unknown> & { number: number };
    comment: { id: number; body: string; user: { login: string } };
    sender: { login: string; type: string };
  };
  const base = `https://github.com/Codertocat/Hello-World/pull/${payload.issue.number}`;
  payload.issue.pull_request = {
    url: `https://api.github.com/repos/Codertocat/Hello-World/pulls/${payload.issue.number}`,
    html_url: base,
    diff_url: `${base}.diff`,
    patch_url: `${base}.patch`,
    merged_at: null,
  };
  payload.comment.body = body;
  payload.comment.user.login = login;
  payload.sender.login = login;
  payload.sender.type = options.type ?? 'User';
  if (options.commentId !== undefined) payload.comment.id = options.commentId;
  return payload;
}

/** Gitea's issue_comment on a PR (test/fixtures/webhooks), with a body and commenter. */
export function giteaPrComment(body: string, login: string, commentId = 9001) {
  const payload = JSON.parse(
    readFileSync(new URL('../../fixtures/webhooks/gitea-issue-comment.json', import.meta.url), 'utf8'),
  ) as { comment: { id: number; body: string; user: { login: string } }; sender: { login: string } };
  payload.comment.body = body;
  payload.comment.id = commentId;
  payload.comment.user.login = login;
  payload.sender.login = login;
  return payload;
}

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/** A delivery as GitHub sends it: X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256. */
export function githubDelivery(
  event: string,
  payload: unknown,
  options: { secret?: string; delivery?: string } = {},
) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/abc123',
    'x-github-event': event,
    'x-github-delivery': options.delivery ?? randomUUID(),
    'x-github-hook-id': '1',
    'x-hub-signature-256': `sha256=${hmac(options.secret ?? GITHUB_SECRET, body)}`,
  };
  return { method: 'POST', headers, body };
}

/** A delivery as Gitea sends it: X-Gitea-* headers, and the signature both bare and prefixed. */
export function giteaDelivery(
  event: string,
  payload: unknown,
  options: { secret?: string; delivery?: string; only?: 'gitea' | 'hub' } = {},
) {
  const body = JSON.stringify(payload, null, 2);
  const signature = hmac(options.secret ?? GITEA_SECRET, body);
  const delivery = options.delivery ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-gitea-event': event,
    'x-gitea-event-type': event === 'issue_comment' ? 'pull_request_comment' : event,
    'x-gitea-delivery': delivery,
    'x-github-event': event,
    'x-github-delivery': delivery,
  };
  if (options.only !== 'hub') headers['x-gitea-signature'] = signature;
  if (options.only !== 'gitea') headers['x-hub-signature-256'] = `sha256=${signature}`;
  return { method: 'POST', headers, body };
}
