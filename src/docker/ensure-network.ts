import type Docker from 'dockerode';
import { dockerCall, dockerError, dockerStatus } from './docker-errors.js';

/**
 * Returns ensureNetwork(name): creates a bridge network unless one of that name exists. The
 * engine's CheckDuplicate is not atomic, so calls are serialised per name in this process, and
 * when another process won a race and two networks share the name, the one created here is
 * removed again unless it is the oldest.
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
    return networks
      .filter((network) => network.Name === name)
      .sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
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
    const [oldest] = await byName(name, signal);
    if (oldest !== undefined && oldest.Id !== createdId) {
      await dockerCall('remove duplicate network', name, signal, () =>
        docker.getNetwork(createdId).remove(signalOption(signal)),
      );
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
