import type { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import { zodIssues } from '../../src/protocol/deploy-request.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize, principalName } from '../http/auth.js';
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

/** GET /api/deploys, GET /api/deploys/:id, POST /api/deploys/:id/approve. */
export function registerDeploys(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/deploys', (c) => {
    authorize(c, deps, {});
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
    const record = findDeploy(deps, c.req.param('id'));
    c.set('logFields', { deployId: record.id, project: record.project, stage: record.stage });
    authorize(c, deps, { project: record.project, followDeployId: record.id });
    return c.json({ deploy: publicRecord(record) });
  });

  // Approval takes the API token only: a CI job that can sign requests must not approve itself.
  app.post('/api/deploys/:id/approve', (c) => {
    const record = findDeploy(deps, c.req.param('id'));
    c.set('logFields', { deployId: record.id, project: record.project, stage: record.stage });
    const principal = authorize(c, deps, { project: record.project, tokenOnly: true });
    const approved = deps.deploys.approve(record.id, principalName(principal));
    return c.json(acceptedBody(c, deps, approved), 202);
  });
}
