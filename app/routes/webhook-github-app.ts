import type { Context } from 'hono';
import { runCommentCommands } from '../../src/comment-commands/run-command.js';
import type { CommentCommand } from '../../src/comment-commands/parse-commands.js';
import { BUTTON } from '../../src/forge/github-app/check-run-report.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import type { BackgroundTasks } from '../http/background-tasks.js';
import { readCheckRunAction, readInstallationChange } from '../http/github-app-payloads.js';
import type { WebhookForge } from '../http/webhook-signature.js';
import { projectsForRepository } from './webhook-comments.js';

/** A button is clicked once: GitHub redelivers with the same delivery id, for days. */
const BUTTON_MEMORY_MS = 30 * 24 * 3600_000;

/** The forges among `signed` that are GitHub Apps with this app id. */
function appForges(deps: AppDeps, signed: readonly WebhookForge[], appId: number | undefined): string[] {
  return signed
    .map((forge) => forge.name)
    .filter((name) => {
      const forge = deps.loaded.config.forges[name];
      return forge?.app_id !== undefined && (appId === undefined || forge.app_id === appId);
    });
}

/** What a button's identifier asks for, on the deploy's project and stage. */
function buttonCommand(identifier: string, project: string, stage: string): CommentCommand | undefined {
  if (identifier === BUTTON.approve) return { name: 'approve' };
  if (identifier === BUTTON.rollback) return { name: 'rollback', project, stage };
  if (identifier.startsWith(BUTTON.promotePrefix))
    return { name: 'promote', project, stage: identifier.slice(BUTTON.promotePrefix.length) };
  return undefined;
}

/**
 * A check_run delivery with `action: requested_action` (a button of our check run) runs as the
 * comment command it stands for, through the same runner: the same permission check,
 * allow_self_approval rule and reply (a PR comment), and once per delivery id.
 */
export function handleCheckRun(
  c: Context<AppEnv>,
  deps: AppDeps,
  tasks: BackgroundTasks,
  signed: readonly WebhookForge[],
  payload: unknown,
  delivery: string,
): Response {
  const ignored = (reason: string) => c.json({ ignored: reason }, 202);
  const click = readCheckRunAction(payload);
  if (!click) return ignored('payload');
  if (click.action !== 'requested_action' || click.identifier === undefined) return ignored('action');
  if (click.senderIsBot) return ignored('bot');
  const forgeNames = appForges(deps, signed, click.appId);
  if (forgeNames.length === 0) return ignored('not_our_app');
  const record = click.deployId === undefined ? undefined : deps.store.getDeploy(click.deployId);
  if (!record) return ignored('unknown_deploy');
  const match = projectsForRepository(deps.loaded.config, forgeNames, click.repository);
  // The check run must be of a deploy of a project that reports to this repository and App.
  if (!match?.projects.includes(record.project)) return ignored('no_project');
  const pr = record.intent.source?.pr ?? click.pullRequests[0];
  if (pr === undefined) return ignored('not_pull_request');
  const command = buttonCommand(click.identifier, record.project, record.stage);
  if (!command) return ignored('unknown_button');
  c.set('logFields', { project: record.project });
  if (
    !deps.store.claimOnce(
      'comment',
      `${match.forgeName}:button:${delivery}`,
      BUTTON_MEMORY_MS,
      deps.clock.now(),
    )
  )
    return c.json({ ignored: 'duplicate' }, 200);
  const target = deps.forgeFor(record.project);
  if (!target) return ignored('no_forge_client');
  const { postReply } = deps;
  const serverUrl = deps.loaded.config.forges[match.forgeName]?.url ?? 'https://github.com';
  tasks.add(
    runCommentCommands(
      {
        config: deps.loaded.config,
        deployer: deps.deployer,
        store: deps.store,
        client: target.client,
        logger: deps.logger,
        ...(postReply === undefined
          ? {}
          : { postReply: (event, body) => postReply(record.project, event.pr, event.commentId, body) }),
      },
      {
        forge: 'github',
        projects: [record.project],
        repo: target.repo,
        serverUrl,
        pr,
        commentId: click.checkRunId,
        commenter: click.sender,
        via: 'check_run',
      },
      { commands: [command], truncated: false },
    ),
  );
  return c.json({ accepted: 'button', project: record.project, command: command.name }, 202);
}

/**
 * installation and installation_repositories: where the App is installed, kept so reports find
 * the installation of a repository without asking, and a removed one is named in the error.
 */
export function handleInstallation(
  c: Context<AppEnv>,
  deps: AppDeps,
  signed: readonly WebhookForge[],
  event: string,
  payload: unknown,
): Response {
  const change = readInstallationChange(event, payload);
  if (!change) return c.json({ ignored: 'payload' }, 202);
  const forgeNames = appForges(deps, signed, change.appId);
  if (forgeNames.length === 0 || !deps.installations) return c.json({ ignored: 'not_our_app' }, 202);
  for (const forge of forgeNames) {
    if (change.added.length > 0 || change.action === 'created')
      deps.installations.add(forge, change.installationId, change.account, change.added);
    if (change.removed.length > 0 || change.action === 'deleted')
      deps.installations.remove(
        forge,
        change.removed,
        change.action === 'deleted' ? change.account : undefined,
      );
  }
  deps.logger.info('GitHub App installation changed', {
    event,
    action: change.action,
    account: change.account,
    installationId: change.installationId,
    added: change.added.length,
    removed: change.removed.length,
  });
  return c.json({ accepted: event, installation: change.installationId }, 202);
}
