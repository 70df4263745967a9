import type { Config } from '../config/schema.js';
import { findProject } from '../config/config-lookup.js';
import type { Clock } from '../core/clock.js';
import type { DeployRecord, DeploySource } from '../core/deploy-types.js';
import { ConflictError, errorMessage, ExternalError, NotFoundError } from '../core/errors.js';
import type { Deployer } from '../deploy/deployer.js';
import type { ProjectForge } from '../forge/forge-for.js';
import type { PullRequestInfo } from '../forge/forge.js';
import type { Logger } from '../log/logger.js';
import type { PreviewRecord, Store } from '../store/store.js';
import { enabledPreviews, previewDomain, previewStageName } from './preview-stage.js';
import { previewExpired, previewsToEvict } from './preview-rules.js';

/** How long a PR's state from the forge is trusted before it is asked again. */
export const PR_STATE_CACHE_MS = 30_000;
/** How often TTLs are checked and removals that failed are tried again. */
export const PREVIEW_SWEEP_MS = 60_000;

export interface PreviewDeps {
  config: Config;
  store: Store;
  deployer: Pick<Deployer, 'teardown' | 'waitFor'>;
  clock: Clock;
  logger: Logger;
  /** The forge a project reports to (the root's one set of clients). */
  forgeFor: (project: string, source?: DeploySource) => ProjectForge | undefined;
  /** Told when a preview was removed (the forge reporter marks its Deployment inactive). */
  onRemoved?: (preview: PreviewRecord) => void;
}

/** Previews per pull request: who may have one, and their removal (README "Previews"). */
export interface Previews {
  /**
   * Admits a CI request for PR `pr`'s preview of `project`: the PR must be open on the forge
   * (and not from a fork unless previews.forks), and at `max` the idlest preview goes or the
   * request is refused. Records the preview; the caller then submits the deploy to `pr-<n>`.
   */
  admit(project: string, pr: number, source?: DeploySource): Promise<PreviewRecord>;
  /** Removes a preview (teardown through the stage queue); false when none is live. */
  remove(project: string, pr: number, reason: string): Promise<boolean>;
  /**
   * Starts removing a preview and returns its teardown record (the dashboard shows it); undefined
   * when the preview is not live or its removal is already under way.
   */
  removeNow(project: string, pr: number, reason: string): DeployRecord | undefined;
  /** A PR of `repository` was closed or merged: removes its previews. */
  pullClosed(repository: string, pr: number): Promise<number>;
  /** TTLs, removals to retry, and (with checkForge) previews whose PR closed while the app was down. */
  sweep(options?: { checkForge?: boolean }): Promise<void>;
  /** Sweeps with the forge check now, then every PREVIEW_SWEEP_MS until stop(). */
  start(): void;
  stop(): Promise<void>;
  list(project?: string): PreviewRecord[];
}

export function createPreviews(deps: PreviewDeps): Previews {
  const { config, store, deployer, clock, logger } = deps;
  const prCache = new Map<string, { at: number; info: PullRequestInfo }>();
  const removing = new Map<string, Promise<boolean>>();
  let stopping: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function pullState(forge: ProjectForge, pr: number, fresh: boolean): Promise<PullRequestInfo> {
    const key = `${forge.forgeName}|${forge.repo.owner}/${forge.repo.repo}#${pr}`.toLowerCase();
    const cached = prCache.get(key);
    const now = clock.now().getTime();
    if (!fresh && cached && now - cached.at < PR_STATE_CACHE_MS) return cached.info;
    const info = await forge.client.getPullRequest(forge.repo, pr, AbortSignal.timeout(10_000));
    prCache.set(key, { at: now, info });
    return info;
  }

  function repositoryOf(forge: ProjectForge | undefined, source?: DeploySource): string | undefined {
    return forge ? `${forge.repo.owner}/${forge.repo.repo}` : source?.repository;
  }

  async function admit(project: string, pr: number, source?: DeploySource): Promise<PreviewRecord> {
    const previews = enabledPreviews(findProject(config, project));
    if (!previews) throw new ConflictError(`project "${project}" has no previews: set previews.enabled`);
    const forge = deps.forgeFor(project, source);
    const repository = repositoryOf(forge, source);
    if (forge) {
      let info: PullRequestInfo;
      try {
        info = await pullState(forge, pr, false);
      } catch (error) {
        if (error instanceof ExternalError && error.status === 404) {
          throw new NotFoundError(`PR #${pr} does not exist in ${repository}: no preview is deployed for it`);
        }
        throw new ExternalError(
          'forge',
          `cannot ask ${forge.forgeName} whether PR #${pr} of ${repository} is open (${errorMessage(error)}); send the request again`,
          { cause: error },
        );
      }
      if (info.state !== 'open') {
        throw new ConflictError(`PR #${pr} of ${repository} is closed: its preview is not deployed`, 409);
      }
      if (info.fork === true && !previews.forks) {
        throw new ConflictError(
          `PR #${pr} of ${repository} comes from a fork: previews of forks need previews.forks: true`,
          422,
        );
      }
    }
    const now = clock.now().toISOString();
    const existing = store.getPreview(project, pr);
    if (existing?.state === 'live') {
      const updated = { ...existing, lastDeployAt: now };
      store.putPreview(updated);
      return updated;
    }
    if (existing?.state === 'removing') {
      throw new ConflictError(
        `the preview of PR #${pr} is being removed; send the request again in a moment`,
        409,
      );
    }
    const live = store.listPreviews({ project, states: ['live', 'removing'] });
    const evict = previewsToEvict(live, previews.max);
    if (evict.length > 0 && previews.at_max === 'refuse') {
      const names = evict.map((p) => `#${p.pr} (last deploy ${p.lastDeployAt})`).join(', ');
      throw new ConflictError(
        `project "${project}" has ${live.length} previews, its max: remove one first, e.g. ${names}, with /preview down on its PR or on the dashboard`,
        409,
      );
    }
    for (const old of evict) {
      if (old.state === 'live')
        void remove(old.project, old.pr, `evicted: ${project} reached max ${previews.max} previews`);
    }
    const record: PreviewRecord = {
      project,
      pr,
      stage: previewStageName(pr),
      ...(repository === undefined ? {} : { repository }),
      ...(forge ? { forge: forge.forgeName } : {}),
      domain: previewDomain(config, project, pr),
      createdAt: now,
      lastDeployAt: now,
      state: 'live',
    };
    store.putPreview(record);
    logger.info('preview admitted', { project, stage: record.stage, pr });
    return record;
  }

  /** Queues the teardown at once (so its record can be shown), then waits for it. */
  function teardownOf(
    preview: PreviewRecord,
    reason: string,
  ): { record?: DeployRecord; done: Promise<boolean> } {
    const marked: PreviewRecord = { ...preview, state: 'removing', removedReason: reason };
    store.putPreview(marked);
    let record: DeployRecord;
    try {
      record = deployer.teardown(preview.project, preview.stage, `preview: ${reason}`);
    } catch (error) {
      return { done: Promise.resolve(failed(preview, error)) };
    }
    const done = (async () => {
      try {
        const finished = await deployer.waitFor(record.id);
        if (finished.status !== 'succeeded')
          throw new Error(`teardown ${finished.id} ended ${finished.status}`);
      } catch (error) {
        return failed(preview, error);
      }
      const removed: PreviewRecord = { ...marked, state: 'removed', removedAt: clock.now().toISOString() };
      store.putPreview(removed);
      logger.info('preview removed', { project: preview.project, stage: preview.stage, reason });
      deps.onRemoved?.(removed);
      return true;
    })();
    return { record, done };
  }

  /** Left `removing`: the next sweep tries again (a teardown of what is gone is a no-op). */
  function failed(preview: PreviewRecord, error: unknown): false {
    logger.warn('preview removal failed; it is tried again', {
      project: preview.project,
      stage: preview.stage,
      error,
    });
    return false;
  }

  function begin(
    project: string,
    pr: number,
    reason: string,
  ): { record?: DeployRecord; done: Promise<boolean> } {
    const key = `${project}#${pr}`;
    const running = removing.get(key);
    if (running) return { done: running };
    const preview = store.getPreview(project, pr);
    if (!preview || preview.state === 'removed') return { done: Promise.resolve(false) };
    const started = teardownOf(preview, reason);
    const done = started.done.finally(() => removing.delete(key));
    removing.set(key, done);
    return { ...started, done };
  }

  const remove = (project: string, pr: number, reason: string) => begin(project, pr, reason).done;

  async function pullClosed(repository: string, pr: number): Promise<number> {
    const wanted = repository.toLowerCase();
    // The forge said it closed: a cached "open" must not let a late CI request back in.
    for (const key of prCache.keys()) if (key.endsWith(`|${wanted}#${pr}`)) prCache.delete(key);
    const matching = store
      .listPreviews({ states: ['live', 'removing'] })
      .filter((p) => p.pr === pr && p.repository?.toLowerCase() === wanted);
    const results = await Promise.all(matching.map((p) => remove(p.project, p.pr, `PR #${pr} closed`)));
    return results.filter(Boolean).length;
  }

  async function sweep(options: { checkForge?: boolean } = {}): Promise<void> {
    const now = clock.now();
    for (const preview of store.listPreviews({ states: ['live', 'removing'] })) {
      const project = Object.hasOwn(config.projects, preview.project)
        ? config.projects[preview.project]
        : undefined;
      const previews = enabledPreviews(project);
      if (preview.state === 'removing') {
        await remove(preview.project, preview.pr, preview.removedReason ?? 'removal retried');
      } else if (!previews) {
        await remove(preview.project, preview.pr, 'previews are off in the config');
      } else if (previewExpired(preview, previews, now)) {
        await remove(preview.project, preview.pr, `no deploy for ${previews.ttl_hours} h (ttl_hours)`);
      } else if (options.checkForge) {
        await removeIfClosed(preview);
      }
    }
  }

  /** Asks the forge; a forge that does not answer postpones (never a removal on a guess). */
  async function removeIfClosed(preview: PreviewRecord): Promise<void> {
    const forge = deps.forgeFor(preview.project);
    if (!forge) return;
    try {
      const info = await pullState(forge, preview.pr, true);
      if (info.state === 'open') return;
    } catch (error) {
      logger.warn('cannot check the PR of a preview; it stays until the forge answers', {
        project: preview.project,
        stage: preview.stage,
        error,
      });
      return;
    }
    await remove(preview.project, preview.pr, `PR #${preview.pr} closed`);
  }

  async function run(signal: AbortSignal): Promise<void> {
    let lastForgeCheck = -Infinity;
    while (!signal.aborted) {
      // The forge is asked at start-up and then once an hour: the webhooks do the rest.
      const checkForge = clock.now().getTime() - lastForgeCheck >= 3_600_000;
      if (checkForge) lastForgeCheck = clock.now().getTime();
      await sweep({ checkForge }).catch((error: unknown) => logger.error('preview sweep failed', { error }));
      await clock.sleep(PREVIEW_SWEEP_MS, signal).catch(() => undefined);
    }
  }

  return {
    admit,
    remove,
    removeNow: (project, pr, reason) => begin(project, pr, reason).record,
    pullClosed,
    sweep,
    start() {
      if (loop) return;
      stopping = new AbortController();
      loop = run(stopping.signal);
    },
    async stop() {
      stopping?.abort();
      await loop;
      await Promise.all(removing.values());
      loop = undefined;
    },
    list: (project) => store.listPreviews(project === undefined ? {} : { project }),
  };
}
