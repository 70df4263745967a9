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
  // The engine copies stdout and stderr separately, so a read of what is already logged can
  // interleave them a few microseconds out of order: without follow, hand them over by time.
  const batch: LogLine[] = [];
  const emit = options.follow === true ? onLine : (line: LogLine) => void batch.push(line);
  const flush = () => {
    for (const line of batch.sort((a, b) => compareLogTimes(a.time, b.time))) onLine(line);
  };
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
    for (const line of demux.feed(Buffer.from(body))) emit(line);
    for (const line of demux.end()) emit(line);
  } else {
    await pump(body, demux, emit, id, signal);
  }
  flush();
}

/**
 * Orders two RFC 3339 timestamps of the engine. Their fractions have no trailing zeros
 * (".3341Z" vs ".334132111Z"), so they are padded before a plain comparison.
 */
export function compareLogTimes(a: string, b: string): number {
  const norm = (t: string) =>
    t.replace(/(\.\d+)?Z$/, (_m, fraction: string | undefined) => `${(fraction ?? '.').padEnd(10, '0')}Z`);
  const [x, y] = [norm(a), norm(b)];
  return x < y ? -1 : x > y ? 1 : 0;
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
