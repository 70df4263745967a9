import type { HealthConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { DeployError } from '../core/errors.js';
import type { ContainerDetails, DockerEngine } from '../docker/engine.js';

export { detectReach, probeUrl, type Reach } from './probe-url.js';

export interface HealthCheckOptions {
  /** What the checker asks of the runtime: the container's state, and its last log lines. */
  docker: Pick<DockerEngine, 'inspectContainer' | 'containerLogs'>;
  containerId: string;
  /** What to probe, from probeUrl(). */
  url: string;
  /**
   * Every URL to probe for the container as just inspected (default: `url`): one per replica of
   * a Swarm service, so a version is healthy only when all of them answer (probeUrls()).
   */
  urlsOf?: (container: ContainerDetails) => string[];
  health: HealthConfig;
  clock: Clock;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Log lines of the container attached to a failure (default 50; 0 for none). */
  logTail?: number;
  /** Told about each try as it ends: what it saw and how long the deadline leaves. */
  onProbe?: (probe: HealthProbe) => void;
}

/** One health probe as people follow it in the deploy log. */
export interface HealthProbe {
  /** 1 for the first try. */
  attempt: number;
  ok: boolean;
  /** What the probe saw: "HTTP 404", "connection refused", "no answer within 5s (timeout)". */
  seen: string;
  /** Time left before the deadline, in ms. */
  remainingMs: number;
}

interface ProbeResult {
  ok: boolean;
  /** What the probe saw, for the failure message: "HTTP 500", "connection refused", ... */
  seen: string;
  /** The HTTP status when there was an answer. */
  status?: number;
}

/** A log line for a probe: `try 3: HTTP 404, 112 s left`. */
export function describeProbe(probe: HealthProbe): string {
  const left = Math.max(0, Math.round(probe.remainingMs / 1000));
  return `try ${probe.attempt}: ${probe.seen}${probe.ok ? ' (healthy)' : ''}, ${left} s left`;
}

/**
 * Resolves once the container answers `healthy_after` consecutive 2xx probes (and its Docker
 * HEALTHCHECK, if it has one, says healthy) before the deadline, like kamal-proxy's
 * health_check.go. Between probes it inspects the container and fails at once when it has
 * exited, restarts or turns unhealthy, or answers the same 4xx for longer than
 * client_error_grace_seconds, instead of waiting out the deadline. Rejects with
 * DeployError('health') carrying the container's last log lines, or with the signal's reason.
 */
export async function waitUntilHealthy(options: HealthCheckOptions): Promise<void> {
  const { docker, containerId, url, health, clock, signal } = options;
  const deadline = clock.now().getTime() + health.deadline_seconds * 1000;
  let baselineRestarts: number | undefined;
  let successes = 0;
  let probes = 0;
  let last = 'no probe ran';
  let name = containerId;
  // The same 4xx since when: an app that answers 404 on its health path will not heal by waiting.
  let clientError: { status: number; since: number } | undefined;

  for (;;) {
    signal?.throwIfAborted();
    const container = await docker.inspectContainer(containerId, signal);
    if (!container)
      throw await failure(
        options,
        `container ${name} disappeared while being health-checked`,
        'container disappeared',
      );
    name = container.name;
    baselineRestarts ??= container.restartCount;
    const crash = crashOf(container, baselineRestarts);
    if (crash) throw await failure(options, crash.message, crash.summary);
    if (successes >= health.healthy_after && container.health !== 'starting') return;

    let remaining = deadline - clock.now().getTime();
    if (remaining > 0 && probes > 0) {
      await clock.sleep(Math.min(health.interval_seconds * 1000, remaining), signal);
      remaining = deadline - clock.now().getTime();
    }
    if (remaining <= 0 && probes > 0) {
      const dockerNote = successes >= health.healthy_after ? ', Docker HEALTHCHECK still starting' : '';
      throw await failure(
        options,
        `container ${name} did not become healthy within ${health.deadline_seconds}s at ${url}: ` +
          `last probe saw ${last}${dockerNote}; check the app's health path and logs, or raise health.deadline_seconds`,
        `${dockerNote ? 'Docker HEALTHCHECK still starting' : last} on ${pathOf(url)} (${health.deadline_seconds}s)`,
      );
    }
    const startedAt = clock.now().getTime();
    const result = await probeAll(
      options.urlsOf?.(container) ?? [url],
      Math.min(health.timeout_seconds * 1000, Math.max(remaining, 1)),
      options,
    );
    probes += 1;
    successes = result.ok ? successes + 1 : 0;
    last = result.seen;
    const now = clock.now().getTime();
    options.onProbe?.({ attempt: probes, ok: result.ok, seen: result.seen, remainingMs: deadline - now });
    clientError = sameClientError(clientError, result.status, startedAt);
    if (clientError && now - clientError.since >= health.client_error_grace_seconds * 1000) {
      const seconds = Math.round((now - clientError.since) / 1000);
      throw await failure(
        options,
        `container ${name} answered HTTP ${clientError.status} at ${url} for ${seconds} s ` +
          `(health.client_error_grace_seconds ${health.client_error_grace_seconds}): a 4xx does not turn healthy by waiting; ` +
          "check the project's healthcheck path",
        `HTTP ${clientError.status} on ${pathOf(url)} for ${seconds}s`,
      );
    }
  }
}

/** The run of identical 4xx answers `status` continues or starts, or undefined when it breaks. */
function sameClientError(
  run: { status: number; since: number } | undefined,
  status: number | undefined,
  at: number,
): { status: number; since: number } | undefined {
  if (status === undefined || status < 400 || status >= 500) return undefined;
  return run?.status === status ? run : { status, since: at };
}

/** Why a container that should be starting up has failed, or undefined while it is fine. */
function crashOf(
  container: ContainerDetails,
  baselineRestarts: number,
): { message: string; summary: string } | undefined {
  const { name, state, exitCode, restartCount } = container;
  if (container.lost !== undefined)
    return {
      message: `container ${name} cannot serve while being health-checked: ${container.lost}`,
      summary: container.lost,
    };
  if (state === 'exited' || state === 'dead') {
    const summary = `container exited with code ${exitCode ?? 'unknown'}`;
    return {
      message: `container ${name} exited with code ${exitCode ?? 'unknown'} while being health-checked`,
      summary,
    };
  }
  if (state === 'restarting' || restartCount > baselineRestarts) {
    const code = exitCode === undefined ? '' : ` exited with code ${exitCode} and`;
    const restarts = `${restartCount} restart${restartCount === 1 ? '' : 's'}`;
    return {
      message: `container ${name}${code} restarted (restart count ${restartCount}) while being health-checked: it keeps crashing`,
      summary: `container keeps restarting (${exitCode === undefined ? '' : `exit ${exitCode}, `}${restarts})`,
    };
  }
  if (state !== 'running')
    return {
      message: `container ${name} is ${state}, not running, while being health-checked`,
      summary: `container is ${state}`,
    };
  if (container.health === 'unhealthy')
    return {
      message: `container ${name} reports its Docker HEALTHCHECK as unhealthy`,
      summary: 'Docker HEALTHCHECK unhealthy',
    };
  return undefined;
}

/** The path (and query) a probe asks for, for short messages: `/health`. */
function pathOf(url: string): string {
  try {
    const { pathname, search } = new URL(url);
    return pathname + search;
  } catch {
    return url;
  }
}

/** Probes every replica at once: healthy only when all answer 2xx; otherwise what the first bad one saw. */
async function probeAll(
  urls: readonly string[],
  timeoutMs: number,
  options: HealthCheckOptions,
): Promise<ProbeResult> {
  if (urls.length === 0) return { ok: false, seen: 'no replica is running' };
  const results = await Promise.all(urls.map((url) => probe(url, timeoutMs, options)));
  const bad = results.findIndex((result) => !result.ok);
  const first = results[bad === -1 ? 0 : bad]!;
  if (urls.length === 1 || bad === -1) return first;
  return { ...first, seen: `${first.seen} from replica ${bad + 1} of ${urls.length} (${urls[bad]})` };
}

async function probe(url: string, timeoutMs: number, options: HealthCheckOptions): Promise<ProbeResult> {
  const { signal } = options;
  const fetcher = options.fetch ?? fetch;
  const perTry = AbortSignal.timeout(timeoutMs);
  try {
    // Redirects are not followed: a redirect to https or a login page is not a healthy app.
    const response = await fetcher(url, {
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, perTry]) : perTry,
    });
    await response.body?.cancel();
    return {
      ok: response.status >= 200 && response.status < 300,
      seen: `HTTP ${response.status}`,
      status: response.status,
    };
  } catch (error) {
    signal?.throwIfAborted();
    if (perTry.aborted) return { ok: false, seen: `no answer within ${timeoutMs / 1000}s (timeout)` };
    return { ok: false, seen: describeFetchError(error) };
  }
}

function describeFetchError(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return 'host not found (is docker-watcher on the shared network?)';
  const detail =
    typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : error;
  return `request failed: ${String(detail)}`;
}

async function failure(options: HealthCheckOptions, message: string, summary: string): Promise<DeployError> {
  const tail = options.logTail ?? 50;
  if (tail === 0) return new DeployError('health', message, { summary });
  const containerLogs = await options.docker
    .containerLogs(options.containerId, { tail })
    .catch(() => undefined);
  return new DeployError('health', message, { summary, ...(containerLogs ? { containerLogs } : {}) });
}
