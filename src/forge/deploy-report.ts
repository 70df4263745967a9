import { previewPrOf } from '../previews/preview-stage.js';
import type { Config } from '../config/schema.js';
import { NOTHING_LIVE, type DeployRecord } from '../core/deploy-types.js';
import { MAX_STATUS_DESCRIPTION } from './forge-common.js';
import type { CommitStatus, DeploymentState } from './forge.js';

/** Where a report's links point: the dashboard under public_url, and whether stage URLs are public. */
export interface ReportLinks {
  publicUrl: string | undefined;
  /**
   * Whether a deploy's URL is one a reviewer can open (a proxy host on the stage's domain).
   * Without a proxy it is the container's published port on the Docker host, which means
   * nothing elsewhere, so the deploy page is linked instead.
   */
  publicStageUrls: boolean;
}

/** The links of a config's reports. */
export function reportLinks(config: Config): ReportLinks {
  return { publicUrl: config.global.public_url, publicStageUrls: config.global.npm !== undefined };
}

/** The commit status context of a stage (all previews share `docker-watcher/preview`). */
export function statusContext(stage: string): string {
  return previewPrOf(stage) === undefined ? `docker-watcher/${stage}` : 'docker-watcher/preview';
}

/** The deploy's page in the dashboard, when the app's public URL is configured. */
export function deployPageUrl(publicUrl: string | undefined, deployId: string): string | undefined {
  return publicUrl === undefined
    ? undefined
    : `${publicUrl.replace(/\/+$/, '')}/deploys/${encodeURIComponent(deployId)}`;
}

/** The link for a succeeded deploy: its URL when a reviewer can open it, else its deploy page. */
export function successUrl(record: DeployRecord, links: ReportLinks): string | undefined {
  const page = deployPageUrl(links.publicUrl, record.id);
  return links.publicStageUrls && record.url ? record.url : page;
}

/**
 * Why a deploy failed or stopped, cause first (`failed in health: HTTP 404 on /health (12s)`),
 * then what was deployed where when it fits in a commit status; the whole story is on the deploy
 * page the status links to.
 */
function causeFirst(cause: string, what: string): string {
  const oneLine = cause.replace(/\s+/g, ' ').trim();
  const full = `${oneLine} (${what})`;
  return full.length <= MAX_STATUS_DESCRIPTION ? full : oneLine;
}

/** Reconcile says `interrupted by a restart of docker-watcher during phase pull`; a shutdown, `aborted during pull: ...`. */
function interruption(message: string | undefined): string {
  if (message === undefined) return 'interrupted: docker-watcher stopped during the deploy';
  return message.startsWith('interrupted') ? message : `interrupted: ${message}`;
}

/** What a deploy's commit status says in each of its states. */
export function commitStatusFor(record: DeployRecord, links: ReportLinks): CommitStatus {
  const page = deployPageUrl(links.publicUrl, record.id);
  const what = `${record.intent.tag ?? NOTHING_LIVE} to ${record.stage}`;
  const status = (state: CommitStatus['state'], description: string, targetUrl = page): CommitStatus => ({
    state,
    context: statusContext(record.stage),
    description,
    ...(targetUrl === undefined ? {} : { targetUrl }),
  });
  const phase = record.error?.phase ?? 'an unknown phase';
  switch (record.status) {
    case 'awaiting_approval':
      return status('pending', `${what} awaiting approval: comment /approve`);
    case 'queued':
    case 'running':
      return status('pending', `deploying ${what}`);
    case 'succeeded':
      return status('success', `deployed ${what}`, successUrl(record, links));
    case 'failed':
      return status(
        'failure',
        causeFirst(
          `failed in ${phase}: ${record.error?.summary ?? record.error?.message ?? 'no detail'}`,
          what,
        ),
      );
    case 'superseded':
      return status(
        'error',
        causeFirst(`superseded by a newer deploy of ${record.stage}`, record.intent.tag ?? NOTHING_LIVE),
      );
    case 'interrupted':
      return status('error', causeFirst(interruption(record.error?.message), what));
    case 'cancelled':
      return status('error', causeFirst('cancelled', what));
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
