import type { Context } from 'hono';
import { AuthError } from '../../src/core/errors.js';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  beginVerify,
  signatureKey,
  type SignatureCheck,
  type VerifyResult,
} from '../../src/protocol/signature.js';
import type { AppDeps } from './app-env.js';
import { joinChunks, MAX_BODY_BYTES, readBodyChunks } from './raw-body.js';

export interface SignedRequest {
  deliveryId: string;
  key: string;
}

/** What a signature check reads of a request: its method, path with query, and headers. */
export interface SignedParts {
  method: string;
  /** The path and query as the route sees them, e.g. /api/deploys. */
  path: string;
  header(name: string): string | undefined;
}

/**
 * Begins the check of a request's signature over its method, path, query and raw body. The
 * secret is the one of the project the signature header names (`key=`), so nothing of the
 * unverified body is read; the caller checks that the key is the project the request acts on.
 */
export function beginSignedCheck(
  deps: Pick<AppDeps, 'secrets' | 'clock'>,
  request: SignedParts,
): SignatureCheck {
  const header = request.header(SIGNATURE_HEADER);
  const named = signatureKey(header);
  const secret = 'key' in named ? deps.secrets.signing(named.key).value : undefined;
  return beginVerify(
    secret ?? '',
    {
      timestamp: request.header(TIMESTAMP_HEADER),
      deliveryId: request.header(DELIVERY_HEADER),
      signature: header,
    },
    { method: request.method, path: request.path },
    deps.clock.now(),
  );
}

function signedParts(c: Context): SignedParts {
  const url = new URL(c.req.url);
  return { method: c.req.method, path: url.pathname + url.search, header: (name) => c.req.header(name) };
}

/** The AuthError a refused signature answers with (401). */
export function signatureRefusal(reason: string): AuthError {
  return new AuthError(`signed request refused: ${reason}`);
}

function signedOrRefused(result: VerifyResult): SignedRequest {
  if (!result.ok) throw signatureRefusal(result.reason);
  return { deliveryId: result.deliveryId, key: result.key };
}

/** Verifies the signature of `c` over a body already read (see beginSignedCheck). */
export function verifySignedRequest(c: Context, deps: AppDeps, body: Uint8Array): SignedRequest {
  const check = beginSignedCheck(deps, signedParts(c));
  check.update(body);
  return signedOrRefused(check.finish());
}

/**
 * Reads the body of a signed request (413 past `limit`, as readRawBody) and verifies its
 * signature, hashing each chunk as it arrives: a refused body (a flood of bad signatures) is
 * never copied into one buffer. The body, whole, only once the signature is valid.
 */
export async function readSignedRequest(
  c: Context,
  deps: AppDeps,
  limit = MAX_BODY_BYTES,
): Promise<SignedRequest & { body: Uint8Array }> {
  const check = beginSignedCheck(deps, signedParts(c));
  const chunks = await readBodyChunks(c, limit, (chunk) => check.update(chunk));
  return { ...signedOrRefused(check.finish()), body: joinChunks(chunks) };
}
