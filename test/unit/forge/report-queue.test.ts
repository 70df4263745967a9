import { describe, expect, it } from 'vitest';
import { ExternalError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/log/logger.js';
import { ReportQueue } from '../../../src/forge/report-queue.js';
import { FakeClock } from '../../fakes/fake-clock.js';

describe('ReportQueue', () => {
  it('retries with doubling backoff up to the cap until the job goes through', async () => {
    const clock = new FakeClock();
    const queue = new ReportQueue({ clock, logger: silentLogger, firstDelayMs: 100, maxDelayMs: 400 });
    let tries = 0;
    queue.put('k', {
      what: 'status',
      run: async () => {
        if (++tries < 5) throw new Error('forge down');
      },
    });
    await queue.flush();
    expect(tries).toBe(5);
    expect(clock.slept).toEqual([100, 200, 400, 400]);
  });

  it('keeps only the latest job of a key while an older one runs', async () => {
    const queue = new ReportQueue({ clock: new FakeClock(), logger: silentLogger });
    const sent: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    queue.put('k', { what: 'a', run: async () => (await gate, void sent.push('a')) });
    queue.put('k', { what: 'b', run: async () => void sent.push('b') });
    queue.put('k', { what: 'c', run: async () => void sent.push('c') });
    queue.put('other', { what: 'x', run: async () => void sent.push('x') });
    release();
    await queue.flush();
    expect(sent.sort()).toEqual(['a', 'c', 'x']);
  });

  it('drops a job the forge keeps refusing as invalid', async () => {
    const clock = new FakeClock();
    const queue = new ReportQueue({ clock, logger: silentLogger, permanentFailureTries: 3 });
    let tries = 0;
    queue.put('k', {
      what: 'bad',
      run: () => {
        tries++;
        return Promise.reject(new ExternalError('forge', 'Validation Failed', { status: 422 }));
      },
    });
    await queue.flush();
    expect(tries).toBe(3);
  });
});
