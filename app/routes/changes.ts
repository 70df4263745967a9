import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StageChange } from '../../src/deploy/change-feed.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';

/** Changes that arrive within this window go out as one `changed` event (a deploy's phases come in bursts). */
const COALESCE_MS = 250;

/**
 * GET /api/changes: Server-Sent Events, one `changed` event (data: the stages that changed) each
 * time a deploy anywhere changes status or phase. The dashboard's pages refresh on it; the
 * session cookie is accepted besides the API token. 503 when the app was built without a feed.
 */
export function registerChanges(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/changes', (c) => {
    authorize(c, deps, { action: 'read-all', session: true });
    const feed = deps.changes;
    if (!feed) return c.json({ error: { code: 'unavailable', message: 'this app has no change feed' } }, 503);
    return streamSSE(c, async (stream) => {
      const pending = new Map<string, StageChange>();
      let timer: NodeJS.Timeout | undefined;
      const stop = new AbortController();
      const send = () => {
        timer = undefined;
        const changes = [...pending.values()];
        pending.clear();
        stream.writeSSE({ event: 'changed', data: JSON.stringify(changes) }).catch(() => stop.abort());
      };
      const unsubscribe = feed.subscribe((change) => {
        pending.set(`${change.project}/${change.stage}`, change);
        timer ??= setTimeout(send, COALESCE_MS);
      });
      const heartbeat = setInterval(() => {
        stream.write(': heartbeat\n\n').catch(() => stop.abort());
      }, deps.heartbeatMs ?? 15_000);
      stream.onAbort(() => stop.abort());
      if (feed.closed.aborted) stop.abort();
      feed.closed.addEventListener('abort', () => stop.abort(), { once: true });
      // Tells the page it is connected (and, after a reconnect, that it may have missed something).
      await stream.writeSSE({ event: 'ready', data: '{}' });
      await new Promise<void>((resolve) =>
        stop.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      clearInterval(heartbeat);
      clearTimeout(timer);
      unsubscribe();
    });
  });
}
