import { findProject, hasProject } from '../config/config-lookup.js';
import { ConflictError, NotFoundError, ValidationError, errorMessage } from '../core/errors.js';
import type { ProjectConfig } from '../config/schema.js';
import type { PullRequestInfo } from '../forge/forge.js';
import { checkAccess, permissionLookup } from './command-access.js';
import {
  approveCommand,
  deployCommand,
  helpText,
  previewDownCommand,
  promoteCommand,
  rollbackCommand,
} from './command-actions.js';
import type { ActionContext, CommandDeps, CommandResult, CommentEvent } from './command-context.js';
import { commandTargets, type ProjectCommand, type ProjectSlot } from './command-targets.js';
import { MAX_COMMANDS, type CommentCommand, type ParsedComment } from './parse-commands.js';

export type { CommandDeps, CommentEvent } from './command-context.js';

/** What a comment led to: the reply posted (or that could not be posted) and each command's result. */
export interface CommentOutcome {
  reply: string;
  results: CommandResult[];
  replyId?: number;
}

function runOne(ctx: ActionContext, command: ProjectCommand): CommandResult {
  try {
    switch (command.name) {
      case 'deploy':
        return deployCommand(ctx, command.stage, command.tag);
      case 'promote':
        return promoteCommand(ctx, command.stage);
      case 'rollback':
        return rollbackCommand(ctx, command.stage);
      case 'approve':
        return approveCommand(ctx);
    }
  } catch (error) {
    // The deployer's own refusals (promote_from, nothing to roll back, ...) are the answer.
    if (
      error instanceof ConflictError ||
      error instanceof NotFoundError ||
      error instanceof ValidationError
    ) {
      return { ok: false, text: `${error.message}` };
    }
    ctx.deps.logger.error('comment command failed', {
      project: ctx.project,
      command: command.name,
      error,
    });
    return { ok: false, text: `${command.name} failed: ${errorMessage(error)}` };
  }
}

/** One command, on each project it targets; with several projects each line names its project. */
function runRouted(
  deps: CommandDeps,
  event: CommentEvent,
  slots: readonly ProjectSlot[],
  command: CommentCommand,
): CommandResult[] {
  if (command.name === 'help') {
    const projects = slots.map((slot) => slot.project);
    return [{ ok: true, text: helpText(deps.config, projects) }];
  }
  if (command.name === 'invalid')
    return [{ ok: false, text: `\`${command.line}\` was not understood; write \`${command.usage}\`.` }];
  if (command.name === 'preview-down') {
    // Every project of the repository with previews: the PR has at most one preview each.
    const withPreviews = slots.filter((slot) => slot.projectConfig.previews?.enabled);
    const chosen = withPreviews.length > 0 ? withPreviews : slots;
    return chosen.map((slot) => {
      const result = 'ok' in slot.access ? slot.access : previewDownCommand(slot.access);
      return labelled(slot.project, result, chosen.length > 1);
    });
  }
  const targets = commandTargets(command, slots, repositoryOf(event));
  if ('ok' in targets) return [targets];
  return targets.map((slot) => {
    const result = 'ok' in slot.access ? slot.access : runOne(slot.access, command);
    return labelled(slot.project, result, slots.length > 1);
  });
}

const repositoryOf = (event: CommentEvent) => `${event.repo.owner}/${event.repo.repo}`;

/** A result prefixed with its project when the repository has several. */
function labelled(project: string, result: CommandResult, several: boolean): CommandResult {
  return several ? { ...result, text: `${project}: ${result.text}` } : result;
}

function replyBody(event: CommentEvent, results: readonly CommandResult[], truncated: boolean): string {
  const lines = results.map((result) => `- ${result.ok ? '✅' : '⛔'} ${result.text}`);
  if (truncated)
    lines.push(`- only the first ${MAX_COMMANDS} commands of a comment are run; the rest were ignored.`);
  return [`@${event.commenter}`, ...lines].join('\n');
}

/**
 * Runs the commands of one PR comment on the projects of its repository: an 'eyes' reaction at
 * once, then the permission check per project (a refusal when none allows the commenter), then
 * each command through the deployer on the projects it targets, then ONE reply that says
 * what was done or why not (through `postReply` when given). Never throws: forge failures are logged.
 */
export async function runCommentCommands(
  deps: CommandDeps,
  event: CommentEvent,
  parsed: ParsedComment,
): Promise<CommentOutcome> {
  const { client, logger, signal } = deps;
  const log = logger.child({ projects: event.projects, pr: event.pr, commenter: event.commenter });
  if (event.via !== 'check_run') {
    try {
      await client.addReaction(event.repo, event.commentId, 'eyes', signal);
    } catch (error) {
      log.warn('could not add the eyes reaction to a command comment', { error });
    }
  }

  const results = await decide(deps, event, parsed);
  const reply = replyBody(event, results, parsed.truncated);
  if (deps.postReply) {
    try {
      deps.postReply(event, reply);
    } catch (error) {
      log.error('could not queue the reply to a command comment', { error });
    }
    return { reply, results };
  }
  try {
    const replyId = await client.createComment(event.repo, event.pr, reply, signal);
    return { reply, results, replyId };
  } catch (error) {
    log.error('could not post the reply to a command comment', { error });
    return { reply, results };
  }
}

/** Each project still in the config with the commenter's access to it; the forge is asked once. */
async function projectAccess(
  deps: CommandDeps,
  event: CommentEvent,
): Promise<{ project: string; projectConfig: ProjectConfig; refusal?: CommandResult }[]> {
  const lookup = permissionLookup(deps.client, event.repo, event.commenter, deps.signal);
  const projects: { project: string; projectConfig: ProjectConfig; refusal?: CommandResult }[] = [];
  for (const project of event.projects) {
    if (!hasProject(deps.config, project)) continue;
    const projectConfig = findProject(deps.config, project);
    const access = await checkAccess(lookup, project, projectConfig);
    const refusal = access.allowed ? {} : { refusal: { ok: false, text: `not allowed: ${access.reason}` } };
    projects.push({ project, projectConfig, ...refusal });
  }
  return projects;
}

async function decide(
  deps: CommandDeps,
  event: CommentEvent,
  parsed: ParsedComment,
): Promise<CommandResult[]> {
  const projects = await projectAccess(deps, event);
  if (projects.length === 0)
    return [{ ok: false, text: `project ${event.projects.join(', ')} is no longer in the config.` }];
  if (projects.every((entry) => entry.refusal)) {
    return projects.flatMap(({ project, refusal }) =>
      refusal ? [labelled(project, refusal, projects.length > 1)] : [],
    );
  }

  let pullRequest: PullRequestInfo;
  try {
    pullRequest = await deps.client.getPullRequest(event.repo, event.pr, deps.signal);
  } catch (error) {
    return [
      { ok: false, text: `could not read PR #${event.pr} (${errorMessage(error)}), so nothing was done.` },
    ];
  }
  if (pullRequest.state !== 'open')
    return [{ ok: false, text: `PR #${event.pr} is closed; commands are ignored.` }];

  const slots: ProjectSlot[] = projects.map(({ project, projectConfig, refusal }) => ({
    project,
    projectConfig,
    access: refusal ?? { deps, event, project, projectConfig, pullRequest },
  }));
  return parsed.commands.flatMap((command) => runRouted(deps, event, slots, command));
}
