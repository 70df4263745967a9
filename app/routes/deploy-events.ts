import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { FINAL_STATUSES, type DeployEvent } from '../../src/core/deploy-types.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';
import { publicRecord } from '../http/deploy-views.js';
import { deployScope, findDeploy } from './deploys.js';

function lastEventId(header: string | undefined): number {
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : 0;
}

/**
 * GET /api/deploys/:id/events: Server-Sent Events. Stored events are replayed (after
 * Last-Event-ID), then live ones are streamed until the deploy is final; an `end` event with
 * the final record closes the stream. Comments keep proxies from timing it out.
 */
export function registerDeployEvents(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/deploys/:id/events', (c) => {
    authorize(c, deps, { ...deployScope(deps, c.req.param('id'), 'read'), session: true });
    const record = findDeploy(deps, c.req.param('id'));
    c.set('logFields', { deployId: record.id, project: record.project, stage: record.stage });
    const after = lastEventId(c.req.header('last-event-id'));

    return streamSSE(c, async (stream) => {
      let sent = after;
      const live: DeployEvent[] = [];
      let wake: (() => void) | undefined;
      // Subscribe before reading the store, so nothing falls between the replay and the live part.
      const unsubscribe = deps.deployer.subscribe(record.id, (event) => {
        live.push(event);
        wake?.();
      });
      const stop = new AbortController();
      stream.onAbort(() => stop.abort());
      const heartbeat = setInterval(() => {
        stream.write(': heartbeat\n\n').catch(() => stop.abort());
      }, deps.heartbeatMs ?? 15_000);

      const send = async (event: DeployEvent) => {
        if (event.seq <= sent) return;
        sent = event.seq;
        await stream.writeSSE({ id: String(event.seq), data: JSON.stringify(event) });
      };
      const flush = async () => {
        for (const event of deps.store.listEvents(record.id, sent)) await send(event);
        while (live.length > 0) await send(live.shift()!);
      };

      try {
        await flush();
        let final = isFinal(deps.store.getDeploy(record.id)?.status);
        const done = final
          ? Promise.resolve()
          : deps.deployer.waitFor(record.id, stop.signal).then(
              () => void (final = true),
              // Aborted (client gone) or failed: either way the stream ends with what is stored.
              () => void (final = true),
            );
        while (!final && !stop.signal.aborted) {
          const woken = new Promise<void>((resolve) => (wake = resolve));
          await Promise.race([done, woken]);
          await flush();
        }
        await flush();
        const end = deps.store.getDeploy(record.id);
        if (end && !stop.signal.aborted)
          await stream.writeSSE({ event: 'end', data: JSON.stringify(publicRecord(end)) });
      } catch (error) {
        if (!stop.signal.aborted)
          deps.logger.warn('event stream ended early', { deployId: record.id, error });
      } finally {
        clearInterval(heartbeat);
        unsubscribe();
        stop.abort();
      }
    });
  });
}

function isFinal(status: string | undefined): boolean {
  return status !== undefined && (FINAL_STATUSES as readonly string[]).includes(status);
}
