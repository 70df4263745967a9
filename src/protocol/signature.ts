import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';

/** Unix seconds at which the request was signed. */
export const TIMESTAMP_HEADER = 'X-Docker-Watcher-Timestamp';
/** A UUID naming one delivery; the app refuses a second request with the same id. */
export const DELIVERY_HEADER = 'X-Docker-Watcher-Delivery';
/**
 * `v2,key=<project>,sha256=<hex>`: the scheme version, the project whose secret signed the
 * request (the app picks the secret from it, never from the body), and the HMAC-SHA256 of
 * `v2\n{METHOD}\n{path and query}\n{key}\n{timestamp}\n{delivery id}\n{raw body}`.
 */
export const SIGNATURE_HEADER = 'X-Docker-Watcher-Signature';
/** How far a request's timestamp may be from the app's clock, either way. */
export const MAX_SKEW_SECONDS = 300;
/** The signing scheme this code speaks; a later change adds v3 beside it. */
export const SIGNATURE_VERSION = 'v2';

const HEX_LENGTH = 64;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const V2 = /^v2,key=([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?),sha256=([^,]*)$/;

export interface SignatureHeaders {
  [TIMESTAMP_HEADER]: string;
  [DELIVERY_HEADER]: string;
  [SIGNATURE_HEADER]: string;
}

/** What a signature is bound to besides the body: the route it was made for and the key. */
export interface SignedRoute {
  /** HTTP method, e.g. POST. */
  method: string;
  /** Path and query as sent, e.g. /api/deploys. */
  path: string;
  /** The project whose secret signs (its own secret_env, else the global secret). */
  key: string;
}

/** The three header values of a request as received (missing ones undefined or null). */
export interface ReceivedSignature {
  timestamp: string | null | undefined;
  deliveryId: string | null | undefined;
  signature: string | null | undefined;
}

export type VerifyResult =
  { ok: true; deliveryId: string; timestamp: number; key: string } | { ok: false; reason: string };

/** An HMAC over everything a signature covers but the body, which the caller adds. */
function signedHmac(secret: string, route: SignedRoute, timestamp: string, deliveryId: string): Hmac {
  const head = [SIGNATURE_VERSION, route.method.toUpperCase(), route.path, route.key, timestamp, deliveryId];
  return createHmac('sha256', secret).update(head.join('\n') + '\n');
}

/**
 * The key a signature header names, read before anything is verified so that the app can pick
 * the secret without parsing the (unverified) body; a reason when the header is not v2.
 */
export function signatureKey(signature: string | null | undefined): { key: string } | { reason: string } {
  if (!signature) return { reason: `missing ${SIGNATURE_HEADER} header` };
  if (signature.startsWith('sha256=')) {
    return {
      reason: `${SIGNATURE_HEADER} uses the old scheme (sha256=, not bound to the route): update the docker-watcher action or CLI to one that signs "${SIGNATURE_VERSION},key=<project>,sha256=<hex>"`,
    };
  }
  const match = V2.exec(signature);
  if (!match) {
    return {
      reason: `${SIGNATURE_HEADER} must be "${SIGNATURE_VERSION},key=<project>,sha256=<64 hex digits>"`,
    };
  }
  return { key: match[1]! };
}

/**
 * Signs a request for one route. Sign the exact bytes that are sent: the app verifies the raw
 * body. A retry of the same delivery keeps `deliveryId` and signs again with a fresh `now`.
 */
export function signRequest(
  secret: string,
  body: string | Uint8Array,
  options: SignedRoute & { now: Date; deliveryId: string },
): SignatureHeaders {
  if (!secret) throw new Error('the signing secret is empty: set it before signing a request');
  const timestamp = String(Math.floor(options.now.getTime() / 1000));
  const hex = signedHmac(secret, options, timestamp, options.deliveryId).update(body).digest('hex');
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [DELIVERY_HEADER]: options.deliveryId,
    [SIGNATURE_HEADER]: `${SIGNATURE_VERSION},key=${options.key},sha256=${hex}`,
  };
}

/**
 * A verification begun from the headers and fed the raw body as it arrives, so that a refused
 * body is hashed chunk by chunk and never copied into one buffer. `finish` gives the result
 * once the whole body has been fed; a request whose headers are already wrong gets its reason
 * there too, so the caller still reads (and size-checks) the body first.
 */
export interface SignatureCheck {
  update(chunk: string | Uint8Array): void;
  finish(): VerifyResult;
}

/**
 * Starts checking a signature over the method, path and raw body before anything is parsed:
 * header shapes and the timestamp window now, then (in `finish`) a constant-time comparison of
 * equal-length digests. The reasons name what is wrong but never echo the expected signature.
 */
export function beginVerify(
  secret: string,
  received: ReceivedSignature,
  route: Omit<SignedRoute, 'key'>,
  now: Date,
): SignatureCheck {
  const refused = (reason: string): SignatureCheck => ({
    update: () => undefined,
    finish: () => ({ ok: false, reason }),
  });
  const { timestamp, deliveryId, signature } = received;
  if (!timestamp || !deliveryId || !signature) {
    return refused(
      `missing ${[!timestamp && TIMESTAMP_HEADER, !deliveryId && DELIVERY_HEADER, !signature && SIGNATURE_HEADER].filter(Boolean).join(', ')} header`,
    );
  }
  if (!/^\d{1,12}$/.test(timestamp)) return refused(`${TIMESTAMP_HEADER} must be unix seconds`);
  if (!UUID.test(deliveryId)) return refused(`${DELIVERY_HEADER} must be a UUID`);
  const named = signatureKey(signature);
  if ('reason' in named) return refused(named.reason);
  const hex = signature.slice(signature.lastIndexOf('sha256=') + 'sha256='.length);
  if (hex.length !== HEX_LENGTH || !/^[0-9a-f]+$/i.test(hex)) {
    return refused(`${SIGNATURE_HEADER} must end in "sha256=" and 64 hex digits`);
  }
  const seconds = Number(timestamp);
  const skew = Math.abs(now.getTime() / 1000 - seconds);
  if (skew > MAX_SKEW_SECONDS) {
    return refused(
      `${TIMESTAMP_HEADER} ${timestamp} is ${Math.round(skew)} s away from the app's clock (at most ${MAX_SKEW_SECONDS} s): check the clocks`,
    );
  }
  if (!secret) return refused('no signing secret is configured on the app');
  const hmac = signedHmac(secret, { ...route, key: named.key }, timestamp, deliveryId);
  let result: VerifyResult | undefined;
  return {
    update: (chunk) => {
      if (result) throw new Error('the signature check is finished: feed the whole body before finish()');
      hmac.update(chunk);
    },
    finish: () => {
      if (result) return result;
      const expected = hmac.digest();
      const actual = Buffer.from(hex, 'hex');
      result =
        actual.length === expected.length && timingSafeEqual(actual, expected)
          ? { ok: true, deliveryId, timestamp: seconds, key: named.key }
          : {
              ok: false,
              reason:
                'signature does not match: check that the secret is the same on both sides and that the request was signed for this method and path',
            };
      return result;
    },
  };
}

/** beginVerify over a body already read whole. */
export function verifySignature(
  secret: string,
  body: string | Uint8Array,
  received: ReceivedSignature,
  route: Omit<SignedRoute, 'key'>,
  now: Date,
): VerifyResult {
  const check = beginVerify(secret, received, route, now);
  check.update(body);
  return check.finish();
}
