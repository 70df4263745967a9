import { describe, expect, it } from 'vitest';
import {
  pendingReason,
  toServiceDetails,
  type RawService,
  type RawTask,
} from '../../../../src/docker/swarm/service-details.js';
import { swarmNodes } from '../../../../src/docker/swarm/swarm-nodes.js';

const service = (replicas: number, extra: Partial<RawService> = {}): RawService => ({
  ID: 'svc1',
  CreatedAt: '2026-12-02T10:00:00.000000001Z',
  UpdatedAt: '2026-12-02T10:00:05.5Z',
  PreviousSpec: {},
  Spec: {
    Name: 'dw-web-dev-v2',
    Labels: { 'docker-watcher.project': 'web', 'docker-watcher.replicas': '2' },
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: { ContainerSpec: { Image: 'registry.test/web@sha256:abc' } },
  },
  ...extra,
});

const task = (slot: number, state: string, extra: Partial<RawTask> = {}, port?: number): RawTask => ({
  ID: `t${slot}${state}`,
  Slot: slot,
  CreatedAt: '2026-12-02T10:00:06Z',
  DesiredState: 'running',
  Status: {
    State: state,
    ...(port === undefined
      ? {}
      : { PortStatus: { Ports: [{ PublishMode: 'host', TargetPort: 8080, PublishedPort: port }] } }),
  },
  ...extra,
});

describe('toServiceDetails', () => {
  it('is running with every replica as an instance on its own port once all tasks run', () => {
    const details = toServiceDetails(
      service(2),
      [task(2, 'running', {}, 30002), task(1, 'running', {}, 30001)],
      8080,
    );
    expect(details).toMatchObject({
      id: 'svc1',
      name: 'dw-web-dev-v2',
      state: 'running',
      restartCount: 0,
      hostPort: 30001,
      instances: [
        { name: 'dw-web-dev-v2.1', hostPort: 30001 },
        { name: 'dw-web-dev-v2.2', hostPort: 30002 },
      ],
      startedAt: '2026-12-02T10:00:05.5Z',
    });
    expect(details.health).toBeUndefined();
  });

  it('keeps health starting while a task waits for its HEALTHCHECK', () => {
    const details = toServiceDetails(
      service(2),
      [task(1, 'running', {}, 30001), task(2, 'starting', {}, 30002)],
      8080,
    );
    expect(details.state).toBe('running');
    expect(details.health).toBe('starting');
    expect(details.instances).toEqual([
      { name: 'dw-web-dev-v2.1', hostPort: 30001 },
      { name: 'dw-web-dev-v2.2', hostPort: 30002 },
    ]);
  });

  it('is not running while a task runs without its published port yet (the Swarm reports it a moment later)', () => {
    // Slot 1 was replaced: its new task runs, its port not reported yet.
    const replaced = [task(1, 'running'), task(2, 'running', {}, 30002), task(3, 'starting')];
    const details = toServiceDetails(service(3), replaced, 8080);
    expect(details.state).toBe('created');
    expect(details.instances).toEqual([{ name: 'dw-web-dev-v2.2', hostPort: 30002 }]);
    const crashed = task(1, 'failed', {
      ID: 'old1',
      DesiredState: 'shutdown',
      Status: { State: 'failed', ContainerStatus: { ExitCode: 137 } },
    });
    expect(toServiceDetails(service(3), [crashed, ...replaced], 8080).state).toBe('restarting');
    const settled = toServiceDetails(
      service(3),
      [task(1, 'running', {}, 30011), task(2, 'running', {}, 30002), task(3, 'running', {}, 30003)],
      8080,
    );
    expect(settled).toMatchObject({ state: 'running', hostPort: 30011 });
  });

  it('is restarting with the exit code of the newest failure since the start, counting failures as restarts', () => {
    const failed = (at: string, code: number) =>
      task(1, 'failed', {
        CreatedAt: at,
        DesiredState: 'shutdown',
        Status: { State: 'failed', ContainerStatus: { ExitCode: code } },
      });
    const tasks = [
      failed('2026-12-02T09:00:00Z', 9), // before the service was started: not this run's
      failed('2026-12-02T10:00:07Z', 3),
      failed('2026-12-02T10:00:09Z', 4),
      task(1, 'preparing'),
      task(2, 'running', {}, 30002),
    ];
    expect(toServiceDetails(service(2), tasks)).toMatchObject({
      state: 'restarting',
      restartCount: 2,
      exitCode: 4,
    });
  });

  it('is created while never started and exited once scaled to 0, with no port either way', () => {
    const never = toServiceDetails(service(0, { PreviousSpec: undefined }), []);
    expect(never).toMatchObject({ state: 'created', restartCount: 0 });
    expect(never.hostPort).toBeUndefined();
    expect(never.startedAt).toBeUndefined();
    const stopped = toServiceDetails(service(0), []);
    expect(stopped).toMatchObject({ state: 'exited', exitCode: 0, finishedAt: '2026-12-02T10:00:05.5Z' });
    expect(stopped.instances).toBeUndefined();
  });

  it('is created while its tasks are still being scheduled', () => {
    expect(toServiceDetails(service(2), [task(1, 'pending'), task(2, 'assigned')]).state).toBe('created');
  });
});

describe('toServiceDetails on several nodes', () => {
  const nodes = (workerState = 'ready', workerLabels: Record<string, string> = {}) =>
    swarmNodes(
      [
        { ID: 'mgr', Description: { Hostname: 'manager' }, Status: { State: 'ready', Addr: '0.0.0.0' } },
        {
          ID: 'wkr',
          Description: { Hostname: 'worker-1' },
          Spec: { Labels: workerLabels },
          Status: { State: workerState, Addr: '10.0.0.7' },
        },
      ],
      'mgr',
    );

  it("puts a task on another node at that node's address and one on this node at none (this host)", () => {
    const details = toServiceDetails(
      service(2),
      [task(1, 'running', { NodeID: 'wkr' }, 30001), task(2, 'running', { NodeID: 'mgr' }, 30002)],
      8080,
      nodes(),
    );
    expect(details).toMatchObject({ state: 'running', hostPort: 30001, hostAddress: '10.0.0.7' });
    expect(details.instances).toEqual([
      { name: 'dw-web-dev-v2.1', hostPort: 30001, hostAddress: '10.0.0.7' },
      { name: 'dw-web-dev-v2.2', hostPort: 30002 },
    ]);
    expect(details.lost).toBeUndefined();
  });

  it("prefers the node's docker-watcher.address label to its Swarm address", () => {
    const details = toServiceDetails(
      service(1),
      [task(1, 'running', { NodeID: 'wkr' }, 30001)],
      8080,
      nodes('ready', { 'docker-watcher.address': '192.168.5.7' }),
    );
    expect(details.hostAddress).toBe('192.168.5.7');
  });

  it('says a replica was lost when its node went down and no replacement runs yet', () => {
    const tasks = [
      task(1, 'running', { NodeID: 'wkr', DesiredState: 'shutdown' }, 30001),
      task(1, 'pending', { ID: 'again', Status: { State: 'pending', Err: 'no suitable node' } }),
    ];
    const details = toServiceDetails(service(1), tasks, 8080, nodes('down'));
    expect(details.state).toBe('created');
    expect(details.lost).toBe('task dw-web-dev-v2.1 was lost: its node worker-1 (10.0.0.7) is down');
    // Once a replacement runs elsewhere the service serves again: nothing is lost.
    const replaced = [...tasks.slice(0, 1), task(1, 'running', { ID: 'again', NodeID: 'mgr' }, 30005)];
    expect(toServiceDetails(service(1), replaced, 8080, nodes('down')).lost).toBeUndefined();
  });

  it('names a node with no address to reach and the label that gives it one', () => {
    const unaddressed = swarmNodes(
      [
        { ID: 'mgr', Status: { State: 'ready' } },
        { ID: 'wkr', Description: { Hostname: 'worker-1' }, Status: { State: 'ready', Addr: '0.0.0.0' } },
      ],
      'mgr',
    );
    const details = toServiceDetails(
      service(1),
      [task(1, 'running', { NodeID: 'wkr' }, 30001)],
      8080,
      unaddressed,
    );
    expect(details.lost).toMatch(
      /task dw-web-dev-v2.1 runs on node worker-1, which has no address .*--label-add docker-watcher.address=<ip> worker-1/,
    );
  });
});

describe('pendingReason', () => {
  it("gives the scheduler's reason a task waits, such as no node satisfying the constraints", () => {
    const waiting = task(1, 'pending', {
      Status: { State: 'pending', Err: 'no suitable node (scheduling constraints not satisfied on 1 node)' },
    });
    expect(pendingReason([waiting])).toMatch(/no suitable node/);
    expect(pendingReason([task(1, 'running')])).toBeUndefined();
  });
});
