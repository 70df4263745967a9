import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { dockerCall, dockerError } from './docker-errors.js';
import type { LogLine, LogStreamOptions } from './engine.js';
import { LogDemultiplexer } from './log-stream.js';

/** The engine's `since`: seconds since the epoch with a fraction (the daemon takes "s.fff"). */
export function engineSince(since: Date): string {
  return (since.getTime() / 1000).toFixed(3);
}

/** DockerEngine.streamLogs on dockerode: reads (and follows) a log, demultiplexed line by line. */
export async function streamLogs(
  docker: Docker,
  id: string,
  options: LogStreamOptions,
  onLine: (line: LogLine) => void,
): Promise<void> {
  const { signal } = options;
  if (signal.aborted) return;
  const query = {
    stdout: true,
    stderr: true,
    timestamps: true,
    tail: options.tail === undefined ? 'all' : String(Math.max(0, options.tail)),
    ...(options.since === undefined ? {} : { since: engineSince(options.since) }),
    abortSignal: signal,
  };
  const container = docker.getContainer(id) as unknown as {
    logs(options: object): Promise<Buffer | Readable>;
  };
  const demux = new LogDemultiplexer();
  let body: Buffer | Readable;
  try {
    body = await dockerCall('read logs of container', id, signal, () =>
      container.logs({ ...query, follow: options.follow === true }),
    );
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    for (const line of demux.feed(Buffer.from(body))) onLine(line);
    for (const line of demux.end()) onLine(line);
    return;
  }
  await pump(body, demux, onLine, id, signal);
}

async function pump(
  stream: Readable,
  demux: LogDemultiplexer,
  onLine: (line: LogLine) => void,
  id: string,
  signal: AbortSignal,
): Promise<void> {
  const stop = () => stream.destroy();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of stream) {
      for (const line of demux.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))))
        onLine(line);
    }
    for (const line of demux.end()) onLine(line);
  } catch (error) {
    if (signal.aborted) return;
    throw dockerError('follow logs of container', id, error);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
