import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { sourceFromEnv, type EventPayload } from '../src/protocol/ci-context.js';
import { deployRequestSchema } from '../src/protocol/deploy-request.js';
import type { DeployRunOptions } from '../src/protocol/run-deploy.js';

/** The action's inputs and runner context, checked and typed: what runDeploy takes, and more. */
export interface ActionInputs extends DeployRunOptions {
  /** The runner gives a job summary file (GITHUB_STEP_SUMMARY); core.summary needs one. */
  summary: boolean;
}

function readPayload(path: string | undefined): EventPayload | undefined {
  if (!path) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EventPayload;
  } catch (error) {
    core.warning(
      `could not read the event payload ${path} (no pull request number or head commit then): ${String(error)}`,
    );
    return undefined;
  }
}

function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new Error(`input "${name}" is "${value}"; use 'true' or 'false'`);
}

/**
 * Reads the inputs (the only place that calls core.getInput) and the runner's context. Errors
 * name the input, the bad value and what is expected.
 */
export function readInputs(env: NodeJS.ProcessEnv = process.env): ActionInputs {
  const secret = core.getInput('secret', { required: true });
  core.setSecret(secret);
  const token = core.getInput('token');
  if (token) core.setSecret(token);

  const url = core.getInput('url', { required: true });
  if (!/^https?:\/\/[^/]/.test(url))
    throw new Error(`input "url" is "${url}"; expected an http(s) URL of the app`);
  const timeoutText = core.getInput('timeout') || '600';
  const timeout = Number(timeoutText);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new Error(`input "timeout" is "${timeoutText}"; expected a number of seconds greater than 0`);
  }

  const context = sourceFromEnv(env, readPayload(env.GITHUB_EVENT_PATH));
  if ('missing' in context) {
    throw new Error(
      `the runner did not set ${context.missing.join(', ')}; run this action inside GitHub or Gitea Actions`,
    );
  }
  const candidate = {
    project: core.getInput('project', { required: true }),
    image: core.getInput('image', { required: true }),
    tag: core.getInput('tag', { required: true }),
    ...(core.getInput('stage') ? { stage: core.getInput('stage') } : {}),
    ...(core.getInput('digest') ? { digest: core.getInput('digest') } : {}),
    source: context.source,
  };
  const parsed = deployRequestSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      return `${path.startsWith('source') ? `runner context ${path}` : `input "${path}"`}: ${issue.message}`;
    });
    throw new Error(`invalid deploy request: ${problems.join('; ')}`);
  }

  // Only for tests of the bundle, so "app unreachable" does not take the full backoff.
  const baseDelayMs = Number(env.DOCKER_WATCHER_RETRY_BASE_MS ?? 1000);
  return {
    url,
    secret,
    request: parsed.data,
    wait: parseBoolean('wait', core.getInput('wait'), true),
    timeoutMs: timeout * 1000,
    ...(token ? { token } : {}),
    retry: { retries: 4, baseDelayMs: Number.isFinite(baseDelayMs) && baseDelayMs >= 0 ? baseDelayMs : 1000 },
    summary: Boolean(env.GITHUB_STEP_SUMMARY),
  };
}
