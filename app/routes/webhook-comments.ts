import type { Context } from 'hono';
import type { Config } from '../../src/config/schema.js';
import { parseCommands } from '../../src/comment-commands/parse-commands.js';
import { runCommentCommands } from '../../src/comment-commands/run-command.js';
import type { ForgeKind } from '../../src/forge/forge.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import type { BackgroundTasks } from '../http/background-tasks.js';
import { readIssueComment } from '../http/webhook-payloads.js';
import type { WebhookForge } from '../http/webhook-signature.js';

const COMMENT_MEMORY_MS = 30 * 24 * 3600_000;

/**
 * The projects a webhook is for, in config order: their `repository` is the payload's
 * (case-insensitive) and their forge (their `forge`, else the only one) is one whose secret signed
 * the delivery, so a secret of one forge never acts on another forge's projects. The first match
 * picks the forge; several projects of one repository (a monorepo) share it.
 */
export function projectsForRepository(
  config: Config,
  forgeNames: readonly string[],
  repository: string,
): { projects: string[]; forgeName: string } | undefined {
  const soleForge = Object.keys(config.forges).length === 1 ? Object.keys(config.forges)[0] : undefined;
  let forgeName: string | undefined;
  const projects: string[] = [];
  for (const [project, projectConfig] of Object.entries(config.projects)) {
    const projectForge = projectConfig.forge ?? soleForge;
    if (projectForge === undefined || !forgeNames.includes(projectForge)) continue;
    if (projectConfig.repository?.toLowerCase() !== repository.toLowerCase()) continue;
    if (forgeName !== undefined && projectForge !== forgeName) continue;
    forgeName = projectForge;
    projects.push(project);
  }
  return forgeName === undefined ? undefined : { projects, forgeName };
}

/**
 * An issue_comment delivery (already verified): commands on an open PR by a person start in the
 * background (reaction, permission check, deploys, one reply) and the answer is 202 at once.
 * A comment is acted on once, whatever delivery id it comes with: the delivery id is not signed.
 */
export function handleIssueComment(
  c: Context<AppEnv>,
  deps: AppDeps,
  tasks: BackgroundTasks,
  kind: ForgeKind,
  signed: readonly WebhookForge[],
  payload: unknown,
): Response {
  const ignored = (reason: string) => c.json({ ignored: reason }, 202);
  const comment = readIssueComment(payload);
  if (!comment) return ignored('payload');
  if (comment.action !== 'created') return ignored('action');
  if (!comment.isPullRequest) return ignored('not_pull_request');
  if (comment.senderIsBot) return ignored('bot');
  if (!comment.open) return ignored('closed');
  const parsed = parseCommands(comment.body);
  if (parsed.commands.length === 0) return ignored('no_command');

  const { config } = deps.loaded;
  const match = projectsForRepository(
    config,
    signed.map((forge) => forge.name),
    comment.repository,
  );
  const [first] = match?.projects ?? [];
  if (!match || first === undefined) {
    deps.logger.info('command comment for a repository no project deploys', {
      repository: comment.repository,
      kind,
    });
    return ignored('no_project');
  }
  const { projects } = match;
  c.set('logFields', { project: projects.join(',') });
  // Per comment, not per project: a comment runs once, on all the repository's projects.
  const commentKey = `${match.forgeName}:${comment.repository.toLowerCase()}:${comment.commentId}`;
  // Forges redeliver a webhook by hand for days; a command comment runs once for a month.
  if (!deps.store.claimOnce('comment', commentKey, COMMENT_MEMORY_MS, deps.clock.now()))
    return c.json({ ignored: 'duplicate' }, 200);

  // The projects share the forge and the repository, so the first one's client serves them all.
  const target = deps.forgeFor(first);
  if (!target) {
    deps.logger.warn('command comment ignored: the project has no forge client (set the forge token_env)', {
      project: first,
    });
    return ignored('no_forge_client');
  }
  const { postReply, previews } = deps;
  const forgeUrl = signed.find((forge) => forge.name === match.forgeName)?.url;
  const serverUrl =
    forgeUrl ?? (comment.repositoryUrl ? new URL(comment.repositoryUrl).origin : 'https://github.com');
  tasks.add(
    runCommentCommands(
      {
        config,
        deployer: deps.deployer,
        store: deps.store,
        ...(previews
          ? {
              removePreview: (project: string, pr: number, reason: string) =>
                void previews.remove(project, pr, reason),
            }
          : {}),
        client: target.client,
        logger: deps.logger,
        ...(postReply === undefined
          ? {}
          : { postReply: (event, body) => postReply(first, event.pr, event.commentId, body) }),
      },
      {
        forge: kind,
        projects,
        repo: target.repo,
        serverUrl,
        pr: comment.pr,
        commentId: comment.commentId,
        commenter: comment.sender,
      },
      parsed,
    ),
  );
  return c.json(
    {
      accepted: 'commands',
      ...(projects.length === 1 ? { project: first } : {}),
      projects,
      commands: parsed.commands.map((x) => x.name),
    },
    202,
  );
}
