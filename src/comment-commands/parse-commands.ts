/**
 * PR comment commands. Only a line that starts with the command counts: text in fenced or
 * indented code, inline code, quotes (`>`) and HTML comments is someone talking *about* a
 * command (or quoting an earlier one), never asking for it.
 */

import { NAME as PROJECT_NAME } from '../config/validate-config.js';

/** A stage argument, `[project/]<stage>`: without a project it means every project that has the stage. */
export interface StageTarget {
  /** Set when the stage was written `project/stage`. */
  project?: string;
  stage: string;
}

export type CommentCommand =
  | ({ name: 'deploy'; tag?: string } & StageTarget)
  | ({ name: 'promote' } & StageTarget)
  | ({ name: 'rollback' } & StageTarget)
  | { name: 'approve' }
  | { name: 'preview-down' }
  | { name: 'help' }
  /** A known command with wrong arguments: answered with its usage, never guessed at. */
  | { name: 'invalid'; line: string; usage: string };

export interface ParsedComment {
  commands: CommentCommand[];
  /** More commands than MAX_COMMANDS were written; the rest are ignored. */
  truncated: boolean;
}

/** A comment may carry a few commands (say `/approve` and `/promote prod`), not a script. */
export const MAX_COMMANDS = 3;

export const USAGE = {
  deploy: '/deploy [project/]<stage> [tag]',
  promote: '/promote [project/]<stage>',
  rollback: '/rollback [project/]<stage>',
  approve: '/approve',
  preview: '/preview down',
  help: '/help',
} as const;

const STAGE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const COMMAND_LINE = /^ {0,3}\/(deploy|promote|rollback|approve|preview|help)(?=\s|$)(.*)$/i;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** `stage` or `project/stage`, each part by its own rule; undefined when it is neither. */
function stageTarget(arg: string | undefined): StageTarget | undefined {
  if (arg === undefined) return undefined;
  const slash = arg.indexOf('/');
  if (slash === -1) return STAGE.test(arg) ? { stage: arg } : undefined;
  const project = arg.slice(0, slash);
  const stage = arg.slice(slash + 1);
  return PROJECT_NAME.test(project) && STAGE.test(stage) ? { project, stage } : undefined;
}

function toCommand(name: keyof typeof USAGE, args: string[], line: string): CommentCommand {
  const invalid = (): CommentCommand => ({ name: 'invalid', line, usage: USAGE[name] });
  const [first, second, ...rest] = args;
  const target = stageTarget(first);
  switch (name) {
    case 'deploy':
      if (!target || rest.length > 0) return invalid();
      if (second === undefined) return { name, ...target };
      return TAG.test(second) ? { name, ...target, tag: second } : invalid();
    case 'promote':
    case 'rollback':
      return target && second === undefined ? { name, ...target } : invalid();
    case 'approve':
    case 'help':
      return args.length === 0 ? { name } : invalid();
    case 'preview':
      return args.length === 1 && first?.toLowerCase() === 'down' ? { name: 'preview-down' } : invalid();
  }
}

/** Whether `line` is inside or opens/closes an HTML comment, and whether one is open after it. */
function htmlCommentState(line: string, open: boolean): { touched: boolean; open: boolean } {
  let touched = open;
  let at = 0;
  for (;;) {
    if (open) {
      const end = line.indexOf('-->', at);
      if (end === -1) return { touched: true, open: true };
      open = false;
      at = end + 3;
      continue;
    }
    const start = line.indexOf('<!--', at);
    if (start === -1) return { touched, open: false };
    touched = true;
    open = true;
    at = start + 4;
  }
}

/** Lines that are prose, with code, quotes and HTML comments left out. */
function* proseLines(body: string): Generator<string> {
  let fence: { char: string; length: number } | undefined;
  let inHtmlComment = false;
  for (const line of body.split(/\r?\n/)) {
    const fenceMatch = FENCE.exec(line);
    if (fence) {
      const closing = fenceMatch?.[1];
      if (closing?.[0] === fence.char && closing.length >= fence.length && line.trim() === closing) {
        fence = undefined;
      }
      continue;
    }
    if (fenceMatch?.[1]) {
      fence = { char: fenceMatch[1][0] ?? '`', length: fenceMatch[1].length };
      continue;
    }
    // An HTML comment hides what it encloses wherever it opens, mid-line included; a line that
    // any comment touches is never a command line (the command would not start it as rendered).
    const comment = htmlCommentState(line, inHtmlComment);
    inHtmlComment = comment.open;
    if (comment.touched) continue;
    // Indented code (4 spaces or a tab) and quotes; inline code never starts with the slash.
    if (/^( {4}|\t)/.test(line) || /^\s*>/.test(line)) continue;
    yield line;
  }
}

/** Finds the commands of a PR comment, in order, at most MAX_COMMANDS. */
export function parseCommands(body: string): ParsedComment {
  const commands: CommentCommand[] = [];
  let truncated = false;
  for (const line of proseLines(body)) {
    const match = COMMAND_LINE.exec(line);
    if (!match?.[1]) continue;
    if (commands.length === MAX_COMMANDS) {
      truncated = true;
      break;
    }
    const name = match[1].toLowerCase() as keyof typeof USAGE;
    const args = (match[2] ?? '').trim().split(/\s+/).filter(Boolean);
    commands.push(toCommand(name, args, line.trim()));
  }
  return { commands, truncated };
}
