import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  AuthError,
  ConfigError,
  ConflictError,
  DeployError,
  ExternalError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../src/core/errors.js';
import type { Logger } from '../../src/log/logger.js';

interface ErrorBody {
  error: { code: string; message: string; issues?: readonly { path: string; message: string }[] };
}

const CODES: Partial<Record<number, string>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
};

function describe(error: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  const of = (status: ContentfulStatusCode, message: string, code = CODES[status] ?? 'error') => ({
    status,
    body: { error: { code, message } } as ErrorBody,
  });
  if (error instanceof ValidationError) {
    const result = of(400, error.message);
    if (error.issues.length > 0) result.body.error.issues = error.issues;
    return result;
  }
  if (error instanceof AuthError) return of(401, error.message);
  if (error instanceof ForbiddenError) return of(403, error.message);
  if (error instanceof NotFoundError) return of(404, error.message);
  if (error instanceof ConflictError) return of(error.status, error.message);
  if (error instanceof ConfigError) {
    const result = of(500, error.message, 'config_error');
    result.body.error.issues = error.issues.map(({ path, message }) => ({ path, message }));
    return result;
  }
  if (error instanceof ExternalError)
    return of(502, `${error.system}: ${error.message}`, `${error.system}_error`);
  if (error instanceof DeployError)
    return of(500, `deploy failed in phase ${error.phase}: ${error.message}`, 'deploy_failed');
  if (error instanceof HTTPException) return of(error.status, error.message);
  return of(500, 'internal error; the app log has the details', 'internal');
}

export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: ErrorBody;
  /** The headers it needs besides Content-Type. */
  headers: Record<string, string>;
}

/** The HTTP answer to `error` on `path`; a 5xx is logged with its details, which it does not show. */
export function errorAnswer(error: unknown, path: string, logger: Logger): ErrorAnswer {
  const { status, body } = describe(error);
  if (status >= 500) logger.error('request failed', { path, error });
  return { status, body, headers: status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {} };
}

/**
 * The one place errors become HTTP answers: the named errors of src/core/errors.ts get their
 * status and a JSON body; anything else is a 500 whose details only go to the log. The
 * signature gate in front of the app (signature-gate.ts) answers its refusals with errorAnswer too.
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, c: Context): Response => {
    const { status, body, headers } = errorAnswer(error, c.req.path, logger);
    return c.json(body, status, headers);
  };
}

/** 404 JSON for routes that do not exist. */
export function notFoundHandler(c: Context): Response {
  return c.json(
    { error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}; see GET /api/version` } },
    404,
  );
}
