import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConflictError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { ErrorPage } from './login-page.js';
import { pageView, sendPage } from './page-response.js';
import { readSession } from './session-cookie.js';

function describe(error: unknown): { status: ContentfulStatusCode; title: string; message?: string } {
  if (error instanceof ValidationError) return { status: 400, title: 'Not accepted', message: error.message };
  if (error instanceof NotFoundError) return { status: 404, title: 'Not found', message: error.message };
  if (error instanceof ConflictError)
    return { status: error.status, title: 'Cannot do that now', message: error.message };
  if (error instanceof HTTPException) {
    return {
      status: error.status,
      title: error.status === 403 ? 'Refused' : 'Not accepted',
      message: error.message,
    };
  }
  return { status: 500, title: 'Something went wrong' };
}

/**
 * The dashboard's counterpart of the API's error handler: the same named errors, shown as an
 * HTML page a person can read at 3 a.m.; anything unexpected goes to the log only.
 */
export function dashboardErrorHandler(deps: AppDeps) {
  return async (error: unknown, c: Context): Promise<Response> => {
    const { status, title, message } = describe(error);
    if (status >= 500) deps.logger.error('dashboard request failed', { path: c.req.path, error });
    const view = pageView(c, deps, readSession(c, deps));
    const text = message ?? 'The app log has the details.';
    const form = (c as Context<AppEnv>).get('actionForm');
    return sendPage(c, <ErrorPage view={view} title={title} message={text} form={form} />, status);
  };
}
