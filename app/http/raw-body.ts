import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';

/** Largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * Reads the raw request body, stopping as soon as it grows past `limit`: Content-Length is
 * only a shortcut for the refusal, never trusted as the size. On Node (@hono/node-server puts
 * the IncomingMessage in `c.env.incoming`) the bytes come straight from the socket's stream,
 * without the web ReadableStream around it, which cost most of a refused request's time in a
 * flood; elsewhere (`app.request()` in tests) from the Request's body.
 */
export async function readRawBody(c: Context, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  return joinChunks(await readBodyChunks(c, limit));
}

/**
 * readRawBody's chunks as they came, each handed to `onChunk` (within the limit) as it arrives:
 * a signature is checked over them without copying a body that may be refused into one buffer.
 */
export async function readBodyChunks(
  c: Context,
  limit = MAX_BODY_BYTES,
  onChunk: (chunk: Uint8Array) => void = () => undefined,
): Promise<Uint8Array[]> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const incoming = (c.env as { incoming?: ReadIncoming } | undefined)?.incoming;
  if (incoming?.rawBody instanceof Buffer) return [readAlready(incoming.rawBody, limit, onChunk)];
  return incoming ? readNodeStream(incoming, limit, onChunk) : readWebStream(c, limit, onChunk);
}

/**
 * A Node request whose body was read before the app got it (by the signature gate), in
 * @hono/node-server's `rawBody` convention, which it also gives a web Request's body from.
 */
export type ReadIncoming = IncomingMessage & { rawBody?: Buffer };

function readAlready(body: Buffer, limit: number, onChunk: (chunk: Uint8Array) => void): Uint8Array {
  if (body.byteLength > limit) throw tooLarge(limit);
  onChunk(body);
  return body;
}

/** The chunks of a body as one buffer (the only chunk itself when there is one). */
export function joinChunks(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return chunks.length === 0 ? EMPTY : Buffer.concat(chunks);
}

/** The 413 for a body past `limit` bytes. */
export function tooLarge(limit: number): HTTPException {
  return new HTTPException(413, {
    message: `the request body is larger than ${limit} bytes; send a smaller body`,
  });
}

/**
 * A Node request's body, read from its stream up to `limit` (rejects with tooLarge past it,
 * leaving the rest unread), each chunk handed to `onChunk` as it arrives.
 */
export function readNodeStream(
  incoming: IncomingMessage,
  limit: number,
  onChunk: (chunk: Uint8Array) => void,
): Promise<Uint8Array[]> {
  if (incoming.readableEnded) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        // Not read further: Node discards the rest once the 413 is sent.
        stop();
        incoming.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
      try {
        onChunk(chunk);
      } catch (error) {
        stop();
        incoming.pause();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const onEnd = () => {
      stop();
      resolve(chunks);
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onAborted = () =>
      onError(new Error('the client closed the connection before sending the whole body'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('aborted', onAborted);
  });
}

async function readWebStream(
  c: Context,
  limit: number,
  onChunk: (chunk: Uint8Array) => void,
): Promise<Uint8Array[]> {
  const stream = c.req.raw.body;
  if (!stream) return [];
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
    onChunk(value);
  }
}

/** The media type of a Content-Type header, lowercased, without its parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

/** Refuses a body that is not JSON (415), so nothing else gets parsed as if it were. */
export function requireJson(c: Context): void {
  const type = mediaType(c.req.header('content-type'));
  if (type !== 'application/json') {
    throw new HTTPException(415, {
      message: `content-type must be application/json, not "${type ?? '(none)'}"`,
    });
  }
}

/** Parses a JSON body already read as bytes; a ValidationError-style 400 when it is not JSON. */
export function parseJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
  } catch {
    throw new HTTPException(400, { message: 'the request body is not valid UTF-8 JSON' });
  }
}
