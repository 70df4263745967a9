import { BlockList, isIP } from 'node:net';

/** Which peers may say who the client is (global.trusted_proxies: addresses or CIDR ranges). */
export interface TrustedProxies {
  /** Whether `address` is one of the trusted proxies. */
  has(address: string): boolean;
}

/** Whether `entry` is an IP address or a CIDR range trustedProxies accepts. */
export function isProxyEntry(entry: string): boolean {
  try {
    trustedProxies([entry]);
    return true;
  } catch {
    return false;
  }
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`. */
function plain(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * Builds the trusted-proxy set from entries such as `172.18.0.0/16`, `10.0.0.5` or `fd00::/8`.
 * @throws Error naming an entry that is neither an address nor a range
 */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.trim().split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      rest.length > 0 ||
      (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))
    ) {
      throw new Error(`trusted proxy "${entry}" is not an IP address or a CIDR range such as 172.18.0.0/16`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return {
    has(address) {
      const ip = plain(address);
      const family = isIP(ip);
      return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

/**
 * The client's address. The socket's peer, unless that peer is a trusted proxy: then
 * X-Forwarded-For is read from the right, skipping trusted proxies, and the first address that
 * is not one is the client (entries to its left are whatever the client claimed). An untrusted
 * peer's X-Forwarded-For is ignored: anyone can send that header.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusted: TrustedProxies,
): string {
  if (peer === undefined || peer === '') return 'unknown';
  if (!trusted.has(peer) || !forwardedFor) return plain(peer);
  const hops = forwardedFor
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(plain(hop)) === 0) return plain(peer);
    if (!trusted.has(hop)) return plain(hop);
  }
  return plain(hops[0] ?? peer);
}
