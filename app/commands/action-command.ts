import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import type { DeployRecord } from '../../src/core/deploy-types.js';
import type { DeployAccepted } from '../../src/protocol/deploy-request.js';
import { followDeploy, reconnectingMessage } from '../../src/protocol/follow-deploy.js';
import { formatEvent } from '../../src/protocol/run-deploy.js';
import { apiFailure } from './api-client.js';

/** How an action command (promote, teardown) sends its POST and follows what it started. */
export interface ActionRun {
  /** The command's name for messages: `docker-watcher <name>: ...`. */
  name: string;
  base: string;
  path: string;
  token: string;
  /** What was asked, for the first line: `promote web/prod`. */
  what: string;
  wait: boolean;
  timeoutMs: number;
}

/**
 * POSTs an action to the API, prints where to watch it (the dashboard page), then follows its
 * events until it is final: exit 0 when it succeeded (or was accepted without --wait), 1 otherwise.
 */
export async function runActionCommand(run: ActionRun, io: CommandIo): Promise<number> {
  const url = `${run.base}${run.path}`;
  const fail = (message: string) => (io.stderr(`docker-watcher ${run.name}: ${message}\n`), 1);
  let accepted: DeployAccepted;
  try {
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${run.token}` } });
    if (response.status !== 202) return fail(`${url} answered ${await apiFailure(response)}`);
    accepted = (await response.json()) as DeployAccepted;
  } catch (error) {
    return fail(`cannot reach ${url}: ${errorMessage(error)}`);
  }
  io.stdout(
    `${run.what}: ${accepted.status} as deploy ${accepted.id}\nwatch it at ${accepted.urls.dashboard}\n`,
  );
  if (!run.wait) return (io.stdout(`deploy-id=${accepted.id}\n`), 0);
  if (accepted.status === 'awaiting_approval')
    io.stdout(`waiting for approval at ${accepted.urls.dashboard}\n`);
  const timeout = AbortSignal.timeout(run.timeoutMs);
  let record: DeployRecord;
  try {
    record = await followDeploy(
      run.base,
      accepted.id,
      { token: run.token },
      (event) => io.stdout(formatEvent(event) + '\n'),
      timeout,
      {
        onRetry: (_attempt, reason, delayMs) => io.stdout(reconnectingMessage(reason, delayMs) + '\n'),
        onResumed: (seq) =>
          io.stdout(`reconnected: following deploy ${accepted.id} again after event ${seq}\n`),
      },
    );
  } catch (error) {
    if (timeout.aborted) {
      return fail(
        `deploy ${accepted.id} did not finish within ${run.timeoutMs / 1000} s; it may still be running: ${accepted.urls.dashboard}`,
      );
    }
    return fail(errorMessage(error));
  }
  io.stdout(`deploy-id=${record.id}\nstatus=${record.status}\n`);
  if (record.status === 'succeeded') return 0;
  return fail(
    record.error
      ? `deploy ${record.id} failed in phase "${record.error.phase}": ${record.error.message}`
      : `deploy ${record.id} ended as ${record.status}`,
  );
}
