import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';

/** Largest request body the API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * Reads the raw request body, stopping as soon as it grows past `limit`: Content-Length is
 * only a shortcut for the refusal, never trusted as the size.
 */
export async function readRawBody(c: Context, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const tooLarge = () =>
    new HTTPException(413, {
      message: `the request body is larger than ${limit} bytes; send a smaller body`,
    });
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const stream = c.req.raw.body;
  if (!stream) return EMPTY;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** Refuses a body that is not JSON (415), so nothing else gets parsed as if it were. */
export function requireJson(c: Context): void {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
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
