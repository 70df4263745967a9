import { createHmac, timingSafeEqual } from 'node:crypto';

/** Unix seconds at which the request was signed. */
export const TIMESTAMP_HEADER = 'X-Docker-Watcher-Timestamp';
/** A UUID naming one delivery; the app refuses a second request with the same id. */
export const DELIVERY_HEADER = 'X-Docker-Watcher-Delivery';
/** `sha256=<hex HMAC-SHA256 of "${timestamp}.${deliveryId}.${rawBody}">` */
export const SIGNATURE_HEADER = 'X-Docker-Watcher-Signature';
/** How far a request's timestamp may be from the app's clock, either way. */
export const MAX_SKEW_SECONDS = 300;

const PREFIX = 'sha256=';
const HEX_LENGTH = 64;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SignatureHeaders {
  [TIMESTAMP_HEADER]: string;
  [DELIVERY_HEADER]: string;
  [SIGNATURE_HEADER]: string;
}

/** The three header values of a request as received (missing ones undefined or null). */
export interface ReceivedSignature {
  timestamp: string | null | undefined;
  deliveryId: string | null | undefined;
  signature: string | null | undefined;
}

export type VerifyResult =
  { ok: true; deliveryId: string; timestamp: number } | { ok: false; reason: string };

function hmacHex(secret: string, timestamp: string, deliveryId: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.${deliveryId}.`).update(body).digest('hex');
}

/**
 * Signs a request body. Sign the exact bytes that are sent: the app verifies the raw body.
 * A retry of the same delivery keeps `deliveryId` and signs again with a fresh `now`.
 */
export function signRequest(
  secret: string,
  body: string | Uint8Array,
  options: { now: Date; deliveryId: string },
): SignatureHeaders {
  if (!secret) throw new Error('the signing secret is empty: set it before signing a request');
  const timestamp = String(Math.floor(options.now.getTime() / 1000));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [DELIVERY_HEADER]: options.deliveryId,
    [SIGNATURE_HEADER]: PREFIX + hmacHex(secret, timestamp, options.deliveryId, body),
  };
}

/**
 * Checks a signature over the raw body before anything is parsed: header shapes, timestamp
 * window, then a constant-time comparison of equal-length digests. The reasons name what is
 * wrong but never echo the expected signature.
 */
export function verifySignature(
  secret: string,
  body: string | Uint8Array,
  received: ReceivedSignature,
  now: Date,
): VerifyResult {
  const { timestamp, deliveryId, signature } = received;
  if (!timestamp || !deliveryId || !signature) {
    return {
      ok: false,
      reason: `missing ${[!timestamp && TIMESTAMP_HEADER, !deliveryId && DELIVERY_HEADER, !signature && SIGNATURE_HEADER].filter(Boolean).join(', ')} header`,
    };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} must be unix seconds` };
  if (!UUID.test(deliveryId)) return { ok: false, reason: `${DELIVERY_HEADER} must be a UUID` };
  if (!signature.startsWith(PREFIX))
    return { ok: false, reason: `${SIGNATURE_HEADER} must start with "${PREFIX}"` };
  const hex = signature.slice(PREFIX.length);
  if (hex.length !== HEX_LENGTH || !/^[0-9a-f]+$/i.test(hex)) {
    return { ok: false, reason: `${SIGNATURE_HEADER} must be "${PREFIX}" and 64 hex digits` };
  }
  const seconds = Number(timestamp);
  const skew = Math.abs(now.getTime() / 1000 - seconds);
  if (skew > MAX_SKEW_SECONDS) {
    return {
      ok: false,
      reason: `${TIMESTAMP_HEADER} ${timestamp} is ${Math.round(skew)} s away from the app's clock (at most ${MAX_SKEW_SECONDS} s): check the clocks`,
    };
  }
  if (!secret) return { ok: false, reason: 'no signing secret is configured on the app' };
  const expected = Buffer.from(hmacHex(secret, timestamp, deliveryId, body), 'hex');
  const actual = Buffer.from(hex, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: 'signature does not match: check that the secret is the same on both sides' };
  }
  return { ok: true, deliveryId, timestamp: seconds };
}
