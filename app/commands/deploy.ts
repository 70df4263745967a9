import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { errorMessage } from '../../src/core/errors.js';
import { sourceFromEnv, type EventPayload } from '../../src/protocol/ci-context.js';
import { deployRequestSchema } from '../../src/protocol/deploy-request.js';
import { runDeploy } from '../../src/protocol/run-deploy.js';
import { reportResult } from './deploy-result.js';
import { deployStage } from './deploy-stage.js';

const USAGE = `Usage: docker-watcher deploy --url URL --project P --image I --tag T [--stage S] [--digest D]
                              [--no-wait] [--timeout SECONDS] [--repository OWNER/NAME --sha SHA]
       docker-watcher deploy --project P --stage S --tag T [--digest D] [--url URL] [--no-wait]
The first form sends a signed deploy request, as CI does; the signing secret comes from the
environment variable DOCKER_WATCHER_SECRET (never a flag: flags show in ps). Inside GitHub or
Gitea Actions the commit is read from the runner variables (on pull_request events the PR's head
commit from the event payload, as the action does). The second form (--stage, no --image) deploys
a tag of the project's configured image to a stage, as the dashboard does, with the API token
(DOCKER_WATCHER_TOKEN, else the token the app generated: see \`docker-watcher token\`); --url
defaults to DOCKER_WATCHER_URL, else http://127.0.0.1:8080.`;

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
  // A stage and no image: the manual deploy of a stage, as the dashboard sends it (the API token).
  if (values.image === undefined && values.stage !== undefined) return deployStage(values, io, usageError);
  const missing = (['url', 'project', 'image', 'tag'] as const).filter((name) => !values[name]);
  if (missing.length > 0) return usageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  const secret = io.env.DOCKER_WATCHER_SECRET;
  if (!secret) return usageError('set the signing secret in the environment variable DOCKER_WATCHER_SECRET');
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    return usageError(`--timeout "${values.timeout}" is not a number of seconds > 0`);

  const env = {
    ...io.env,
    ...(values.repository ? { GITHUB_REPOSITORY: values.repository } : {}),
    // An explicit --sha names the commit: a pull request payload's head does not override it.
    ...(values.sha ? { GITHUB_SHA: values.sha, GITHUB_EVENT_NAME: undefined } : {}),
  };
  const context = sourceFromEnv(env, payload(io.env.GITHUB_EVENT_PATH));
  if ('missing' in context) {
    return usageError(`outside a CI runner, name the commit with --repository OWNER/NAME and --sha SHA`);
  }
  const parsed = deployRequestSchema.safeParse({
    project: values.project,
    image: values.image,
    tag: values.tag,
    ...(values.stage ? { stage: values.stage } : {}),
    ...(values.digest ? { digest: values.digest } : {}),
    source: context.source,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `--${issue.path.map(String).join('.')}: ${issue.message}`,
    );
    return usageError(problems.join('; '));
  }

  try {
    const result = await runDeploy(
      { url: values.url!, secret, request: parsed.data, wait: values.wait, timeoutMs: timeout * 1000 },
      (line) => io.stdout(line + '\n'),
    );
    return reportResult(result, io);
  } catch (error) {
    io.stderr(`docker-watcher deploy: ${errorMessage(error)}\n`);
    return 1;
  }
}
