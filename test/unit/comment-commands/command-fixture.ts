import type { ConfigInput } from '../../../src/config/schema.js';
import type { DeploySource } from '../../../src/core/deploy-types.js';
import { parseCommands } from '../../../src/comment-commands/parse-commands.js';
import {
  runCommentCommands,
  type CommandDeps,
  type CommentEvent,
} from '../../../src/comment-commands/run-command.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FakeForgeClient } from '../../fakes/fake-forge-client.js';
import { IMAGE, deployerFixture } from '../deploy/deployer-fixture.js';

export const PR = 7;
export const AUTHOR = 'alice';

const webProject = {
  image: IMAGE,
  port: 8080,
  repository: 'acme/web',
  approvers: ['Carol'],
  allow_self_approval: false,
  stages: {
    dev: { tag_pattern: 'dev-*', auto_deploy: true },
    rel: { tag_pattern: 'v*', auto_deploy: false },
    prod: { tag_pattern: 'v*', auto_deploy: true, confirm: true, promote_from: 'rel' },
  },
};

/** web with dev (auto), rel (needs approval) and prod (promotion from rel, confirm); no self-approval. */
export const commandConfig: ConfigInput = {
  global: { domain: 'example.test', public_url: 'https://dw.example.test/', docker: { drain_seconds: 0 } },
  projects: { web: webProject },
};

export const API_IMAGE = 'registry.test/api';

/**
 * A monorepo: web (as in commandConfig, approver Carol) and api (dev, and prod promoted from dev;
 * approver Dave), both deployed from acme/shop.
 */
export const monorepoConfig: ConfigInput = {
  ...commandConfig,
  projects: {
    web: { ...webProject, repository: 'acme/shop' },
    api: {
      image: API_IMAGE,
      port: 3000,
      repository: 'acme/shop',
      approvers: ['dave'],
      stages: {
        dev: { tag_pattern: 'dev-*', auto_deploy: true },
        prod: { tag_pattern: 'dev-*', auto_deploy: true, confirm: true, promote_from: 'dev' },
      },
    },
  },
};

/**
 * The real deployer (fake engine) with a recording forge: bob writes, rita reads, alice wrote PR 7.
 * The comments come from the repository of the config's first project, for all its projects.
 */
export function commandFixture(kind: 'github' | 'gitea' = 'github', config = commandConfig) {
  const fx = deployerFixture({ config });
  const projects = Object.entries(fx.loaded.config.projects);
  const repository = projects[0]?.[1].repository ?? 'acme/web';
  const [owner = '', repo = ''] = repository.split('/');
  const forge = new FakeForgeClient(kind);
  forge.permissions.set('alice', 'write');
  forge.permissions.set('bob', 'write');
  forge.permissions.set('rita', 'read');
  forge.pullRequests.set(PR, { number: PR, headSha: 'abc123', author: AUTHOR, state: 'open' });
  const source: DeploySource = {
    forge: kind,
    serverUrl: 'https://github.com',
    repository,
    sha: 'abc123',
    pr: PR,
  };
  return {
    ...fx,
    forge,
    source,
    /** Runs one comment as `commenter` and returns the outcome. */
    comment(commenter: string, body: string, commentId = 500, postReply?: CommandDeps['postReply']) {
      const event: CommentEvent = {
        forge: kind,
        projects: projects.filter(([, project]) => project.repository === repository).map(([name]) => name),
        repo: { owner, repo },
        serverUrl: 'https://github.com',
        pr: PR,
        commentId,
        commenter,
      };
      const deps = {
        config: fx.loaded.config,
        deployer: fx.deployer,
        store: fx.store,
        client: forge,
        logger: silentLogger,
        ...(postReply === undefined ? {} : { postReply }),
      };
      return runCommentCommands(deps, event, parseCommands(body));
    },
    deploysOf(stage: string, project = 'web') {
      return fx.store.listDeploys({ project, stage });
    },
    /** Makes `tag` of the api image pullable. */
    publishApi(tag: string) {
      fx.docker.setPullResult(`${API_IMAGE}:${tag}`, {});
    },
  };
}
