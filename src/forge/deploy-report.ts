import type { DeployRecord } from '../core/deploy-types.js';
import type { CommitStatus, DeploymentState } from './forge.js';

/** The commit status context of a stage. */
export function statusContext(stage: string): string {
  return `docker-watcher/${stage}`;
}

/** The deploy's page in the dashboard, when the app's public URL is configured. */
export function deployPageUrl(publicUrl: string | undefined, deployId: string): string | undefined {
  return publicUrl === undefined
    ? undefined
    : `${publicUrl.replace(/\/+$/, '')}/deploys/${encodeURIComponent(deployId)}`;
}

/** What a deploy's commit status says in each of its states. */
export function commitStatusFor(record: DeployRecord, publicUrl: string | undefined): CommitStatus {
  const page = deployPageUrl(publicUrl, record.id);
  const what = `${record.intent.tag} to ${record.stage}`;
  const status = (state: CommitStatus['state'], description: string, targetUrl = page): CommitStatus => ({
    state,
    context: statusContext(record.stage),
    description,
    ...(targetUrl === undefined ? {} : { targetUrl }),
  });
  switch (record.status) {
    case 'awaiting_approval':
      return status('pending', `${what} awaiting approval: comment /approve`);
    case 'queued':
    case 'running':
      return status('pending', `deploying ${what}`);
    case 'succeeded':
      return status('success', `deployed ${what}`, record.url ?? page);
    case 'failed':
      return status(
        'failure',
        `${what} failed in ${record.error?.phase ?? 'an unknown phase'}: ${record.error?.message ?? 'no detail'}`,
      );
    case 'superseded':
      return status('error', `${what} superseded by a newer deploy of ${record.stage}`);
    case 'interrupted':
      return status('error', `${what} interrupted: docker-watcher stopped during the deploy`);
    case 'cancelled':
      return status('error', `${what} cancelled`);
  }
}

/** The GitHub deployment state of a deploy's status. */
export function deploymentStateFor(record: DeployRecord): DeploymentState {
  switch (record.status) {
    case 'awaiting_approval':
    case 'queued':
      return 'pending';
    case 'running':
      return 'in_progress';
    case 'succeeded':
      return 'success';
    case 'failed':
      return 'failure';
    default:
      return 'error';
  }
}
