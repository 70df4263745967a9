import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { ExternalError } from '../../../src/core/errors.js';
import { ReportOutbox, type ReportOutboxOptions } from '../../../src/forge/report-outbox.js';
import { silentLogger } from '../../../src/log/logger.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/store.js';
import { FakeClock } from '../../fakes/fake-clock.js';

interface Job {
  text: string;
}

/** An outbox on `store` whose sends go through `send` (by default: recorded in `sent`). */
function outboxOn(
  store: Store,
  options: Partial<ReportOutboxOptions<Job>> = {},
): { outbox: ReportOutbox<Job>; sent: string[] } {
  const sent: string[] = [];
  const outbox = new ReportOutbox<Job>({
    store,
    clock: new FakeClock(),
    logger: silentLogger,
    describe: (job) => job.text,
    send: async (job) => void sent.push(job.text),
    ...options,
  });
  return { outbox, sent };
}

describe('ReportOutbox', () => {
  it('writes each report before sending it, and removes it once sent', async () => {
    const store = openSqliteStore(':memory:');
    let seenInStore: string | undefined;
    const { outbox } = outboxOn(store, {
      send: async () => void (seenInStore = store.getReport('k')?.job),
    });
    outbox.start();
    outbox.put('k', { text: 'a' });
    await outbox.flush();
    expect(seenInStore).toBe('{"text":"a"}');
    expect(store.listReports()).toEqual([]);
  });

  it('retries with doubling backoff up to the cap, the schedule kept in the store', async () => {
    const store = openSqliteStore(':memory:');
    const clock = new FakeClock();
    let tries = 0;
    const attempts: number[] = [];
    const { outbox } = outboxOn(store, {
      clock,
      firstDelayMs: 100,
      maxDelayMs: 400,
      send: async () => {
        attempts.push(store.getReport('k')!.attempts);
        if (++tries < 5) throw new Error('forge down');
      },
    });
    outbox.start();
    outbox.put('k', { text: 'a' });
    await outbox.flush();
    expect(tries).toBe(5);
    expect(attempts).toEqual([0, 1, 2, 3, 4]);
    expect(clock.slept).toEqual([100, 200, 400, 400]);
  });

  it('sends only the latest report of a key put while an older one is in flight, in order', async () => {
    const store = openSqliteStore(':memory:');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sent: string[] = [];
    const { outbox } = outboxOn(store, {
      send: async (job) => {
        if (job.text === 'a') await gate;
        sent.push(job.text);
      },
    });
    outbox.start();
    outbox.put('k', { text: 'a' });
    outbox.put('k', { text: 'b' });
    outbox.put('k', { text: 'c' });
    outbox.put('other', { text: 'x' });
    release();
    await outbox.flush();
    expect(sent.filter((text) => text !== 'x')).toEqual(['a', 'c']);
    expect(sent).toContain('x');
  });

  it('a report put while an older one waits for a retry is sent at once', async () => {
    const store = openSqliteStore(':memory:');
    const sent: string[] = [];
    const { outbox } = outboxOn(store, {
      clock: systemClock,
      firstDelayMs: 60_000,
      send: async (job) => {
        if (job.text === 'a') throw new Error('forge down');
        sent.push(job.text);
      },
    });
    outbox.start();
    outbox.put('k', { text: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    outbox.put('k', { text: 'b' });
    await outbox.flush();
    expect(sent).toEqual(['b']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('resumes after a restart what the last run did not send, in the order it was queued', async () => {
    const path = `file:outbox-${Math.random()}?mode=memory&cache=shared`;
    const keep = openSqliteStore(path); // keeps the shared in-memory database alive
    const first = outboxOn(openSqliteStore(path), {
      clock: systemClock,
      send: () => Promise.reject(new Error('forge down')),
    });
    first.outbox.start();
    first.outbox.put('status|sha1', { text: 'pending' });
    first.outbox.put('comment|7', { text: 'comment' });
    first.outbox.put('status|sha1', { text: 'success' });
    await first.outbox.stop(50);
    expect(keep.listReports().map((entry) => [entry.key, entry.job])).toEqual([
      ['status|sha1', '{"text":"success"}'],
      ['comment|7', '{"text":"comment"}'],
    ]);

    // The process restarted: a new outbox on the same database sends what was left.
    const second = outboxOn(openSqliteStore(path));
    second.outbox.start();
    await second.outbox.flush();
    expect(second.sent).toEqual(['success', 'comment']);
    expect(keep.listReports()).toEqual([]);
    keep.close();
  });

  it('stop: sends for the grace period, then aborts every request and retry wait, and sends nothing more', async () => {
    const store = openSqliteStore(':memory:');
    const signals: AbortSignal[] = [];
    let calls = 0;
    const { outbox } = outboxOn(store, {
      clock: systemClock,
      firstDelayMs: 10,
      send: (_job, signal) => {
        calls++;
        signals.push(signal);
        // Like a request to a forge that never answers (it ignores the signal, as an SDK retry may).
        return new Promise(() => undefined);
      },
    });
    outbox.start();
    outbox.put('hangs', { text: 'a' });
    const started = Date.now();
    await outbox.stop(100);
    const stoppedIn = Date.now() - started;
    expect(stoppedIn).toBeGreaterThanOrEqual(90);
    expect(stoppedIn).toBeLessThan(1000);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    outbox.put('later', { text: 'b' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(1);
    // Nothing is lost: both wait in the store for the next start.
    expect(store.listReports().map((entry) => entry.key)).toEqual(['hangs', 'later']);
  });

  it('stop ends a wait for a retry at once', async () => {
    const store = openSqliteStore(':memory:');
    const { outbox } = outboxOn(store, {
      clock: systemClock,
      firstDelayMs: 60_000,
      send: () => Promise.reject(new Error('forge down')),
    });
    outbox.start();
    outbox.put('k', { text: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await outbox.stop(0);
    expect(Date.now() - started).toBeLessThan(500);
    expect(store.getReport('k')).toMatchObject({ attempts: 1, lastError: 'forge down' });
  });

  it('drops a report the forge keeps refusing as invalid', async () => {
    const store = openSqliteStore(':memory:');
    let tries = 0;
    const { outbox } = outboxOn(store, {
      permanentFailureTries: 3,
      send: () => {
        tries++;
        return Promise.reject(new ExternalError('forge', 'Validation Failed', { status: 422 }));
      },
    });
    outbox.start();
    outbox.put('k', { text: 'bad' });
    await outbox.flush();
    expect(tries).toBe(3);
    expect(store.listReports()).toEqual([]);
  });

  it('sends nothing before start', async () => {
    const store = openSqliteStore(':memory:');
    const { outbox, sent } = outboxOn(store);
    outbox.put('k', { text: 'a' });
    await outbox.flush();
    expect(sent).toEqual([]);
    expect(store.listReports()).toHaveLength(1);
  });
});
