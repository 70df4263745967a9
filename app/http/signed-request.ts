import type { Context } from 'hono';
import { AuthError } from '../../src/core/errors.js';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signatureKey,
  verifySignature,
} from '../../src/protocol/signature.js';
import type { AppDeps } from './app-env.js';

/**
 * Verifies the signature of `c` over its method, path, query and raw body. The secret is the
 * one of the project the signature header names (`key=`), so nothing of the unverified body is
 * read; the caller checks that the key is the project the request acts on.
 */
export function verifySignedRequest(
  c: Context,
  deps: AppDeps,
  body: Uint8Array,
): { deliveryId: string; key: string } {
  const header = c.req.header(SIGNATURE_HEADER);
  const named = signatureKey(header);
  const secret = 'key' in named ? deps.secrets.signing(named.key).value : undefined;
  const url = new URL(c.req.url);
  const result = verifySignature(
    secret ?? '',
    body,
    {
      timestamp: c.req.header(TIMESTAMP_HEADER),
      deliveryId: c.req.header(DELIVERY_HEADER),
      signature: header,
    },
    { method: c.req.method, path: url.pathname + url.search },
    deps.clock.now(),
  );
  if (!result.ok) throw new AuthError(`signed request refused: ${result.reason}`);
  return { deliveryId: result.deliveryId, key: result.key };
}
