import type Docker from 'dockerode';
import { dockerCall, dockerError, dockerStatus } from './docker-errors.js';

/**
 * Orders networks by creation time, then id. The engine writes `Created` as RFC 3339 with
 * trailing zeros of the nanoseconds cut (".80786794Z"), so the strings do not sort as times.
 */
export function compareNetworkAge(
  a: { Created: string; Id: string },
  b: { Created: string; Id: string },
): number {
  const diff = createdNanos(a.Created) - createdNanos(b.Created);
  return diff < 0n ? -1 : diff > 0n ? 1 : a.Id.localeCompare(b.Id);
}

function createdNanos(created: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(created);
  const ms = Date.parse(match === null ? created : `${match[1] ?? ''}${match[3] ?? ''}`);
  const whole = Number.isNaN(ms) ? 0n : BigInt(ms) * 1_000_000n;
  const fraction = BigInt((match?.[2] ?? '').padEnd(9, '0').slice(0, 9));
  return match === null ? whole : whole + fraction;
}

/**
 * Returns ensureNetwork(name): creates a bridge network unless one of that name exists. The
 * engine's CheckDuplicate is not atomic, so calls are serialised per name in this process, and
 * when another process raced us and several networks share the name, every process that sees
 * the duplicates removes all but the oldest (the same one for everybody) among those carrying
 * its labels. The creator of the last network to appear always sees them all, so the name
 * converges to one network.
 */
export function networkEnsurer(
  docker: Docker,
  labels: Record<string, string>,
): (name: string, signal?: AbortSignal) => Promise<void> {
  const inFlight = new Map<string, Promise<void>>();
  const signalOption = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } =>
    signal === undefined ? {} : { abortSignal: signal };

  const byName = async (
    name: string,
    signal: AbortSignal | undefined,
  ): Promise<Docker.NetworkInspectInfo[]> => {
    const networks = await dockerCall('list networks named', name, signal, () =>
      docker.listNetworks({ filters: { name: [name] }, ...signalOption(signal) }),
    );
    // The engine's name filter matches substrings.
    return networks.filter((network) => network.Name === name).sort(compareNetworkAge);
  };

  const ensure = async (name: string, signal: AbortSignal | undefined): Promise<void> => {
    if ((await byName(name, signal)).length > 0) return;
    let createdId: string;
    try {
      const network = await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { ...labels },
        ...signalOption(signal),
      });
      createdId = network.id;
    } catch (error) {
      // Someone else created it between the check and the create: that is what we wanted.
      if (dockerStatus(error) === 409) return;
      throw dockerError('create network', name, error, signal);
    }
    const [oldest, ...younger] = await byName(name, signal);
    if (oldest === undefined) {
      throw dockerError('create network', name, new Error(`network ${createdId} vanished`), signal);
    }
    // Only networks made by an ensureNetwork like this one: a network a person made is never removed.
    const ours = (network: Docker.NetworkInspectInfo) =>
      Object.entries(labels).every(([key, value]) => network.Labels?.[key] === value);
    for (const duplicate of younger.filter(ours)) {
      try {
        await docker.getNetwork(duplicate.Id).remove(signalOption(signal));
      } catch (error) {
        // Gone already (another process removed it), or in use: leave it to its owner.
        const status = dockerStatus(error);
        if (status !== 404 && status !== 403 && status !== 409) {
          throw dockerError('remove duplicate network', name, error, signal);
        }
      }
    }
  };

  return (name, signal) => {
    const previous = inFlight.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => ensure(name, signal));
    inFlight.set(name, next);
    const forget = (): void => {
      if (inFlight.get(name) === next) inFlight.delete(name);
    };
    next.then(forget, forget);
    return next;
  };
}
