import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookForge } from '../../src/config/request-secrets.js';

export type { WebhookForge };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body, checked by @octokit/webhooks
 * (loaded on the first GitHub delivery: an app without one does not hold it, issue 21).
 * The body is decoded without dropping a BOM, so the bytes signed are the bytes received.
 */
async function githubSignedBy(secret: string, text: string, header: string): Promise<boolean> {
  try {
    const { Webhooks } = await import('@octokit/webhooks');
    return await new Webhooks({ secret }).verify(text, header);
  } catch {
    return false;
  }
}

/** Gitea: bare hex HMAC-SHA256 in X-Gitea-Signature, or `sha256=<hex>` in X-Hub-Signature-256. */
function giteaSignedBy(secret: string, raw: Uint8Array, hex: string): boolean {
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The headers a forge signs a delivery with. */
export interface SignatureHeaders {
  hubSignature256?: string | undefined;
  giteaSignature?: string | undefined;
}

/**
 * The forges among `forges` whose secret signed `raw`: none means the delivery is refused. Every
 * candidate is checked (no early exit) so the timing does not tell which secret came close.
 */
export async function signingForges(
  forges: readonly WebhookForge[],
  raw: Uint8Array,
  headers: SignatureHeaders,
): Promise<WebhookForge[]> {
  const signed: WebhookForge[] = [];
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return signed;
  }
  const hub = headers.hubSignature256?.trim();
  const giteaHexes = [headers.giteaSignature?.trim(), hub?.replace(/^sha256=/, '')]
    .map((value) => value?.toLowerCase())
    .filter((value): value is string => value !== undefined && HEX_SHA256.test(value));
  for (const forge of forges) {
    const ok =
      forge.kind === 'github'
        ? hub !== undefined && (await githubSignedBy(forge.secret, text, hub))
        : giteaHexes.map((hex) => giteaSignedBy(forge.secret, raw, hex)).includes(true);
    if (ok) signed.push(forge);
  }
  return signed;
}
