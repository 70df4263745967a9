import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import { sourceFromEnv, type EventPayload } from '../../src/protocol/ci-context.js';
import { deployRequestSchema } from '../../src/protocol/deploy-request.js';
import { runDeploy } from '../../src/protocol/run-deploy.js';
import { apiBase } from './api-client.js';
import { reportResult } from './deploy-result.js';
import { deployStage } from './deploy-stage.js';
import { flagIssues, timeoutSeconds } from './flags.js';

const USAGE = `Usage: docker-watcher deploy --project P --tag T [options]
Sends a deploy request and follows it until it is live or has failed.

  --project P            project name in the app's config (required)
  --tag T                the tag to deploy; picks the stage by tag_pattern (required)
  --stage S              deploy to this stage (its tag_pattern must still match)
  --digest sha256:...    run exactly this image; without it the tag is pinned when pulled
  --image I              image without tag (default: the project's configured image)
  --url URL              the app (default: $DOCKER_WATCHER_URL, else http://127.0.0.1:8080)
  --repository OWNER/NAME, --sha SHA
                         the commit to report to (inside GitHub or Gitea Actions read from the
                         runner's variables, which either flag overrides; outside CI optional,
                         both or neither)
  --no-wait              stop once the app accepted the request
  --timeout SECONDS      how long to follow the deploy (default 600)
  -h, --help             this text

With DOCKER_WATCHER_SECRET set (the project's signing secret; never a flag: flags show in ps) the
request is signed, as CI sends it. Inside GitHub or Gitea Actions the commit is read from the
runner variables (on pull_request events the PR's head commit from the event payload, as the
action does).
Without it, --stage S deploys the tag of the project's configured image to that stage as the
dashboard does, with the API token (DOCKER_WATCHER_TOKEN, else the token the app generated: see
\`docker-watcher token\`).
Exit code 0 when the deploy succeeded, 1 when it failed or was refused, 2 for usage errors.`;

const OPTIONS = {
  url: { type: 'string' },
  project: { type: 'string' },
  image: { type: 'string' },
  tag: { type: 'string' },
  stage: { type: 'string' },
  digest: { type: 'string' },
  wait: { type: 'boolean', default: true },
  timeout: { type: 'string', default: '600' },
  repository: { type: 'string' },
  sha: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Which request field each flag fills, so an error names the flag that was typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  'source.sha': '--sha',
  'source.repository': '--repository',
};

function payload(path: string | undefined): EventPayload | undefined {
  if (!path) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EventPayload;
  } catch {
    return undefined;
  }
}

/**
 * `docker-watcher deploy`: sends a signed deploy request and follows it, printing what the
 * action prints. Exit code 0 when it succeeded (or was accepted with --no-wait), 1 when it
 * failed or was refused, 2 for usage errors.
 */
export async function deployCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, allowNegative: true, strict: true }));
  } catch (error) {
    io.stderr(`docker-watcher deploy: ${errorMessage(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE + '\n');
    return 0;
  }
  const usageError = (message: string) => (io.stderr(`docker-watcher deploy: ${message}\n\n${USAGE}\n`), 2);
  const secret = io.env.DOCKER_WATCHER_SECRET;
  // No signing secret and a stage: the manual deploy of a stage, as the dashboard sends it (the API token).
  if (!secret && values.stage !== undefined && values.image === undefined)
    return deployStage(values, io, usageError);
  const missing = (['project', 'tag'] as const).filter((name) => !values[name]);
  if (missing.length > 0) return usageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  if (!secret) {
    return usageError(
      'set the signing secret in the environment variable DOCKER_WATCHER_SECRET, or give --stage S to deploy with the API token',
    );
  }
  const timeout = timeoutSeconds(values.timeout);
  if (typeof timeout === 'string') return usageError(timeout);
  // A commit is a repository and a sha: one flag alone needs the other from the flags or, in a
  // runner, from its variables (--sha alone in a pull_request job names another commit there).
  if (values.repository !== undefined && values.sha === undefined && !io.env.GITHUB_SHA) {
    return usageError('--repository needs --sha SHA too (the commit to report to)');
  }
  if (values.sha !== undefined && values.repository === undefined && !io.env.GITHUB_REPOSITORY) {
    return usageError('--sha needs --repository OWNER/NAME too (where the commit is)');
  }

  const env = {
    ...io.env,
    ...(values.repository ? { GITHUB_REPOSITORY: values.repository } : {}),
    // An explicit --sha names the commit: a pull request payload's head does not override it.
    ...(values.sha ? { GITHUB_SHA: values.sha, GITHUB_EVENT_NAME: undefined } : {}),
  };
  // Outside a runner (and without --repository/--sha) the deploy simply names no commit.
  const context = sourceFromEnv(env, payload(io.env.GITHUB_EVENT_PATH));
  const parsed = deployRequestSchema.safeParse(
    {
      project: values.project,
      tag: values.tag,
      ...(values.image ? { image: values.image } : {}),
      ...(values.stage ? { stage: values.stage } : {}),
      ...(values.digest ? { digest: values.digest } : {}),
      ...('source' in context ? { source: context.source } : {}),
    },
    { reportInput: true },
  );
  if (!parsed.success) return usageError(flagIssues(parsed.error, FLAG_OF_FIELD));

  const url = apiBase(values.url, io);
  try {
    const result = await runDeploy(
      { url, secret, request: parsed.data, wait: values.wait, timeoutMs: timeout * 1000 },
      (line) => io.stdout(line + '\n'),
    );
    return reportResult(result, io);
  } catch (error) {
    io.stderr(`docker-watcher deploy: ${errorMessage(error)}\n`);
    return 1;
  }
}
