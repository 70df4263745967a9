import type { LoadedConfig } from '../config/loaded-config.js';
import type { Clock } from '../core/clock.js';
import type { DeployEvent, DeployRecord, DeploySource } from '../core/deploy-types.js';
import { errorMessage } from '../core/errors.js';
import type { DeployObserver } from '../deploy/deploy-observer.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { commitStatusFor, deployPageUrl, deploymentStateFor } from './deploy-report.js';
import { forgeFor, type ProjectForge } from './forge-for.js';
import { PR_COMMENT_MARKER, renderPrComment } from './pr-comment.js';
import { ReportQueue, type ReportQueueOptions } from './report-queue.js';

export interface DeployReporterDeps {
  loaded: LoadedConfig;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The forge a deploy reports to (default: forgeFor of forge-for.ts). */
  forgeFor?: (project: string, source: DeploySource | undefined) => ProjectForge | undefined;
  retry?: Pick<ReportQueueOptions, 'firstDelayMs' | 'maxDelayMs' | 'permanentFailureTries'>;
}

/** A DeployObserver that reports deploys to GitHub/Gitea; `flush` resolves when all is sent. */
export interface DeployReporter extends DeployObserver {
  flush(): Promise<void>;
  /** Stops retrying (shutdown): reports still waiting are dropped and logged. */
  close(): void;
}

/** How many recent deploys of a stage are looked through for the newest one of a commit. */
const RECENT = 20;
/** How many recent deploys of another project of the repository are looked through for a PR's. */
const PR_HISTORY = 100;

/**
 * Reports each deploy to its forge: a commit status per stage (docker-watcher/<stage>), one PR
 * comment per pull request, and on GitHub a Deployment with statuses. It never blocks or fails
 * a deploy: work goes into a latest-wins queue sent in the background with retries.
 */
export function createDeployReporter(deps: DeployReporterDeps): DeployReporter {
  const { loaded, store, logger } = deps;
  const log = logger.child({ component: 'forge-reporter' });
  const resolve = deps.forgeFor ?? ((project, source) => forgeFor(loaded, project, source, { logger: log }));
  const queue = new ReportQueue({ clock: deps.clock, logger: log, ...deps.retry });
  const publicUrl = () => loaded.config.global.public_url;
  /** GitHub deployment ids per deploy id. */
  const deployments = new Map<string, number>();

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

  const isNewestOfCommit = (record: DeployRecord, sha: string) =>
    store
      .listDeploys({ project: record.project, stage: record.stage, limit: RECENT })
      .find((d) => d.intent.source?.sha === sha)?.id === record.id;

  const report = (record: DeployRecord) => {
    const source = record.intent.source;
    const forge = resolve(record.project, source);
    if (!forge) return;
    const { client, repo } = forge;
    const where = `${forge.forgeName}:${repo.owner}/${repo.repo}`;
    const sha = source?.sha;

    // A superseded deploy's error must not overwrite the pending status of the newer deploy of the same commit.
    if (sha !== undefined && isNewestOfCommit(record, sha)) {
      const status = commitStatusFor(record, publicUrl());
      queue.put(`status|${where}|${sha}|${status.context}`, {
        what: `commit status ${status.context} of ${where}@${sha.slice(0, 7)}`,
        run: (signal) => client.setCommitStatus(repo, sha, status, signal),
      });
    }

    if (sha !== undefined && client.createDeployment && client.createDeploymentStatus) {
      const create = client.createDeployment.bind(client);
      const update = client.createDeploymentStatus.bind(client);
      queue.put(`deployment|${record.id}`, {
        what: `deployment of ${record.id} on ${where}`,
        run: async (signal) => {
          const current = store.getDeploy(record.id) ?? record;
          let id = deployments.get(record.id);
          if (id === undefined) {
            id = await create(
              repo,
              { ref: sha, environment: record.stage, description: `${record.intent.tag} to ${record.stage}` },
              signal,
            );
            deployments.set(record.id, id);
          }
          const page = deployPageUrl(publicUrl(), record.id);
          const state = deploymentStateFor(current);
          await update(
            repo,
            id,
            {
              state,
              ...(state === 'success' && current.url ? { environmentUrl: current.url } : {}),
              ...(page === undefined ? {} : { logUrl: page }),
              description: commitStatusFor(current, publicUrl()).description,
            },
            signal,
          );
        },
      });
    }

    const pr = source?.pr;
    if (pr !== undefined) {
      const key = `comment|${where}|${pr}`;
      const repository = `${repo.owner}/${repo.repo}`.toLowerCase();
      queue.put(key, {
        what: `PR comment on ${where}#${pr}`,
        run: async (signal) => {
          await client.upsertMarkedComment(
            repo,
            pr,
            PR_COMMENT_MARKER,
            renderPrComment(loaded.config, store, projectsOfPr(record.project, repository, pr)),
            signal,
          );
        },
      });
    }
  };

  return {
    onDeployEvent(event: DeployEvent, record: DeployRecord) {
      // Phases and log lines change nothing the forge shows; statuses do.
      if (event.type !== 'status') return;
      try {
        report(record);
      } catch (error) {
        log.error('could not report a deploy to its forge', {
          deployId: record.id,
          error: errorMessage(error),
        });
      }
    },
    flush: () => queue.flush(),
    close: () => queue.close(),
  };
}
