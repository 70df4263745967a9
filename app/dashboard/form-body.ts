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

/** Control characters (C0, DEL, C1) and the backslash browsers read as a slash. */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const UNSAFE_IN_NEXT = /[\u0000-\u001f\u007f-\u009f\\]/;
const OWN_ORIGIN = 'http://docker-watcher.invalid';

/**
 * `next` when it is a path of this app, else `/`. It is parsed as a URL against the app's own
 * origin and must stay on it, with a path that starts with a single `/`; control characters
 * are refused outright (browsers drop a tab or newline and `/\t/evil.example` becomes
 * `//evil.example`). The answer is the URL's own serialization, so what was checked is what
 * the Location header says.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > 512 || UNSAFE_IN_NEXT.test(next)) return '/';
  if (!next.startsWith('/') || next.startsWith('//')) return '/';
  let url: URL;
  try {
    url = new URL(next, OWN_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== OWN_ORIGIN || !url.pathname.startsWith('/') || url.pathname.startsWith('//')) return '/';
  return url.pathname + url.search + url.hash;
}
