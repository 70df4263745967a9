import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { sourceFromEnv, type EventPayload } from '../../../src/protocol/ci-context.js';

interface Example extends EventPayload {
  action?: string;
}
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Example[];
}[];
const payloadOf = (event: string, action?: string): Example => {
  const found = examples
    .find((e) => e.name === event)
    ?.examples.find((example) => action === undefined || example.action === action);
  if (!found) throw new Error(`no ${event} ${action ?? ''} example in @octokit/webhooks-examples`);
  return found;
};

// The variables GitHub sets in a pull_request run: GITHUB_SHA is the merge commit of refs/pull/N/merge.
const MERGE_SHA = 'f'.repeat(40);
const prEnv = {
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_SHA: MERGE_SHA,
  GITHUB_REF: 'refs/pull/2/merge',
  GITHUB_HEAD_REF: 'changes',
  GITHUB_BASE_REF: 'master',
  GITHUB_REPOSITORY: 'Codertocat/Hello-World',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_ACTOR: 'Codertocat',
  GITHUB_RUN_ID: '7',
};

describe('sourceFromEnv: the commit the PR shows', () => {
  const synchronize = payloadOf('pull_request', 'synchronize');
  const head = (synchronize.pull_request as { head: { sha: string; ref: string } }).head;

  it.each(['pull_request', 'pull_request_target'])(
    'on %s reports the head commit and branch of the payload, not GITHUB_SHA',
    (event) => {
      const context = sourceFromEnv({ ...prEnv, GITHUB_EVENT_NAME: event }, synchronize);
      expect(context).toMatchObject({
        source: { sha: head.sha, ref: `refs/heads/${head.ref}`, pr: synchronize.number },
      });
      expect(head.sha).not.toBe(MERGE_SHA);
    },
  );

  it('reads the head of every pull_request action of the examples', () => {
    for (const example of examples.find((e) => e.name === 'pull_request')!.examples) {
      const context = sourceFromEnv(prEnv, example);
      expect(context).toMatchObject({
        source: { sha: (example.pull_request as { head: { sha: string } }).head.sha },
      });
    }
  });

  it('keeps GITHUB_SHA on a push, and when a pull_request payload has no head', () => {
    const push = payloadOf('push');
    const pushEnv = {
      ...prEnv,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_REF: 'refs/heads/main',
    };
    expect(sourceFromEnv(pushEnv, push)).toMatchObject({
      source: { sha: 'a'.repeat(40), ref: 'refs/heads/main' },
    });
    expect(sourceFromEnv(prEnv, { pull_request: { number: 2 } })).toMatchObject({
      source: { sha: MERGE_SHA, ref: 'refs/pull/2/merge', pr: 2 },
    });
  });

  it('does not take a pull request head from another event (a workflow_dispatch with a PR-looking payload)', () => {
    const env = { ...prEnv, GITHUB_EVENT_NAME: 'workflow_dispatch' };
    expect(sourceFromEnv(env, synchronize)).toMatchObject({ source: { sha: MERGE_SHA } });
  });
});
