import { ConflictError, NotFoundError, ValidationError, errorMessage } from '../core/errors.js';
import type { PullRequestInfo } from '../forge/forge.js';
import { checkAccess } from './command-access.js';
import {
  approveCommand,
  deployCommand,
  helpText,
  promoteCommand,
  rollbackCommand,
} from './command-actions.js';
import type { ActionContext, CommandDeps, CommandResult, CommentEvent } from './command-context.js';
import { MAX_COMMANDS, type CommentCommand, type ParsedComment } from './parse-commands.js';

export type { CommandDeps, CommentEvent } from './command-context.js';

/** What a comment led to: the reply posted (or that could not be posted) and each command's result. */
export interface CommentOutcome {
  reply: string;
  results: CommandResult[];
  replyId?: number;
}

function runOne(ctx: ActionContext, command: CommentCommand): CommandResult {
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
      case 'help':
        return { ok: true, text: helpText(ctx) };
      case 'invalid':
        return { ok: false, text: `\`${command.line}\` was not understood; write \`${command.usage}\`.` };
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
      project: ctx.event.project,
      command: command.name,
      error,
    });
    return { ok: false, text: `${command.name} failed: ${errorMessage(error)}` };
  }
}

function replyBody(event: CommentEvent, results: readonly CommandResult[], truncated: boolean): string {
  const lines = results.map((result) => `- ${result.ok ? '✅' : '⛔'} ${result.text}`);
  if (truncated)
    lines.push(`- only the first ${MAX_COMMANDS} commands of a comment are run; the rest were ignored.`);
  return [`@${event.commenter}`, ...lines].join('\n');
}

/**
 * Runs the commands of one PR comment: an 'eyes' reaction at once, then the permission check
 * (a refusal when it fails), then each command through the deploy service, then ONE reply that
 * says what was done or why not. Never throws: forge failures are logged.
 */
export async function runCommentCommands(
  deps: CommandDeps,
  event: CommentEvent,
  parsed: ParsedComment,
): Promise<CommentOutcome> {
  const { client, logger, signal } = deps;
  const log = logger.child({ project: event.project, pr: event.pr, commenter: event.commenter });
  try {
    await client.addReaction(event.repo, event.commentId, 'eyes', signal);
  } catch (error) {
    log.warn('could not add the eyes reaction to a command comment', { error });
  }

  const results = await decide(deps, event, parsed);
  const reply = replyBody(event, results, parsed.truncated);
  try {
    const replyId = await client.createComment(event.repo, event.pr, reply, signal);
    return { reply, results, replyId };
  } catch (error) {
    log.error('could not post the reply to a command comment', { error });
    return { reply, results };
  }
}

async function decide(
  deps: CommandDeps,
  event: CommentEvent,
  parsed: ParsedComment,
): Promise<CommandResult[]> {
  const projectConfig = deps.config.projects[event.project];
  if (!projectConfig) return [{ ok: false, text: `project ${event.project} is no longer in the config.` }];
  const access = await checkAccess(
    deps.client,
    event.repo,
    event.project,
    projectConfig,
    event.commenter,
    deps.signal,
  );
  if (!access.allowed) return [{ ok: false, text: `not allowed: ${access.reason}` }];

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

  const ctx: ActionContext = { deps, event, projectConfig, pullRequest };
  return parsed.commands.map((command) => runOne(ctx, command));
}
