import type { DeployIntent } from '../core/deploy-types.js';
import { errorMessage } from '../core/errors.js';
import { pollProject, type PollDeps, type PollOutcome } from './poll-project.js';
import { nextPollDelayMs } from './poll-schedule.js';
import { projectRegistry } from './project-registry.js';
import { projectsForPush, type RegistryPush } from './push-match.js';

export type { PollOutcome } from './poll-project.js';
export type { RegistryPush } from './push-match.js';

export interface PollerDeps extends PollDeps {
  /** [0, 1) for the interval's jitter; default Math.random. */
  random?: () => number;
  /** Called on every failed poll of a project (metrics count them). */
  onPollError?: (project: string) => void;
}

/** How polling of one project goes, for the dashboard and metrics. */
export interface ProjectPollStatus {
  project: string;
  registry: string;
  intervalSeconds: number;
  lastPollAt?: string;
  lastSuccessAt?: string;
  lastError?: string;
  consecutiveFailures: number;
  polls: number;
  failures: number;
}

/** The result of a registry push for one project it concerns. */
export interface PushResult {
  project: string;
  outcome?: PollOutcome;
  error?: string;
}

export interface Poller {
  /** Polls every project with poll: true now, then every interval of its registry. */
  start(): void;
  /** Stops the loops and waits for polls under way (their requests are aborted). */
  stop(): Promise<void>;
  /** Polls one project now (after a poll of it under way); throws what the poll threw. */
  pollProject(project: string): Promise<PollOutcome>;
  /** Instant trigger from a registry's push webhook: polls the projects of that image now. */
  onRegistryPush(push: RegistryPush): Promise<PushResult[]>;
  status(): ProjectPollStatus[];
}

/** The fallback trigger: watches registries for new tags when CI cannot reach the app. */
export function createPoller(deps: PollerDeps): Poller {
  const { loaded, logger, clock } = deps;
  const random = deps.random ?? Math.random;
  const projects = Object.keys(loaded.config.projects).filter((p) => loaded.config.projects[p]?.poll);
  const statuses = new Map<string, ProjectPollStatus>();
  const inFlight = new Map<string, Promise<unknown>>();
  let stopper: AbortController | undefined;
  let loops: Promise<void>[] = [];

  const statusOf = (project: string): ProjectPollStatus => {
    let status = statuses.get(project);
    if (status === undefined) {
      let registry = loaded.config.projects[project]?.registry ?? '?';
      let intervalSeconds = 60;
      try {
        const target = projectRegistry(loaded, project);
        registry = target.registryName;
        intervalSeconds = target.intervalMs / 1000;
      } catch {
        // A broken registry entry shows up as the poll's error.
      }
      status = { project, registry, intervalSeconds, consecutiveFailures: 0, polls: 0, failures: 0 };
      statuses.set(project, status);
    }
    return status;
  };

  const runPoll = async (project: string, trigger: DeployIntent['trigger'], signal?: AbortSignal) => {
    const status = statusOf(project);
    status.lastPollAt = clock.now().toISOString();
    status.polls++;
    try {
      const outcome = await pollProject(deps, project, trigger, signal);
      status.lastSuccessAt = clock.now().toISOString();
      status.consecutiveFailures = 0;
      delete status.lastError;
      return outcome;
    } catch (error) {
      if (signal?.aborted) throw error;
      status.failures++;
      deps.onPollError?.(project);
      status.consecutiveFailures++;
      status.lastError = errorMessage(error);
      logger.error('registry poll failed', {
        project,
        registry: status.registry,
        consecutiveFailures: status.consecutiveFailures,
        error: status.lastError,
      });
      throw error;
    }
  };

  /** One poll of a project at a time: a webhook during a loop poll waits for it, then polls again. */
  const serialized = (project: string, trigger: DeployIntent['trigger'], signal?: AbortSignal) => {
    const previous = inFlight.get(project) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => runPoll(project, trigger, signal));
    inFlight.set(project, next);
    void next
      .catch(() => {})
      .finally(() => {
        if (inFlight.get(project) === next) inFlight.delete(project);
      });
    return next;
  };

  const loop = async (project: string, signal: AbortSignal) => {
    const intervalMs = statusOf(project).intervalSeconds * 1000;
    while (!signal.aborted) {
      // Failures are counted in the status and logged; the loop carries on with backoff.
      await serialized(project, 'poll', signal).catch(() => {});
      try {
        await clock.sleep(nextPollDelayMs(intervalMs, statusOf(project).consecutiveFailures, random), signal);
      } catch {
        return;
      }
    }
  };

  return {
    start() {
      if (stopper !== undefined) return;
      stopper = new AbortController();
      const signal = stopper.signal;
      loops = projects.map((project) => loop(project, signal));
      logger.info('registry poller started', { projects });
    },

    async stop() {
      stopper?.abort(new Error('registry poller stopped'));
      await Promise.allSettled([...loops, ...inFlight.values()]);
      stopper = undefined;
      loops = [];
    },

    pollProject: (project) => serialized(project, 'poll', stopper?.signal),

    async onRegistryPush(push) {
      const matched = projectsForPush(loaded.config, push);
      if (matched.length === 0) {
        logger.info('registry push for an image no polled project uses; ignored', {
          forge: push.forge,
          image: push.image,
          ...(push.tag === undefined ? {} : { tag: push.tag }),
        });
      }
      return Promise.all(
        matched.map(async (project): Promise<PushResult> => {
          try {
            return { project, outcome: await serialized(project, 'webhook', stopper?.signal) };
          } catch (error) {
            return { project, error: errorMessage(error) };
          }
        }),
      );
    },

    status: () => projects.map((project) => ({ ...statusOf(project) })),
  };
}
