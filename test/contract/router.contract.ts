import { describe, expect, it } from 'vitest';
import type { Router } from '../../src/deploy/ports.js';
import type { RouteTarget } from '../../src/proxy/router.js';

/** A Router under test, and how to look at where a domain points without going through it. */
export interface RouterUnderTest {
  router: Router;
  /** The container name (or forward host) the domain points at now; undefined when it has no route. */
  routeOf(domain: string): Promise<string | undefined>;
  /** Unique per run, so domains never meet another run's. */
  prefix: string;
}

/**
 * What the deployer relies on from a Router (src/deploy/ports.ts): a switch returns a snapshot
 * that puts the route back exactly, a snapshot of "no route" removes the route, and a removal
 * says whether there was a route of ours. Run against the fake router of the unit tests and the
 * NPM adapter on the fake NPM server.
 */
export function routerContract(name: string, setup: () => RouterUnderTest): void {
  describe(`Router contract: ${name}`, () => {
    let n = 0;
    const domainOf = (rt: RouterUnderTest) => `${rt.prefix}-${++n}.contract.test`;
    const target = (domain: string, containerName: string): RouteTarget => ({
      project: 'web',
      stage: 'dev',
      domain,
      containerName,
      port: 8080,
    });

    it('routes a new domain, and its snapshot of "no route" takes the route away again', async () => {
      const rt = setup();
      const domain = domainOf(rt);
      expect(await rt.routeOf(domain)).toBeUndefined();
      const snapshot = await rt.router.switchTo(target(domain, 'dw-web-dev-blue'));
      expect(snapshot.domain).toBe(domain);
      expect(await rt.routeOf(domain)).toBe('dw-web-dev-blue');
      await rt.router.restore(snapshot);
      expect(await rt.routeOf(domain)).toBeUndefined();
    });

    it('switches a routed domain to another container, and the snapshot puts the first one back', async () => {
      const rt = setup();
      const domain = domainOf(rt);
      await rt.router.switchTo(target(domain, 'dw-web-dev-blue'));
      const snapshot = await rt.router.switchTo(target(domain, 'dw-web-dev-green'));
      expect(await rt.routeOf(domain)).toBe('dw-web-dev-green');
      // The snapshot survives the store (JSON), as after a crash.
      await rt.router.restore(JSON.parse(JSON.stringify(snapshot)) as typeof snapshot);
      expect(await rt.routeOf(domain)).toBe('dw-web-dev-blue');
      expect(await rt.router.remove(domain)).toBe(true);
    });

    it('removes a route it made once, and says there was none after that', async () => {
      const rt = setup();
      const domain = domainOf(rt);
      expect(await rt.router.remove(domain)).toBe(false);
      await rt.router.switchTo(target(domain, 'dw-web-dev-blue'));
      expect(await rt.router.remove(domain)).toBe(true);
      expect(await rt.routeOf(domain)).toBeUndefined();
      expect(await rt.router.remove(domain)).toBe(false);
    });

    it('confirms a switched route with a line for the deploy log, and refuses a domain it never routed', async () => {
      const rt = setup();
      const domain = domainOf(rt);
      const routed = target(domain, 'dw-web-dev-blue');
      await rt.router.switchTo(routed);
      expect(await rt.router.confirm(routed)).toEqual(expect.any(String));
      await expect(rt.router.confirm(target(domainOf(rt), 'x'))).rejects.toThrow();
      await rt.router.remove(domain);
    });

    it('keeps routes of different domains apart', async () => {
      const rt = setup();
      const [a, b] = [domainOf(rt), domainOf(rt)];
      await rt.router.switchTo(target(a, 'dw-web-dev-a'));
      const snapshot = await rt.router.switchTo(target(b, 'dw-web-qa-b'));
      await rt.router.restore(snapshot);
      expect([await rt.routeOf(a), await rt.routeOf(b)]).toEqual(['dw-web-dev-a', undefined]);
      await rt.router.remove(a);
    });
  });
}
