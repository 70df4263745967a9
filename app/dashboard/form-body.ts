import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { readRawBody } from '../http/raw-body.js';

/** Largest dashboard form body read. */
const MAX_FORM_BYTES = 16 * 1024;

/** Reads an `application/x-www-form-urlencoded` body (what a plain HTML form sends). */
export async function readForm(c: Context): Promise<URLSearchParams> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HTTPException(415, {
      message: `dashboard forms are sent as application/x-www-form-urlencoded, not "${type ?? '(none)'}"`,
    });
  }
  return new URLSearchParams(new TextDecoder().decode(await readRawBody(c, MAX_FORM_BYTES)));
}

/** `next` when it is a path of this app (never another site or `//host`), else `/`. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  return next.length > 512 ? '/' : next;
}
