import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { compareNetworkAge, networkEnsurer } from '../../../src/docker/ensure-network.js';

const net = (Created: string, Id: string) => ({ Created, Id });

describe('compareNetworkAge', () => {
  it('orders by time although the engine cuts trailing zeros of the nanoseconds', () => {
    // As strings ".80786794Z" sorts after ".807867941Z"; as times it is 0.807867940 s, earlier.
    const older = net('2026-11-23T20:03:27.80786794Z', 'b');
    const younger = net('2026-11-23T20:03:27.807867941Z', 'a');
    expect(compareNetworkAge(older, younger)).toBeLessThan(0);
    expect(compareNetworkAge(younger, older)).toBeGreaterThan(0);
    expect([younger, older].sort(compareNetworkAge)).toEqual([older, younger]);
  });

  it('handles whole seconds, offsets, and equal times (then the id decides)', () => {
    expect(
      compareNetworkAge(net('2026-11-23T20:03:27Z', 'x'), net('2026-11-23T20:03:27.5Z', 'a')),
    ).toBeLessThan(0);
    expect(
      compareNetworkAge(net('2026-11-23T21:03:27.1+01:00', 'x'), net('2026-11-23T20:03:27.2Z', 'a')),
    ).toBeLessThan(0);
    expect(
      compareNetworkAge(net('2026-11-23T20:03:27.1Z', 'a'), net('2026-11-23T20:03:27.100Z', 'b')),
    ).toBeLessThan(0);
    expect(
      compareNetworkAge(net('2026-11-23T20:03:27.1Z', 'b'), net('2026-11-23T20:03:27.100Z', 'a')),
    ).toBeGreaterThan(0);
  });
});

/**
 * An in-memory stand-in for the three engine calls ensureNetwork makes. `staleLists` makes the
 * next lists miss networks, as a list that ran before another process's create had landed.
 */
function memoryEngine() {
  const networks: { Id: string; Name: string; Created: string; Labels: Record<string, string> }[] = [];
  let clock = 0;
  const engine = {
    networks,
    /** The next create gets this timestamp (the engine stamps before it stores). */
    nextCreated: undefined as string | undefined,
    view(staleLists: number) {
      let stale = staleLists;
      return {
        listNetworks: ({ filters }: { filters: { name: string[] } }) =>
          Promise.resolve(
            stale-- > 0
              ? []
              : networks.filter((n) => n.Name.includes(filters.name[0] ?? '')).map((n) => ({ ...n })),
          ),
        createNetwork: ({ Name, Labels }: { Name: string; Labels: Record<string, string> }) => {
          const Id = `net${networks.length + 1}`;
          clock++;
          networks.push({ Id, Name, Labels, Created: engine.nextCreated ?? `2026-11-23T20:00:0${clock}Z` });
          engine.nextCreated = undefined;
          return Promise.resolve({ id: Id });
        },
        getNetwork: (id: string) => ({
          remove: () => {
            const at = networks.findIndex((n) => n.Id === id);
            if (at < 0)
              return Promise.reject(Object.assign(new Error('no such network'), { statusCode: 404 }));
            networks.splice(at, 1);
            return Promise.resolve();
          },
        }),
      } as unknown as Docker;
    },
  };
  return engine;
}

describe('networkEnsurer', () => {
  it('creates the network once and then finds it', async () => {
    const engine = memoryEngine();
    const ensure = networkEnsurer(engine.view(0), {});
    await Promise.all([ensure('shared'), ensure('shared'), ensure('shared')]);
    await ensure('shared');
    expect(engine.networks.map((n) => n.Name)).toEqual(['shared']);
  });

  it('converges to the oldest network when another process created one it had not seen', async () => {
    const engine = memoryEngine();
    // Process B creates "shared" (stamped 20:00:05) and sees only its own: it keeps it.
    engine.nextCreated = '2026-11-23T20:00:05Z';
    await networkEnsurer(engine.view(0), {})('shared');
    // Process A had listed before B's network landed, and its create was stamped earlier
    // (20:00:04.5). It now sees both; its own is the oldest, so B's duplicate must go.
    engine.nextCreated = '2026-11-23T20:00:04.5Z';
    await networkEnsurer(engine.view(1), {})('shared');
    expect(engine.networks).toHaveLength(1);
    expect(engine.networks[0]?.Created).toBe('2026-11-23T20:00:04.5Z');
  });

  it('never removes a network a person made, even a younger duplicate', async () => {
    const engine = memoryEngine();
    const labels = { 'docker-watcher.instance-id': 'dw1' };
    engine.nextCreated = '2026-11-23T20:00:01Z';
    await networkEnsurer(engine.view(0), labels)('shared');
    // Somebody ran `docker network create shared` by hand at the same time (no labels).
    engine.networks.push({ Id: 'hand', Name: 'shared', Created: '2026-11-23T20:00:02Z', Labels: {} });
    engine.nextCreated = '2026-11-23T20:00:03Z';
    await networkEnsurer(engine.view(1), labels)('shared');
    expect(engine.networks.map((n) => n.Id)).toEqual(['net1', 'hand']);
  });

  it('removes its own network when an older one exists', async () => {
    const engine = memoryEngine();
    engine.nextCreated = '2026-11-23T20:00:01Z';
    await networkEnsurer(engine.view(0), {})('shared');
    engine.nextCreated = '2026-11-23T20:00:02Z';
    await networkEnsurer(engine.view(1), {})('shared');
    expect(engine.networks.map((n) => n.Created)).toEqual(['2026-11-23T20:00:01Z']);
  });
});
