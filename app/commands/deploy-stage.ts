import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import { manualDeploySchema, type DeployAccepted } from '../../src/protocol/deploy-request.js';
import { followAccepted } from '../../src/protocol/run-deploy.js';
import { apiBase, apiFailure, apiToken, segment } from './api-client.js';
import { reportResult } from './deploy-result.js';
import { flagIssues, timeoutSeconds } from './flags.js';

/** The flags of `deploy` this form reads. */
export interface DeployStageFlags {
  url?: string | undefined;
  project?: string | undefined;
  stage?: string | undefined;
  tag?: string | undefined;
  digest?: string | undefined;
  wait: boolean;
  timeout: string;
}

/**
 * `docker-watcher deploy --project P --stage S --tag T`: deploys a tag of the project's configured
 * image to the stage, as the dashboard's form does (POST /api/projects/P/stages/S/deploy with the
 * API token), then follows it and prints each phase like the signed form. Needs no registry and no
 * CI: with `pull_policy: never` or `if-missing` an image built on this host is enough.
 */
export async function deployStage(
  flags: DeployStageFlags,
  io: CommandIo,
  usageError: (message: string) => number,
): Promise<number> {
  const missing = (['project', 'stage', 'tag'] as const).filter((name) => !flags[name]);
  if (missing.length > 0) return usageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  const timeout = timeoutSeconds(flags.timeout);
  if (typeof timeout === 'string') return usageError(timeout);
  const body = manualDeploySchema.safeParse(
    { tag: flags.tag, ...(flags.digest ? { digest: flags.digest } : {}) },
    { reportInput: true },
  );
  if (!body.success) return usageError(flagIssues(body.error));
  const token = apiToken(io);
  if (!token) {
    return usageError(
      'set the API token in DOCKER_WATCHER_TOKEN (or start the app once, so that it generates one)',
    );
  }

  const base = apiBase(flags.url, io);
  const url = `${base}/api/projects/${segment(flags.project!)}/stages/${segment(flags.stage!)}/deploy`;
  const print = (line: string) => io.stdout(line + '\n');
  try {
    print(`docker-watcher: deploying tag ${flags.tag!} to ${flags.project!}/${flags.stage!} via ${base}`);
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body.data),
    });
    if (response.status !== 202) {
      io.stderr(`docker-watcher deploy: ${url} answered ${await apiFailure(response)}\n`);
      return 1;
    }
    const accepted = (await response.json()) as DeployAccepted;
    const result = await followAccepted(
      { url: base, wait: flags.wait, timeoutMs: timeout * 1000, token },
      accepted,
      print,
    );
    return reportResult(result, io);
  } catch (error) {
    io.stderr(`docker-watcher deploy: ${errorMessage(error)}\n`);
    return 1;
  }
}
