import type { Hono } from 'hono';
import { stream, streamSSE } from 'hono/streaming';
import { errorMessage } from '../../src/core/errors.js';
import type { LogLine } from '../../src/docker/engine.js';
import { parseLogQuery } from '../../src/ops/log-query.js';
import type { AppDeps, AppEnv } from '../http/app-env.js';
import { authorize } from '../http/auth.js';
import { stageParams, requireOps } from './stage-ops.js';

/** One log line as text: `<time> <stream> <text>`, what the CLI prints. */
export function formatLogLine(line: LogLine): string {
  return `${line.time} ${line.stream} ${line.text}`;
}

/**
 * GET /api/projects/:project/stages/:stage/logs?tail=&since=&follow=: the live container's
 * output. Without follow, text/plain streamed as read; with follow, Server-Sent Events (`line`
 * events of {stream, time, text}) until the container stops (`end`) or the client leaves.
 * The dashboard's session cookie is accepted too: the stage page follows the log with it.
 */
export function registerStageLogs(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get('/api/projects/:project/stages/:stage/logs', async (c) => {
    const { project, stage } = stageParams(c);
    authorize(c, deps, { action: 'read', project, stage, session: true });
    const query = parseLogQuery(c.req.query(), deps.clock.now());
    const ops = requireOps(deps);
    // Resolved before streaming starts, so that "nothing live" is a 404, not a broken stream.
    const container = await ops.liveContainer(project, stage, c.req.raw.signal);
    const stop = new AbortController();
    const options = {
      signal: stop.signal,
      ...(query.tail === undefined ? {} : { tail: query.tail }),
      ...(query.since === undefined ? {} : { since: query.since }),
    };
    const failed = (error: unknown) => {
      if (!stop.signal.aborted)
        deps.logger.warn('log stream ended early', { project, stage, container: container.name, error });
      return `log of ${container.name} ended early: ${errorMessage(error)}`;
    };

    if (!query.follow) {
      c.header('content-type', 'text/plain; charset=utf-8');
      return stream(c, async (out) => {
        out.onAbort(() => stop.abort());
        let writing = Promise.resolve();
        try {
          await ops.streamLogs(container.id, options, (line) => {
            writing = writing.then(() => out.write(formatLogLine(line) + '\n')).then(() => undefined);
          });
          await writing;
        } catch (error) {
          await out.write(`# ${failed(error)}\n`);
        }
      });
    }

    return streamSSE(c, async (out) => {
      out.onAbort(() => stop.abort());
      const heartbeat = setInterval(() => {
        out.write(': heartbeat\n\n').catch(() => stop.abort());
      }, deps.heartbeatMs ?? 15_000);
      let writing = Promise.resolve();
      try {
        await ops.streamLogs(container.id, { ...options, follow: true }, (line) => {
          writing = writing.then(() => out.writeSSE({ event: 'line', data: JSON.stringify(line) }));
        });
        await writing;
        if (!stop.signal.aborted)
          await out.writeSSE({ event: 'end', data: JSON.stringify({ reason: `${container.name} stopped` }) });
      } catch (error) {
        if (!stop.signal.aborted)
          await out.writeSSE({ event: 'error', data: JSON.stringify({ message: failed(error) }) });
      } finally {
        clearInterval(heartbeat);
        stop.abort();
      }
    });
  });
}
