import type { Phase } from './deploy-types.js';

/**
 * The few named errors of docker-watcher. The HTTP layer maps them to status codes in one
 * place (app.onError); everything else is a 500 with no internals shown.
 */

/** Bad input from a user or a request: the message says what was wrong and what to do. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The config file is invalid; each issue names the key path, line, expected and found. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(message);
  }
}

export interface ConfigIssue {
  /** Dotted key path, e.g. projects.web.stages.dev.tag_pattern */
  path: string;
  line?: number;
  message: string;
}

/** The caller is not authenticated (401): no token, a wrong one, a bad signature. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(message: string) {
    // A refusal is an answer, not a fault: no one reads its stack (app.onError logs only 5xx),
    // and a flood of bad signatures makes thousands a second, each capturing one otherwise
    // (5% of a refused request's time, measured with npm run bench -- flood).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** The caller is known but may not do this (see src/core/permissions.ts); the message says who may. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The request is well formed but cannot be done (tag matches no stage, image not the project's, stage busy). */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(
    message: string,
    readonly status: 409 | 422 = 422,
  ) {
    super(message);
  }
}

/** An outside system (Docker, NPM, registry, forge) failed; `system` names it. */
export class ExternalError extends Error {
  override name = 'ExternalError';
  constructor(
    readonly system: 'docker' | 'registry' | 'npm' | 'forge' | 'notification',
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
  readonly status: number | undefined;
}

/**
 * A deploy failed in `phase`; carries the new container's last log lines when there are any,
 * and a `summary`: the cause in a few words (`HTTP 404 on /health (12s)`), for places with
 * little room such as a commit status.
 */
export class DeployError extends Error {
  override name = 'DeployError';
  constructor(
    readonly phase: Phase,
    message: string,
    options?: { cause?: unknown; containerLogs?: string[]; summary?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.containerLogs = options?.containerLogs;
    this.summary = options?.summary;
  }
  readonly containerLogs: string[] | undefined;
  readonly summary: string | undefined;
}

/** Turns anything thrown into a message fit for a person (no stack). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
