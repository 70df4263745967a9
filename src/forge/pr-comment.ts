import type { Config } from '../config/schema.js';
import { NOTHING_LIVE, type DeployRecord, type DeployStatus } from '../core/deploy-types.js';
import type { Store } from '../store/store.js';
import { enabledPreviews, previewStageConfig, previewStageName } from '../previews/preview-stage.js';
import { deployPageUrl, reportLinks, successUrl } from './deploy-report.js';

/** Marks docker-watcher's one comment per PR, so it is found and edited instead of repeated. */
export const PR_COMMENT_MARKER = '<!-- docker-watcher:pr-comment -->';

const STATE: Record<DeployStatus, string> = {
  awaiting_approval: '⏸️ awaiting approval',
  queued: '⏳ queued',
  running: '🚀 deploying',
  succeeded: '✅ live',
  failed: '❌ failed',
  superseded: '⏭️ superseded',
  interrupted: '⚠️ interrupted',
  cancelled: '⏹️ cancelled',
};

const time = (record: DeployRecord) =>
  `${(record.finishedAt ?? record.startedAt ?? record.createdAt).replace('T', ' ').slice(0, 16)} UTC`;
const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s+/g, ' ');
const shortDigest = (digest: string | undefined) =>
  digest ? ` (${digest.replace(/^sha256:/, '').slice(0, 12)})` : '';

/** What happened to a failed or interrupted deploy, in a few words: ` in health: HTTP 404 on /health (12s)`. */
function stateDetail(record: DeployRecord): string {
  const { error } = record;
  if (!error) return '';
  if (record.status === 'failed')
    return cell(` in ${error.phase}${error.summary ? `: ${error.summary}` : ''}`);
  if (record.status === 'interrupted') return cell(`: ${error.message}`.slice(0, 160));
  return '';
}

/**
 * How a comment command names a stage: `prod`, or `api/prod` when other projects deploy from the
 * same repository (a bare stage would act on all of them).
 */
function commandStage(config: Config, project: string, stage: string): string {
  const repository = config.projects[project]?.repository?.toLowerCase();
  const shared = Object.entries(config.projects).some(
    ([name, other]) =>
      name !== project && repository !== undefined && other.repository?.toLowerCase() === repository,
  );
  return shared ? `${project}/${stage}` : stage;
}

/**
 * The PR comment, rebuilt from the store: per project, a table of its stages with the latest
 * deploy of each (version, state, URL, time) and how to approve or promote what waits.
 */
export function renderPrComment(
  config: Config,
  store: Store,
  projects: readonly string[],
  pr?: number,
): string {
  const publicUrl = config.global.public_url;
  const parts = [PR_COMMENT_MARKER, '### docker-watcher deploys'];
  for (const project of [...projects].sort()) {
    const stages = { ...config.projects[project]?.stages };
    // The PR's own preview, when the project has previews and this PR has one (or had one).
    const preview = pr === undefined ? undefined : previewStageName(pr);
    const previewConfig = preview === undefined ? undefined : previewStageConfig(config, project, preview);
    if (
      preview &&
      previewConfig &&
      enabledPreviews(config.projects[project]) &&
      store.getPreview(project, pr!)
    ) {
      stages[preview] = previewConfig;
    }
    const rows: string[] = [];
    const actions: string[] = [];
    for (const [stage, stageConfig] of Object.entries(stages)) {
      const latest: DeployRecord | undefined = store.listDeploys({ project, stage, limit: 1 })[0];
      const live = store.getLive(project, stage);
      if (!latest) {
        rows.push(
          `| ${cell(stage)} | ${live ? cell(live.tag) + shortDigest(live.digest) : '—'} | ${live ? STATE.succeeded : 'not deployed'} | | |`,
        );
      } else {
        if (latest.kind === 'teardown') {
          const state = latest.status === 'succeeded' ? '🧹 removed' : STATE[latest.status];
          rows.push(`| ${cell(stage)} | — | ${state} | | ${time(latest)} |`);
          continue;
        }
        const version =
          cell(latest.intent.tag ?? NOTHING_LIVE) + shortDigest(latest.digest ?? latest.intent.digest);
        const page = deployPageUrl(publicUrl, latest.id);
        const url = latest.status === 'succeeded' ? successUrl(latest, reportLinks(config)) : page;
        const detail = stateDetail(latest);
        rows.push(
          `| ${cell(stage)} | ${version} | ${STATE[latest.status]}${detail} | ${url ? `[link](${url})` : ''} | ${time(latest)} |`,
        );
        if (latest.status === 'awaiting_approval') {
          actions.push(`- \`${latest.intent.tag}\` waits for approval on **${stage}**: comment \`/approve\``);
        }
      }
      const from =
        stageConfig.promote_from === undefined ? undefined : store.getLive(project, stageConfig.promote_from);
      if (from && from.tag !== live?.tag && latest?.status !== 'awaiting_approval') {
        actions.push(
          `- \`${from.tag}\` is live on ${stageConfig.promote_from}: comment \`/promote ${commandStage(config, project, stage)}\` to deploy it to **${stage}**`,
        );
      }
    }
    parts.push(
      `#### ${cell(project)}`,
      '| Stage | Version | State | URL | Time |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      ...(actions.length ? ['', ...actions] : []),
    );
  }
  return parts.join('\n');
}
