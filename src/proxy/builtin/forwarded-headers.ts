import type { IncomingHttpHeaders } from 'node:http';
import type { TrustedProxies } from '../../net/client-address.js';

/** Headers that belong to one hop only (RFC 9110 7.6.1); never forwarded. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
];

/**
 * The request headers as the container gets them: hop-by-hop headers (and those the client's
 * Connection header names) removed, X-Forwarded-For/Proto/Host set. An incoming X-Forwarded-*
 * is kept (and For appended to) only from a trusted proxy; anyone else could claim any client.
 * `upgrade`: a WebSocket handshake keeps its Connection/Upgrade pair.
 */
export function forwardedHeaders(
  headers: IncomingHttpHeaders,
  peer: string,
  trusted: TrustedProxies,
  upgrade: boolean,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '' && name !== 'upgrade');
  for (const name of [...HOP_BY_HOP, ...named]) delete out[name];
  if (upgrade) {
    out.connection = 'upgrade';
    out.upgrade = headers.upgrade;
  }
  const fromProxy = trusted.has(peer);
  const priorFor = fromProxy ? headers['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = priorFor ? `${String(priorFor)}, ${peer}` : peer;
  out['x-forwarded-proto'] = (fromProxy && headers['x-forwarded-proto']) || 'http';
  out['x-forwarded-host'] = (fromProxy && headers['x-forwarded-host']) || headers.host;
  return out;
}
