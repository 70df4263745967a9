import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeployEvent, DeployStatus } from '../../../src/core/deploy-types.js';
import { FINAL_STATUSES } from '../../../src/core/deploy-types.js';
import { canTransition, createLifecycle, TRANSITIONS } from '../../../src/deploy/lifecycle.js';
import { silentLogger } from '../../../src/log/logger.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { FakeClock } from '../../fakes/fake-clock.js';

function fixture() {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  const seen: [DeployEvent['status'], DeployStatus][] = [];
  const lifecycle = createLifecycle({
    store,
    clock,
    logger: silentLogger,
    observers: [{ onDeployEvent: (event, record) => seen.push([event.status, record.status]) }],
  });
  const open = (id = 'd1') =>
    lifecycle.open(
      {
        id,
        kind: 'deploy',
        intent: { project: 'web', stage: 'dev', image: 'registry.test/web', tag: 'v1', trigger: 'ci' },
        status: 'queued',
        createdAt: clock.now().toISOString(),
      },
      'queued v1',
    );
  return { store, clock, lifecycle, seen, open };
}

describe('deploy lifecycle', () => {
  it('ends nowhere once final, and every status but a final one leads somewhere', () => {
    for (const status of Object.keys(TRANSITIONS) as DeployStatus[]) {
      expect(TRANSITIONS[status].length === 0, status).toBe(FINAL_STATUSES.includes(status));
    }
    expect(canTransition('awaiting_approval', 'queued')).toBe(true);
    expect(canTransition('awaiting_approval', 'running')).toBe(false);
    expect(canTransition('running', 'queued')).toBe(true);
    expect(canTransition('succeeded', 'failed')).toBe(false);
  });

  it('writes each change with its stamps and tells the observers, in order', () => {
    const { store, clock, lifecycle, seen, open } = fixture();
    open();
    clock.advance(1000);
    const running = lifecycle.move('d1', 'running', { message: 'deploying v1' });
    expect(running.startedAt).toBe(clock.now().toISOString());
    clock.advance(1000);
    const failed = lifecycle.move('d1', 'failed', {
      message: 'health failed',
      phase: 'health',
      patch: { error: { phase: 'health', message: 'HTTP 500' } },
    });
    expect(failed).toMatchObject({
      status: 'failed',
      finishedAt: clock.now().toISOString(),
      error: { phase: 'health', message: 'HTTP 500' },
    });
    expect(seen).toEqual([
      ['queued', 'queued'],
      ['running', 'running'],
      ['failed', 'failed'],
    ]);
    expect(store.listEvents('d1').map((e) => [e.status, e.level, e.message])).toEqual([
      ['queued', 'info', 'queued v1'],
      ['running', 'info', 'deploying v1'],
      ['failed', 'error', 'health failed'],
    ]);
  });

  it('refuses a change the table does not allow, naming both statuses, and changes nothing', () => {
    const { store, lifecycle, seen, open } = fixture();
    open();
    expect(() => lifecycle.move('d1', 'succeeded', { message: 'x' })).toThrow(
      'deploy d1 is queued and cannot become succeeded',
    );
    lifecycle.move('d1', 'cancelled', { message: 'shutting down' });
    expect(() => lifecycle.move('d1', 'running', { message: 'x' })).toThrow(
      'deploy d1 is cancelled and cannot become running: it has ended',
    );
    expect(store.getDeploy('d1')?.status).toBe('cancelled');
    expect(seen.map(([status]) => status)).toEqual(['queued', 'cancelled']);
  });

  it('is the only writer of a status: nothing else in src calls the store for it', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
      );
    const writers = [...files('src'), ...files('app')]
      .filter((file) => /\.tsx?$/.test(file))
      .filter((file) =>
        /\.(transitionDeploy|createDeploy)\(|type: 'status'/.test(readFileSync(file, 'utf8')),
      );
    // Status events too: nobody announces a status the record does not have.
    expect(writers.sort()).toEqual(['src/deploy/lifecycle.ts']);
  });
});
