import type { LoadedConfig } from '../config/loaded-config.js';
import { resolveStage } from '../config/resolve-stage.js';
import type { Clock } from '../core/clock.js';
import type { DeployIntent, DeployRecord, DeployStatus } from '../core/deploy-types.js';
import { ConflictError, ExternalError, NotFoundError, errorMessage } from '../core/errors.js';
import type { Deployer } from '../deploy/deployer.js';
import { intakeDeploy } from '../deploy/intake.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { ordersByVersion, pickNewest, type TagCandidate } from './newest-tag.js';
import { readCursor, writeCursor, type PollCursor } from './poll-cursor.js';
import { projectRegistry } from './project-registry.js';
import type { RegistryClient } from './registry-client.js';

export interface PollDeps {
  loaded: LoadedConfig;
  registry: RegistryClient;
  store: Store;
  deployer: Deployer;
  clock: Clock;
  logger: Logger;
}

/** What one poll of a project did. */
export interface PollOutcome {
  project: string;
  /** True when this poll only recorded the tags already there (nothing was seen before). */
  firstPoll: boolean;
  submitted: DeployRecord[];
  skipped: { stage: string; tag: string; reason: string }[];
}

const ACTIVE: readonly DeployStatus[] = ['queued', 'running', 'awaiting_approval'];
/** A version that succeeded on a stage this recently is not deployed there again by the poller. */
const RECENT_SUCCESS_MS = 24 * 60 * 60 * 1000;
const DIGEST_CONCURRENCY = 4;

/**
 * Polls one project: lists its tags, resolves the digests of those that match a stage, and hands
 * the newest new one per stage to the same intake as signed requests. A first poll only records
 * what is there, except for stages with nothing live, which get their newest tag.
 */
export async function pollProject(
  deps: PollDeps,
  project: string,
  trigger: DeployIntent['trigger'],
  signal?: AbortSignal,
): Promise<PollOutcome> {
  const { config } = deps.loaded;
  const target = projectRegistry(deps.loaded, project);
  const tags = await deps.registry.listTags(target.endpoint, target.repository, signal ? { signal } : {});
  if (tags.length === 0 && readCursor(deps.store, project) === undefined) {
    deps.logger.info('no tags in the registry yet; waiting for a push', {
      project,
      repository: target.repository,
    });
  }
  const stageOf = new Map<string, string>();
  for (const tag of tags) {
    const stage = stageForTag(deps.loaded, project, tag);
    if (stage !== undefined) stageOf.set(tag, stage);
  }
  const digests = await resolveDigests(deps, target, [...stageOf.keys()], signal);
  const seen = readCursor(deps.store, project);
  const outcome: PollOutcome = { project, firstPoll: seen === undefined, submitted: [], skipped: [] };

  for (const stage of Object.keys(config.projects[project]?.stages ?? {})) {
    const stageTags = [...stageOf]
      .filter(([tag, s]) => s === stage && digests[tag] !== undefined)
      .map(([t]) => t);
    // A stage with nothing live gets its newest tag on a first poll, unless a deploy of it is
    // already on its way (one CI requested as the app started): that one makes a version live.
    const fresh =
      seen === undefined
        ? deps.store.getLive(project, stage) || activeDeploys(deps, project, stage).length > 0
          ? []
          : stageTags
        : newTags(stageTags, digests, seen);
    if (fresh.length === 0) continue;
    const byVersion = ordersByVersion(config.projects[project]!.stages[stage]!.tag_pattern);
    const candidates: TagCandidate[] = await Promise.all(
      fresh.map(async (tag) => ({
        tag,
        digest: digests[tag]!,
        pushedAt: byVersion
          ? undefined
          : await deps.registry.pushedAt(target.endpoint, target.repository, digests[tag]!, signal),
      })),
    );
    const newest = pickNewest(candidates, byVersion)!;
    const reason = alreadyThere(deps, project, stage, newest.tag, newest.digest);
    if (reason !== undefined) {
      outcome.skipped.push({ stage, tag: newest.tag, reason });
      deps.logger.debug('poller skips a tag', { project, stage, tag: newest.tag, reason });
      continue;
    }
    const submitted = submit(deps, project, stage, newest, trigger);
    if (typeof submitted === 'string') outcome.skipped.push({ stage, tag: newest.tag, reason: submitted });
    else outcome.submitted.push(submitted);
  }
  writeCursor(deps.store, project, digests);
  return outcome;
}

function stageForTag(loaded: LoadedConfig, project: string, tag: string): string | undefined {
  try {
    return resolveStage(loaded.config, project, tag);
  } catch (error) {
    // Tags matching no stage (or only promotion stages) are not the poller's to deploy.
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
}

function newTags(tags: string[], digests: PollCursor, seen: PollCursor): string[] {
  return tags.filter((tag) => seen[tag] !== digests[tag]);
}

async function resolveDigests(
  deps: PollDeps,
  target: ReturnType<typeof projectRegistry>,
  tags: string[],
  signal: AbortSignal | undefined,
): Promise<PollCursor> {
  const digests: PollCursor = {};
  const queue = [...tags];
  const worker = async () => {
    for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
      try {
        digests[tag] = await deps.registry.resolveDigest(target.endpoint, target.repository, tag, signal);
      } catch (error) {
        // Deleted between the listing and now: simply gone.
        if (!(error instanceof ExternalError && error.status === 404)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DIGEST_CONCURRENCY, tags.length) }, worker));
  return digests;
}

function activeDeploys(deps: PollDeps, project: string, stage: string) {
  return deps.store.listDeploys({ project, stage, status: [...ACTIVE], limit: 50 });
}

/** Why `tag` at `digest` needs no deploy on the stage, or undefined when it does. */
function alreadyThere(
  deps: PollDeps,
  project: string,
  stage: string,
  tag: string,
  digest: string,
): string | undefined {
  if (deps.store.getLive(project, stage)?.digest === digest) return 'digest already live';
  // A requested deploy knows its digest only once it resolved the tag, to the newest digest then.
  const unresolved = activeDeploys(deps, project, stage).find(
    (d) => d.kind === 'deploy' && d.intent.tag === tag && d.digest === undefined && !d.intent.digest,
  );
  if (unresolved) return `tag already ${unresolved.status} in deploy ${unresolved.id}`;
  const since = deps.clock.now().getTime() - RECENT_SUCCESS_MS;
  const earlier = deps.store
    .listDeploys({ project, stage, limit: 50 })
    .find(
      (d) =>
        (d.digest === digest || d.intent.digest === digest) &&
        (ACTIVE.includes(d.status) ||
          (d.status === 'succeeded' && Date.parse(d.finishedAt ?? d.createdAt) >= since)),
    );
  return earlier === undefined ? undefined : `digest already ${earlier.status} in deploy ${earlier.id}`;
}

/** Submits through the intake; a refusal by the rules is logged and returned as the reason. */
function submit(
  deps: PollDeps,
  project: string,
  stage: string,
  candidate: TagCandidate,
  trigger: DeployIntent['trigger'],
): DeployRecord | string {
  const fields = { project, stage, tag: candidate.tag, digest: candidate.digest, trigger };
  try {
    const record = intakeDeploy(deps.loaded.config, deps.deployer, {
      project,
      stage,
      tag: candidate.tag,
      digest: candidate.digest,
      trigger,
    });
    deps.logger.info('poller found a new tag and submitted it', {
      ...fields,
      deployId: record.id,
      status: record.status,
    });
    return record;
  } catch (error) {
    // 409 is a passing state (shutting down): leave the tag unseen so a later poll retries it.
    const refusal =
      error instanceof NotFoundError || (error instanceof ConflictError && error.status !== 409);
    if (!refusal) throw error;
    deps.logger.warn('poller found a new tag but the deploy was refused', {
      ...fields,
      error: errorMessage(error),
    });
    return errorMessage(error);
  }
}
