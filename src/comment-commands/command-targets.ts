import type { ProjectConfig } from '../config/schema.js';
import type { ActionContext, CommandResult } from './command-context.js';
import type { CommentCommand } from './parse-commands.js';

/** The commands that act on projects; /help and unparsed lines are answered once per comment. */
export type ProjectCommand = Extract<CommentCommand, { name: 'deploy' | 'promote' | 'rollback' | 'approve' }>;

/** One project of the repository: its context when the commenter may act on it, else the refusal. */
export interface ProjectSlot {
  project: string;
  projectConfig: ProjectConfig;
  access: ActionContext | CommandResult;
}

const refused = (text: string): CommandResult => ({ ok: false, text });

/**
 * The projects a command acts on: the named one for `project/stage`, every project that has the
 * stage for a bare stage, every project for /approve; or one refusal when there is none. A
 * repository of one project gets that project, which answers an unknown stage itself.
 */
export function commandTargets(
  command: ProjectCommand,
  slots: readonly ProjectSlot[],
  repository: string,
): readonly ProjectSlot[] | CommandResult {
  const names = slots.map((slot) => slot.project);
  if (command.name === 'approve') return slots;
  if (command.project !== undefined) {
    const named = slots.find((slot) => slot.project === command.project);
    if (named) return [named];
    return refused(
      `project ${command.project} does not deploy from ${repository}; its projects are: ${names.join(', ')}.`,
    );
  }
  if (slots.length === 1) return slots;
  const withStage = slots.filter((slot) => Object.hasOwn(slot.projectConfig.stages, command.stage));
  if (withStage.length > 0) return withStage;
  const stages = slots
    .map((slot) => `${slot.project}: ${Object.keys(slot.projectConfig.stages).join(', ') || 'none'}`)
    .join('; ');
  return refused(`no project of ${repository} has a stage \`${command.stage}\`; their stages are ${stages}.`);
}
