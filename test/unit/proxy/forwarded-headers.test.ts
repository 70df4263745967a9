import { describe, expect, it } from 'vitest';
import { trustedProxies } from '../../../src/net/client-address.js';
import { forwardedHeaders } from '../../../src/proxy/builtin/forwarded-headers.js';

const trusted = trustedProxies(['10.0.0.0/8']);

describe('forwardedHeaders', () => {
  it('drops hop-by-hop headers and those Connection names, and sets X-Forwarded-* from the peer', () => {
    const out = forwardedHeaders(
      {
        host: 'a.example',
        connection: 'keep-alive, x-secret-hop',
        'keep-alive': 'timeout=5',
        'x-secret-hop': '1',
        te: 'trailers',
        'proxy-authorization': 'Basic x',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
        accept: 'text/html',
      },
      '192.168.1.9',
      trusted,
      false,
    );
    expect(out).toEqual({
      host: 'a.example',
      accept: 'text/html',
      'x-forwarded-for': '192.168.1.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'a.example',
    });
  });

  it('keeps and appends to what a trusted proxy says', () => {
    const out = forwardedHeaders(
      {
        host: 'a.internal',
        'x-forwarded-for': '1.2.3.4',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'a.example',
      },
      '10.1.2.3',
      trusted,
      false,
    );
    expect(out).toMatchObject({
      'x-forwarded-for': '1.2.3.4, 10.1.2.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'a.example',
    });
  });

  it('keeps the Upgrade handshake of a WebSocket', () => {
    const out = forwardedHeaders(
      { host: 'a.example', connection: 'Upgrade', upgrade: 'websocket' },
      '127.0.0.1',
      trusted,
      true,
    );
    expect(out).toMatchObject({ connection: 'upgrade', upgrade: 'websocket' });
  });
});
