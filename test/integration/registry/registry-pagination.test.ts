import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import { createRegistryClient } from '../../../src/registry/registry-client.js';
import { FakeClock } from '../../fakes/fake-clock.js';

/**
 * Debian's registry (distribution 2.8) answers tag lists in one page whatever `n` says, so paging
 * is tested against a loopback registry that pages like Gitea (a next link even on the last page)
 * and answers like GHCR for a repository without tags (`"tags": null`).
 */
const TAGS = Array.from({ length: 23 }, (_, i) => `dev-${String(i).padStart(2, '0')}`);

describe('listTags paging', () => {
  const requests: string[] = [];
  let server: Server;
  let registry: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://registry');
      requests.push(url.pathname + url.search);
      if (url.pathname === '/v2/acme/empty/tags/list') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"acme/empty","tags":null}');
        return;
      }
      const n = Number(url.searchParams.get('n') ?? 50);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : TAGS.indexOf(last) + 1;
      const page = TAGS.slice(start, start + n);
      const next = `/v2/acme/web/tags/list?n=${n}&last=${page.at(-1) ?? last ?? ''}`;
      res
        .writeHead(200, { 'content-type': 'application/json', link: `<${next}>; rel="next"` })
        .end(JSON.stringify({ name: 'acme/web', tags: page }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('follows next links until an empty page, asking for n tags per page', async () => {
    const client = createRegistryClient({ clock: new FakeClock(), logger: silentLogger, pageSize: 5 });
    requests.length = 0;
    const tags = await client.listTags({ registry }, 'acme/web');
    await client.close();

    expect(tags).toEqual(TAGS);
    // 23 tags in pages of 5: five full or partial pages, then the empty one that ends the list.
    expect(requests).toHaveLength(6);
    expect(requests[0]).toBe('/v2/acme/web/tags/list?n=5');
  });

  it('takes "tags": null as no tags', async () => {
    const client = createRegistryClient({ clock: new FakeClock(), logger: silentLogger });
    expect(await client.listTags({ registry }, 'acme/empty')).toEqual([]);
    await client.close();
  });
});
