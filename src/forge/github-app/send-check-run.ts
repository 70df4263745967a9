import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/store.js';
import type { ForgeClient, RepoRef } from '../forge.js';
import { checkRunFor } from './check-run-report.js';

/** How long the check run id of a deploy is kept (updates after a restart go to the same run). */
const CHECK_RUN_ID_DAYS = 30;

const checkRunKey = (deployId: string) => `forge-check-run:${deployId}`;

/**
 * Sends the check run of a deploy as it is now in the store (so updates put while one was being
 * sent collapse into one): created the first time, its id kept, then updated.
 */
export async function sendCheckRun(
  deps: { config: Config; store: Store; clock: Clock },
  client: ForgeClient,
  repo: RepoRef,
  job: { deployId: string; sha: string },
  signal: AbortSignal,
): Promise<void> {
  const record = deps.store.getDeploy(job.deployId);
  if (!record || !client.upsertCheckRun) return;
  const known = deps.store.getState(checkRunKey(record.id));
  const input = checkRunFor(deps.config, record, job.sha);
  const id = await client.upsertCheckRun(
    repo,
    known === undefined ? undefined : Number(known),
    input,
    signal,
  );
  if (known === undefined) {
    const expiresAt = new Date(deps.clock.now().getTime() + CHECK_RUN_ID_DAYS * 86_400_000);
    deps.store.setState(checkRunKey(record.id), String(id), { expiresAt: expiresAt.toISOString() });
  }
}
