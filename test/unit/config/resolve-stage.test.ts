import { describe, expect, it } from 'vitest';
import { resolveStage } from '../../../src/config/resolve-stage.js';
import { configSchema } from '../../../src/config/schema.js';
import { ConflictError, NotFoundError } from '../../../src/core/errors.js';

const config = configSchema.parse({
  projects: {
    web: {
      image: 'registry.example.com/web',
      port: 3000,
      stages: {
        dev: { tag_pattern: 'dev-*', auto_deploy: true },
        rel: { tag_pattern: 'v*' },
        prod: { tag_pattern: 'v*', promote_from: 'rel' },
        hotfix: { tag_pattern: 'hotfix-?', promote_from: 'rel' },
      },
    },
  },
});

describe('resolveStage', () => {
  it('picks the stage whose pattern matches the whole tag', () => {
    expect(resolveStage(config, 'web', 'dev-abc123')).toBe('dev');
  });

  it('prefers the stage without promote_from when several match', () => {
    expect(resolveStage(config, 'web', 'v1.2.3')).toBe('rel');
  });

  it('honours an explicitly requested stage, even one fed by promotion', () => {
    expect(resolveStage(config, 'web', 'v1.2.3', 'prod')).toBe('prod');
  });

  it('rejects a requested stage whose pattern does not match, naming tag and patterns', () => {
    const error = catchError(() => resolveStage(config, 'web', 'dev-1', 'prod'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).status).toBe(422);
    expect(error.message).toContain('"dev-1"');
    expect(error.message).toContain('prod (v*, only by promotion from rel)');
  });

  it('reports a tag that matches no stage with every pattern listed', () => {
    const error = catchError(() => resolveStage(config, 'web', 'feature-x'));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('"feature-x"');
    expect(error.message).toContain('"web"');
    expect(error.message).toContain('dev (dev-*)');
    expect(error.message).toContain('rel (v*)');
  });

  it('refuses a tag only promotion stages match unless the stage is named', () => {
    const error = catchError(() => resolveStage(config, 'web', 'hotfix-1'));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('hotfix');
    expect(resolveStage(config, 'web', 'hotfix-1', 'hotfix')).toBe('hotfix');
  });

  it('matches the whole tag, not a prefix', () => {
    expect(() => resolveStage(config, 'web', 'xdev-1')).toThrow(ConflictError);
  });

  it('throws NotFoundError for an unknown project or stage', () => {
    expect(() => resolveStage(config, 'api', 'v1')).toThrow(NotFoundError);
    expect(() => resolveStage(config, 'web', 'v1', 'staging')).toThrow(/unknown stage "staging"/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
