import type { LoadedConfig } from '../config/loaded-config.js';
import type { Clock } from '../core/clock.js';
import type { DeployEvent, DeployRecord, DeploySource } from '../core/deploy-types.js';
import { errorMessage } from '../core/errors.js';
import type { DeployObserver } from '../deploy/deploy-observer.js';
import type { Logger } from '../log/logger.js';
import type { PreviewRecord, Store } from '../store/store.js';
import { previewPrOf } from '../previews/preview-stage.js';
import {
  commitStatusFor,
  deployPageUrl,
  deploymentStateFor,
  reportLinks,
  successUrl,
} from './deploy-report.js';
import { createForgeClients, forgeFor, type ProjectForge } from './forge-for.js';
import type { CommitStatus } from './forge.js';
import { PR_COMMENT_MARKER, renderPrComment } from './pr-comment.js';
import { sendCheckRun } from './github-app/send-check-run.js';
import { ReportOutbox, type ReportOutboxOptions } from './report-outbox.js';

export interface DeployReporterDeps {
  loaded: LoadedConfig;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The forge a deploy reports to (the root passes its one set of clients; default: clients of `loaded`). */
  forgeFor?: (project: string, source: DeploySource | undefined) => ProjectForge | undefined;
  retry?: Pick<ReportOutboxOptions<ReportJob>, 'firstDelayMs' | 'maxDelayMs' | 'permanentFailureTries'>;
}

/** A DeployObserver that reports deploys to GitHub/Gitea through the durable outbox. */
export interface DeployReporter extends DeployObserver {
  /** Starts sending, first what a previous run left in the outbox. */
  start(): void;
  /** Resolves when all is sent (tests). */
  flush(): Promise<void>;
  /** Sends for up to `graceMs` more, then stops; what is left is sent after the next start. */
  stop(graceMs: number): Promise<void>;
  /** A preview was removed: its GitHub Deployments become inactive and the PR comment says so. */
  previewRemoved(preview: PreviewRecord): void;
  /** Posts the reply to a command comment on PR `pr`, through the outbox (the forge of `project`). */
  reply(project: string, pr: number, commentId: number, body: string): void;
}

/** One report, as stored in the outbox: what to send is worked out from it when it is sent. */
export type ReportJob = { project: string; source?: DeploySource } & (
  | { kind: 'status'; sha: string; status: CommitStatus }
  | { kind: 'deployment'; deployId: string; sha: string }
  | { kind: 'check_run'; deployId: string; sha: string }
  | { kind: 'comment'; pr: number }
  | { kind: 'preview-inactive'; stage: string }
  | { kind: 'reply'; pr: number; commentId: number; body: string }
);

/** How many recent deploys of a stage are looked through for the newest one of a commit. */
const RECENT = 20;
/** How many recent deploys of another project of the repository are looked through for a PR's. */
const PR_HISTORY = 100;
/**
 * How long the GitHub Deployment id of a deploy is kept (statuses after a restart go to the same
 * one), and the last commit status put per commit and context.
 */
const DEPLOYMENT_ID_DAYS = 30;

/**
 * Reports each deploy to its forge: a commit status per stage (docker-watcher/<stage>), one PR
 * comment per pull request, on GitHub a Deployment with statuses, and as a GitHub App a check
 * run per deploy. It never blocks or fails a deploy: each report is written to the outbox
 * (latest wins per commit and stage, per deploy, per PR) and sent in the background with
 * retries, also after a restart.
 */
export function createDeployReporter(deps: DeployReporterDeps): DeployReporter {
  const { loaded, store, logger } = deps;
  const log = logger.child({ component: 'forge-reporter' });
  const own = deps.forgeFor === undefined ? createForgeClients(loaded, { logger: log }) : undefined;
  const resolve =
    deps.forgeFor ?? ((project: string, source: DeploySource | undefined) => forgeFor(own!, project, source));
  const links = reportLinks(loaded.config);
  const deploymentKey = (deployId: string) => `forge-deployment:${deployId}`;
  const statusExpiry = () =>
    new Date(deps.clock.now().getTime() + DEPLOYMENT_ID_DAYS * 86_400_000).toISOString();

  /**
   * Puts a commit status unless it says exactly what the last one put for the commit and context
   * said (a deploy tried again after a restart is `deploying` again: one pending is enough).
   * The last one is kept in the store, so a restart does not send it twice either.
   */
  const putStatus = (key: string, job: ReportJob & { kind: 'status' }) => {
    const said = JSON.stringify(job.status);
    if (store.getState(`forge-status:${key}`) === said) return;
    store.setState(`forge-status:${key}`, said, { expiresAt: statusExpiry() });
    outbox.put(key, job);
  };

  /**
   * The projects the PR comment shows: this deploy's, and every other project of the same
   * repository with a recent deploy from this PR (read from the history, so a restart loses none).
   */
  const projectsOfPr = (project: string, repository: string, pr: number): string[] => {
    const fromPr = (other: string) =>
      store
        .listDeploys({ project: other, limit: PR_HISTORY })
        .some((d) => d.intent.source?.pr === pr && d.intent.source.repository.toLowerCase() === repository);
    const others = Object.entries(loaded.config.projects)
      .filter(([name, config]) => name !== project && config.repository?.toLowerCase() === repository)
      .map(([name]) => name)
      .filter(fromPr);
    return [project, ...others];
  };

  const send = async (job: ReportJob, signal: AbortSignal): Promise<void> => {
    const forge = resolve(job.project, job.source);
    if (!forge) return; // The forge or its token left the config since the report was queued.
    const { client, repo } = forge;
    switch (job.kind) {
      case 'status':
        return client.setCommitStatus(repo, job.sha, job.status, signal);
      case 'reply':
        await client.createComment(repo, job.pr, job.body, signal);
        return;
      case 'check_run':
        return sendCheckRun({ config: loaded.config, store, clock: deps.clock }, client, repo, job, signal);
      case 'comment': {
        const repository = `${repo.owner}/${repo.repo}`.toLowerCase();
        const projects = projectsOfPr(job.project, repository, job.pr);
        const body = renderPrComment(loaded.config, store, projects, job.pr);
        await client.upsertMarkedComment(repo, job.pr, PR_COMMENT_MARKER, body, signal);
        return;
      }
      case 'deployment': {
        const record = store.getDeploy(job.deployId);
        if (!record || !client.createDeployment || !client.createDeploymentStatus) return;
        const known = store.getState(deploymentKey(record.id));
        let id = known === undefined ? undefined : Number(known);
        if (id === undefined) {
          const description = `${record.intent.tag} to ${record.stage}`;
          id = await client.createDeployment(
            repo,
            previewPrOf(record.stage) === undefined
              ? { ref: job.sha, environment: record.stage, description }
              : { ref: job.sha, environment: `preview/${record.stage}`, description, transient: true },
            signal,
          );
          store.setState(deploymentKey(record.id), String(id), { expiresAt: statusExpiry() });
        }
        const page = deployPageUrl(links.publicUrl, record.id);
        const state = deploymentStateFor(record);
        const environmentUrl = state === 'success' ? successUrl(record, links) : undefined;
        await client.createDeploymentStatus(
          repo,
          id,
          {
            state,
            ...(environmentUrl === undefined ? {} : { environmentUrl }),
            ...(page === undefined ? {} : { logUrl: page }),
            description: commitStatusFor(record, links).description,
          },
          signal,
        );
        return;
      }
      case 'preview-inactive': {
        if (!client.createDeploymentStatus) return;
        const deploys = store.listDeploys({ project: job.project, stage: job.stage, limit: RECENT });
        for (const known of deploys.map((d) => store.getState(deploymentKey(d.id)))) {
          if (known === undefined) continue;
          const description = `preview ${job.stage} removed`;
          await client.createDeploymentStatus(
            repo,
            Number(known),
            { state: 'inactive', description },
            signal,
          );
        }
        return;
      }
    }
  };

  const outbox = new ReportOutbox<ReportJob>({
    store,
    clock: deps.clock,
    logger: log,
    send,
    describe: (job) => {
      const where = `${job.source?.repository ?? job.project}`;
      if (job.kind === 'status')
        return `commit status ${job.status.context} of ${where}@${job.sha.slice(0, 7)}`;
      if (job.kind === 'deployment') return `deployment of ${job.deployId} on ${where}`;
      if (job.kind === 'check_run') return `check run of ${job.deployId} on ${where}`;
      if (job.kind === 'preview-inactive') return `inactive deployments of ${job.stage} on ${where}`;
      if (job.kind === 'reply') return `reply to comment ${job.commentId} on ${where}#${job.pr}`;
      return `PR comment on ${where}#${job.pr}`;
    },
    ...deps.retry,
  });

  const isNewestOfCommit = (record: DeployRecord, sha: string) =>
    store
      .listDeploys({ project: record.project, stage: record.stage, limit: RECENT })
      .find((d) => d.intent.source?.sha === sha)?.id === record.id;

  const report = (record: DeployRecord) => {
    const source = record.intent.source;
    const forge = resolve(record.project, source);
    if (!forge) return;
    const where = `${forge.forgeName}:${forge.repo.owner}/${forge.repo.repo}`;
    const base = { project: record.project, ...(source === undefined ? {} : { source }) };
    const sha = source?.sha;

    // `running` says what `queued` said (pending, deploying): one pending status per deploy.
    // A superseded deploy's error must not overwrite the pending status of the newer deploy of the same commit.
    if (sha !== undefined && record.status !== 'running' && isNewestOfCommit(record, sha)) {
      const status = commitStatusFor(record, links);
      putStatus(`status|${where}|${sha}|${status.context}`, { ...base, kind: 'status', sha, status });
    }
    if (sha !== undefined && forge.client.createDeployment && forge.client.createDeploymentStatus) {
      outbox.put(`deployment|${record.id}`, { ...base, kind: 'deployment', deployId: record.id, sha });
    }
    const pr = source?.pr;
    if (pr !== undefined) outbox.put(`comment|${where}|${pr}`, { ...base, kind: 'comment', pr });
    reportCheckRun(record);
  };

  /**
   * A GitHub App's check run follows phases too. One key per deploy: a phase put while the last
   * update is being sent replaces the one waiting, so a burst of phases is one or two requests.
   */
  const reportCheckRun = (record: DeployRecord) => {
    const sha = record.kind === 'deploy' ? record.intent.source?.sha : undefined;
    const forge = sha === undefined ? undefined : resolve(record.project, record.intent.source);
    if (sha === undefined || !forge?.client.upsertCheckRun) return;
    const source = record.intent.source;
    outbox.put(`check_run|${record.id}`, {
      project: record.project,
      ...(source === undefined ? {} : { source }),
      kind: 'check_run',
      deployId: record.id,
      sha,
    });
  };

  return {
    onDeployEvent(event: DeployEvent, record: DeployRecord) {
      // Log lines change nothing the forge shows; statuses do, and phases change a check run.
      if (event.type === 'log') return;
      try {
        if (event.type === 'phase') return reportCheckRun(record);
        report(record);
      } catch (error) {
        log.error('could not report a deploy to its forge', {
          deployId: record.id,
          error: errorMessage(error),
        });
      }
    },
    previewRemoved(preview) {
      const source = store
        .listDeploys({ project: preview.project, stage: preview.stage, limit: RECENT })
        .find((d) => d.intent.source !== undefined)?.intent.source;
      const forge = resolve(preview.project, source);
      if (!forge) return;
      const where = `${forge.forgeName}:${forge.repo.owner}/${forge.repo.repo}`;
      const base = { project: preview.project, ...(source === undefined ? {} : { source }) };
      if (forge.client.createDeploymentStatus) {
        outbox.put(`preview-inactive|${where}|${preview.project}|${preview.stage}`, {
          ...base,
          kind: 'preview-inactive',
          stage: preview.stage,
        });
      }
      outbox.put(`comment|${where}|${preview.pr}`, { ...base, kind: 'comment', pr: preview.pr });
    },
    reply(project, pr, commentId, body) {
      const forge = resolve(project, undefined);
      if (!forge) {
        log.warn('command reply not sent: the project has no forge client', { project, pr });
        return;
      }
      const where = `${forge.forgeName}:${forge.repo.owner}/${forge.repo.repo}`;
      outbox.put(`reply|${where}|${commentId}`, { project, kind: 'reply', pr, commentId, body });
    },
    start: () => outbox.start(),
    flush: () => outbox.flush(),
    stop: (graceMs) => outbox.stop(graceMs),
  };
}
