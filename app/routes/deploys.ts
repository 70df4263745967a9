import type { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import { zodIssues } from '../../src/protocol/deploy-request.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import type { Action } from '../../src/core/permissions.js';
import { authorize, principalName, type AuthScope } from '../http/auth.js';
import { acceptedBody, publicRecord } from '../http/deploy-views.js';

const listQuery = z.strictObject({
  project: z.string().min(1).optional(),
  stage: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});

/** The deploy `id`, or a 404 naming it. */
export function findDeploy(deps: AppDeps, id: string): DeployRecord {
  const record = deps.store.getDeploy(id);
  if (!record) throw new NotFoundError(`deploy "${id}" does not exist; list deploys with GET /api/deploys`);
  return record;
}

/**
 * The auth scope of a route of one deploy: its project (for a signature or its follow token),
 * read before the deploy is known to exist so that an unauthenticated caller gets 401, not 404.
 */
export function deployScope(deps: AppDeps, id: string, action: Action): AuthScope {
  const project = deps.store.getDeploy(id)?.project;
  return { action, followDeployId: id, ...(project === undefined ? {} : { project }) };
}

/** GET /api/deploys, GET /api/deploys/:id, POST /api/deploys/:id/approve. */
export function registerDeploys(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/deploys', (c) => {
    authorize(c, deps, { action: 'read-all' });
    const query = listQuery.safeParse(c.req.query());
    if (!query.success)
      throw new ValidationError('invalid query for GET /api/deploys', zodIssues(query.error));
    const { project, stage, limit } = query.data;
    const deploys = deps.store.listDeploys({
      limit,
      ...(project === undefined ? {} : { project }),
      ...(stage === undefined ? {} : { stage }),
    });
    return c.json({ deploys: deploys.map(publicRecord) });
  });

  app.get('/api/deploys/:id', (c) => {
    authorize(c, deps, deployScope(deps, c.req.param('id'), 'read'));
    const record = findDeploy(deps, c.req.param('id'));
    c.set('logFields', { deployId: record.id, project: record.project, stage: record.stage });
    return c.json({ deploy: publicRecord(record) });
  });

  // Approval is a person's: a CI job that can sign requests must not approve itself (403).
  app.post('/api/deploys/:id/approve', (c) => {
    const principal = authorize(c, deps, deployScope(deps, c.req.param('id'), 'approve'));
    const record = findDeploy(deps, c.req.param('id'));
    c.set('logFields', { deployId: record.id, project: record.project, stage: record.stage });
    const approved = deps.deployer.approve(record.id, principalName(principal));
    return c.json(acceptedBody(c, deps, approved), 202);
  });
}
