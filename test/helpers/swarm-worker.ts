import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { INSTANCE_LABEL, testDocker } from './docker-env.js';

const run = promisify(execFile);

/** A second Docker engine in a container of the test engine, joined to its Swarm as a worker. */
export interface SwarmWorker {
  /** The worker's Swarm node id. */
  nodeId: string;
  /** Its hostname, as `docker node ls` shows it. */
  hostname: string;
  /** Its Swarm address (Status.Addr): where its tasks publish their host-mode ports. */
  address: string;
  /** A client of the worker's own engine (its API is on a unix socket in a host directory). */
  engine: Docker;
  /** Copies an image of the test engine into the worker's engine, which reaches no registry of the test run. */
  loadImage(ref: string): Promise<void>;
  /** The node goes away at once, as when a machine dies: its engine is killed with its container. */
  kill(): Promise<void>;
  /** Leaves the Swarm (when still up) and removes the node, the container and the socket directory. */
  remove(): Promise<void>;
}

/** The dockerd and the tools it runs (containerd, runc, iptables) come from this machine's /usr. */
const HOST_BINARIES = ['/usr/sbin/dockerd', '/usr/bin/containerd', '/usr/sbin/runc'];

const NODE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * An image with an empty root (usr is bind-mounted from the host): no image can be pulled, so
 * the worker's engine is this machine's own dockerd, containerd and runc.
 */
async function nodeImage(instanceId: string): Promise<string> {
  const tag = `dw-swarm-node:${instanceId}`;
  const root = await mkdtemp(join(tmpdir(), 'dw-swarm-node-'));
  try {
    for (const dir of ['etc', 'tmp', 'run', 'var/lib', 'proc', 'sys', 'dev', 'root', 'usr'])
      await mkdir(join(root, dir), { recursive: true });
    for (const dir of ['bin', 'lib', 'lib64', 'sbin']) await symlink(`usr/${dir}`, join(root, dir));
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc', 'group'), 'root:x:0:\n');
    const tarball = `${root}.tar`;
    await run('tar', ['--owner=0', '--group=0', '-cf', tarball, '-C', root, '.']);
    try {
      await run('docker', ['import', '--change', `LABEL ${INSTANCE_LABEL}=${instanceId}`, tarball, tag]);
    } finally {
      await rm(tarball, { force: true });
    }
    return tag;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s${last === undefined ? '' : `: ${last}`}`);
}

/**
 * Starts a second Docker engine from this machine's own binaries in a container of the test
 * engine and joins it to the engine's Swarm as a worker; the container and the node carry the
 * instance label, so cleanupInstance removes both even when remove() never ran. The container
 * has every capability but SYS_RESOURCE (which a nested engine may lack, so --privileged
 * fails), no seccomp or AppArmor profile, every device, the host's cgroups, and storage driver
 * vfs (overlay on overlay does not mount). The Swarm must advertise an address the container
 * reaches (ensureTestSwarm advertises the default bridge's gateway).
 */
export async function startSwarmWorker(instanceId: string): Promise<SwarmWorker> {
  const docker = testDocker();
  const info = (await docker.info()) as {
    Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeAddr?: string };
  };
  const managerAddr = info.Swarm?.NodeAddr ?? '';
  if (info.Swarm?.LocalNodeState !== 'active' || info.Swarm.ControlAvailable !== true)
    throw new Error('startSwarmWorker needs the test engine to manage a Swarm: call ensureTestSwarm first');
  if (managerAddr === '' || managerAddr.startsWith('127.'))
    throw new Error(
      `the test Swarm advertises ${managerAddr || 'no address'}, which a worker in a container cannot reach: ` +
        'docker swarm leave --force, and let ensureTestSwarm init it on the bridge gateway',
    );
  for (const binary of HOST_BINARIES)
    await run('test', ['-x', binary]).catch(() => {
      throw new Error(`${binary} is missing: a Swarm worker runs this machine's own Docker engine`);
    });

  const image = await nodeImage(instanceId);
  const socketDir = await mkdtemp(join(tmpdir(), 'dw-swarm-worker-'));
  const name = `dw-worker-${instanceId}`;
  let containerId = '';
  const engine = new Docker({ socketPath: join(socketDir, 'docker.sock') });
  const worker: SwarmWorker = {
    nodeId: '',
    hostname: name,
    address: '',
    engine,
    async loadImage(ref) {
      const tarball = await docker.getImage(ref).get();
      const loaded = await engine.loadImage(tarball);
      await new Promise<void>((resolve, reject) => {
        loaded.on('end', resolve).on('error', reject).resume();
      });
      if (
        !(await engine
          .getImage(ref)
          .inspect()
          .catch(() => undefined))
      )
        throw new Error(`the worker did not load ${ref}`);
    },
    async kill() {
      await docker.getContainer(containerId).kill();
    },
    async remove() {
      if (worker.nodeId !== '') {
        await engine.swarmLeave({ force: true }).catch(() => undefined);
        await docker
          .getNode(worker.nodeId)
          .remove({ force: true })
          .catch((error: unknown) => {
            if ((error as { statusCode?: number }).statusCode !== 404) throw error;
          });
      }
      if (containerId !== '') await docker.getContainer(containerId).remove({ force: true, v: true });
      await rm(socketDir, { recursive: true, force: true });
    },
  };
  try {
    const container = await docker.createContainer({
      name,
      Hostname: name,
      Image: image,
      Env: [`PATH=${NODE_PATH}`],
      Cmd: ['/usr/sbin/dockerd', '--storage-driver', 'vfs', '-H', 'unix:///run/dw/docker.sock'],
      Labels: { [INSTANCE_LABEL]: instanceId },
      HostConfig: {
        CapAdd: ['ALL'],
        CapDrop: ['SYS_RESOURCE'],
        SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
        DeviceCgroupRules: ['a *:* rwm'],
        Binds: [
          '/usr:/usr:ro',
          // iptables is an alternatives link.
          '/etc/alternatives:/etc/alternatives:ro',
          '/sys/fs/cgroup:/sys/fs/cgroup',
          `${socketDir}:/run/dw`,
        ],
      },
    });
    containerId = container.id;
    await container.start();
    await until(`the worker's engine did not answer`, 30_000, async () => {
      const state = (await container.inspect()).State;
      if (!state.Running) {
        const logs = await container.logs({ stdout: true, stderr: true, tail: 5 });
        throw new Error(`its container exited with ${state.ExitCode}: ${logs.toString('utf8')}`);
      }
      return (await engine.ping()) ? true : undefined;
    });
    const { JoinTokens } = (await docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    await engine.swarmJoin({
      RemoteAddrs: [`${managerAddr}:2377`],
      JoinToken: JoinTokens.Worker,
      ListenAddr: '0.0.0.0:2377',
    });
    const workerInfo = (await engine.info()) as { Swarm?: { NodeID?: string } };
    worker.nodeId = workerInfo.Swarm?.NodeID ?? '';
    if (worker.nodeId === '') throw new Error('the worker joined but reports no Swarm node id');
    const node = docker.getNode(worker.nodeId);
    const ready = await until('the worker did not turn ready', 30_000, async () => {
      const seen = (await node.inspect()) as {
        Version: { Index: number };
        Spec: Record<string, unknown> & { Labels?: Record<string, string> };
        Status: { State: string; Addr: string };
      };
      return seen.Status.State === 'ready' ? seen : undefined;
    });
    worker.address = ready.Status.Addr;
    await node.update({
      version: ready.Version.Index,
      ...ready.Spec,
      Labels: { ...ready.Spec.Labels, [INSTANCE_LABEL]: instanceId },
    });
    return worker;
  } catch (error) {
    await worker.remove().catch(() => undefined);
    throw error;
  }
}
