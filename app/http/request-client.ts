import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { clientAddress, type TrustedProxies } from '../../src/net/client-address.js';

/**
 * The address of the client of `c`: the socket peer, or what X-Forwarded-For says when that
 * peer is one of global.trusted_proxies. 'unknown' without a socket (app.request() in tests).
 */
export function requestClient(c: Context, trusted: TrustedProxies): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    peer = undefined;
  }
  return clientAddress(peer, c.req.header('x-forwarded-for'), trusted);
}
