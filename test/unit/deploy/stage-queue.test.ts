import { describe, expect, it } from 'vitest';
import { StageQueue } from '../../../src/deploy/stage-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('StageQueue', () => {
  it('runs one job per stage and lets the newest queued request supersede the others', async () => {
    const superseded: [string, string][] = [];
    const ran: string[] = [];
    const queue = new StageQueue({ onSuperseded: (id, by) => superseded.push([id, by]) });
    const first = deferred();
    queue.enqueue('web/dev', { id: 'j1', run: async () => (ran.push('j1'), first.promise) });
    for (let i = 2; i <= 20; i++)
      queue.enqueue('web/dev', { id: `j${i}`, run: async () => void ran.push(`j${i}`) });
    expect(queue.running()).toEqual(['j1']);
    expect(superseded).toHaveLength(18);
    expect(superseded[0]).toEqual(['j2', 'j3']);
    expect(superseded.at(-1)).toEqual(['j19', 'j20']);
    first.resolve();
    await queue.idle();
    expect(ran).toEqual(['j1', 'j20']);
  });

  it('runs different stages in parallel', async () => {
    const queue = new StageQueue({ onSuperseded: () => {} });
    const dev = deferred();
    const prod = deferred();
    queue.enqueue('web/dev', { id: 'dev', run: () => dev.promise });
    queue.enqueue('web/prod', { id: 'prod', run: () => prod.promise });
    expect(queue.running().sort()).toEqual(['dev', 'prod']);
    dev.resolve();
    prod.resolve();
    await queue.idle();
    expect(queue.running()).toEqual([]);
  });

  it('drops queued jobs, aborts running ones and survives a job that throws', async () => {
    const errors: string[] = [];
    const queue = new StageQueue({ onSuperseded: () => {}, onError: (id) => errors.push(id) });
    let aborted: unknown;
    queue.enqueue('s', {
      id: 'long',
      run: (signal) =>
        new Promise((_, reject) => {
          const stop = () => {
            aborted = signal.reason;
            reject(new Error('stopped'));
          };
          if (signal.aborted) stop();
          signal.addEventListener('abort', stop);
        }),
    });
    queue.enqueue('s', { id: 'waiting', run: async () => {} });
    expect(queue.dropQueued()).toEqual(['waiting']);
    queue.abortRunning(new Error('shutdown'));
    await queue.idle();
    expect((aborted as Error).message).toBe('shutdown');
    expect(errors).toEqual(['long']);
  });
});
