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

  it('runs chores in turn beside deploys: never superseded, merged while waiting, dropped at shutdown', async () => {
    const superseded: string[] = [];
    const ran: string[] = [];
    const queue = new StageQueue();
    const first = deferred();
    queue.enqueue('s', {
      id: 'd1',
      run: async () => (ran.push('d1'), first.promise),
      superseded: () => superseded.push('d1'),
    });
    const repair = queue.exclusive('s', 'repair', async () => (ran.push('repair'), 'routed'));
    const again = queue.exclusive('s', 'repair', async () => (ran.push('repair-2'), 'twice'));
    queue.enqueue('s', {
      id: 'd2',
      run: async () => void ran.push('d2'),
      superseded: () => superseded.push('d2'),
    });
    queue.enqueue('s', { id: 'd3', run: async () => void ran.push('d3') });
    expect(superseded).toEqual(['d2']);
    first.resolve();
    expect(await repair).toBe('routed');
    expect(await again).toBe('routed');
    await queue.idle();
    expect(ran).toEqual(['d1', 'repair', 'd3']);

    const long = deferred();
    queue.enqueue('s', { id: 'd4', run: () => long.promise });
    const dropped = queue.exclusive('s', 'repair', async () => 'never');
    expect(queue.dropQueued()).toEqual([]);
    expect(await dropped).toBeUndefined();
    long.resolve();
    await queue.idle();
  });

  it('passes a chore failure to its caller, and starts nothing before a hold is released', async () => {
    const queue = new StageQueue();
    const hold = deferred();
    queue.holdUntil(hold.promise);
    const ran: string[] = [];
    queue.enqueue('a', { id: 'd1', run: async () => void ran.push('d1') });
    const failing = queue.exclusive('b', 'repair', async () => {
      ran.push('repair');
      throw new Error('proxy down');
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(ran).toEqual([]);
    hold.resolve();
    await expect(failing).rejects.toThrow('proxy down');
    await queue.idle();
    expect(ran.sort()).toEqual(['d1', 'repair']);
  });
});
