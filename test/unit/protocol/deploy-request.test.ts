import { describe, expect, it } from 'vitest';
import { deployRequestSchema } from '../../../src/protocol/deploy-request.js';
import { sourceFromEnv, detectForge } from '../../../src/protocol/ci-context.js';
import { webDeployBody } from '../../helpers/signed-request.js';

describe('deployRequestSchema', () => {
  it('accepts a valid request', () => {
    expect(deployRequestSchema.safeParse(webDeployBody({ digest: `sha256:${'0'.repeat(64)}` })).success).toBe(
      true,
    );
  });

  it.each([
    ['tag', { tag: '-bad' }],
    ['tag', { tag: 'x'.repeat(129) }],
    ['digest', { digest: 'sha256:abc' }],
    ['image', { image: '127.0.0.1:5000/acme/web:latest' }],
    ['unknown', { unknown: 1 }],
  ])('rejects a bad %s', (_field, change) => {
    expect(deployRequestSchema.safeParse(webDeployBody(change)).success).toBe(false);
  });

  it('accepts an image on a registry with a port', () => {
    expect(deployRequestSchema.safeParse(webDeployBody({ image: 'registry:5000/a/b' })).success).toBe(true);
  });
});

describe('sourceFromEnv', () => {
  const env = {
    GITHUB_SHA: 'b'.repeat(40),
    GITHUB_REPOSITORY: 'acme/web',
    GITHUB_REF: 'refs/pull/7/merge',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '99',
    GITHUB_ACTOR: 'alice',
  };

  it('reads the runner variables and the pull request number', () => {
    expect(sourceFromEnv(env, { pull_request: { number: 7 } })).toEqual({
      source: {
        forge: 'github',
        serverUrl: 'https://github.com',
        repository: 'acme/web',
        sha: 'b'.repeat(40),
        ref: 'refs/pull/7/merge',
        actor: 'alice',
        runUrl: 'https://github.com/acme/web/actions/runs/99',
        pr: 7,
      },
    });
  });

  it('detects Gitea by GITEA_ACTIONS or a server that is not github.com', () => {
    expect(detectForge({ ...env, GITEA_ACTIONS: 'true' })).toBe('gitea');
    expect(detectForge({ ...env, GITHUB_SERVER_URL: 'http://gitea.local' })).toBe('gitea');
    expect(detectForge(env)).toBe('github');
  });

  it('names the missing variables', () => {
    expect(sourceFromEnv({})).toEqual({ missing: ['GITHUB_SHA', 'GITHUB_REPOSITORY'] });
  });
});
