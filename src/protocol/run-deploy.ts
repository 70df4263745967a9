import type { DeployEvent, DeployRecord, Phase } from '../core/deploy-types.js';
import { sendDeployRequest, type RetryOptions } from './client.js';
import type { DeployAccepted, DeployRequest } from './deploy-request.js';
import { followDeploy, reconnectingMessage } from './follow-deploy.js';

export interface DeployRunOptions {
  url: string;
  secret: string;
  request: DeployRequest;
  /** Follow the deploy until it is final (otherwise stop once it is accepted). */
  wait: boolean;
  timeoutMs: number;
  /** API token for following; the follow token from the 202 answer is used otherwise. */
  token?: string;
  retry?: RetryOptions;
}

/** What the action turns into outputs and the CLI into its exit code. */
export interface DeployRunResult {
  deployId: string;
  stage: string;
  status: string;
  ok: boolean;
  url?: string;
  digest?: string;
  dashboardUrl: string;
  /** Why it did not succeed, naming the phase when there is one. */
  failure?: string;
  failedPhase?: Phase;
  record?: DeployRecord;
}

/** One line of the job log for a deploy event. */
export function formatEvent(event: DeployEvent): string {
  // The `rollback` phase is the undo after a failure, not a rollback to an older version.
  const label = event.phase === 'rollback' ? 'undo' : (event.phase ?? event.status ?? event.type);
  const level = event.level === 'info' ? '' : `${event.level}: `;
  return `[${label}] ${level}${event.message}`;
}

/**
 * The CI side of a deploy, shared by the action and the `deploy` command so both print the
 * same: send the signed request and print each phase as it happens; the result says how it
 * ended (`failure` names the phase).
 * Throws DeployRequestError when the request is refused or the app cannot be reached.
 */
export async function runDeploy(
  options: DeployRunOptions,
  print: (line: string) => void,
): Promise<DeployRunResult> {
  const { request } = options;
  print(
    `docker-watcher: deploying ${request.image ?? 'the image'}:${request.tag} of project "${request.project}" via ${options.url}`,
  );
  const accepted = await sendDeployRequest(options.url, options.secret, request, {
    ...options.retry,
    onRetry: (attempt, reason, delayMs) =>
      print(`retrying in ${delayMs / 1000} s (try ${attempt} failed: ${reason})`),
  });
  return followAccepted(options, accepted, print);
}

/**
 * After a deploy was accepted (by a signed request, or a manual deploy with the API token):
 * print where it went and, with `wait`, follow it to the end, printing each phase.
 */
export async function followAccepted(
  options: Pick<DeployRunOptions, 'url' | 'wait' | 'timeoutMs' | 'token' | 'retry'>,
  accepted: DeployAccepted,
  print: (line: string) => void,
): Promise<DeployRunResult> {
  print(
    `accepted: deploy ${accepted.id} to stage "${accepted.stage}" (${accepted.status}); ${accepted.urls.dashboard}`,
  );
  const base: DeployRunResult = {
    deployId: accepted.id,
    stage: accepted.stage,
    status: accepted.status,
    ok: true,
    dashboardUrl: accepted.urls.dashboard,
  };
  if (!options.wait) return base;
  if (accepted.status === 'awaiting_approval') print(`waiting for approval at ${accepted.urls.dashboard}`);

  const token = options.token ?? accepted.followToken;
  if (!token)
    return { ...base, ok: false, failure: 'the app gave no follow token and no API token was given' };
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let lastPhase: Phase | undefined;
  let record: DeployRecord;
  try {
    record = await followDeploy(
      options.url,
      accepted.id,
      { token },
      (event) => {
        if (event.phase) lastPhase = event.phase;
        print(formatEvent(event));
      },
      timeout,
      {
        // The send's retry count is not the follower's: following outlasts an app restart.
        ...(options.retry?.baseDelayMs === undefined ? {} : { baseDelayMs: options.retry.baseDelayMs }),
        ...(options.retry?.sleep ? { sleep: options.retry.sleep } : {}),
        onRetry: (_attempt, reason, delayMs) => print(reconnectingMessage(reason, delayMs)),
        onResumed: (seq) => print(`reconnected: following deploy ${accepted.id} again after event ${seq}`),
      },
    );
  } catch (error) {
    if (!timeout.aborted) throw error;
    const where = lastPhase ? ` (last phase: ${lastPhase})` : '';
    const failure = `deploy ${accepted.id} did not finish within ${options.timeoutMs / 1000} s${where}; it may still be running: ${accepted.urls.dashboard}`;
    return {
      ...base,
      status: 'timed_out',
      ok: false,
      failure,
      ...(lastPhase ? { failedPhase: lastPhase } : {}),
    };
  }
  return finish(base, record, print);
}

function finish(base: DeployRunResult, record: DeployRecord, print: (line: string) => void): DeployRunResult {
  const result: DeployRunResult = {
    ...base,
    status: record.status,
    ok: record.status === 'succeeded',
    record,
  };
  if (record.url) result.url = record.url;
  const digest = record.digest ?? record.intent.digest;
  if (digest) result.digest = digest;
  if (result.ok) {
    print(`deploy ${record.id} succeeded${record.url ? `: ${record.url}` : ''}`);
    return result;
  }
  if (record.error) {
    result.failedPhase = record.error.phase;
    result.failure = `deploy ${record.id} failed in phase "${record.error.phase}": ${record.error.message}`;
    for (const line of record.error.containerLogs ?? []) print(`  | ${line}`);
  } else {
    result.failure = `deploy ${record.id} ended as ${record.status}`;
  }
  // The failure itself is reported by the caller (step failure, stderr), not printed twice.
  return result;
}
