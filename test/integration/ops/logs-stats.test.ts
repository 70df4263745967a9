import { beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../../src/docker/engine.js';
import { compareLogTimes } from '../../../src/docker/stream-logs.js';
import { collectStageStats, createStageOps } from '../../../src/ops/stage-ops.js';
import { requireDocker, testDocker, useTestInstance } from '../../helpers/docker-env.js';
import { buildTestImage, OPEN_REGISTRY } from '../../helpers/test-images.js';
import { fastGlobal, realDeployer, uniqueProject } from '../deploy/real-deployer.js';

const hasDocker = await requireDocker();
const LINES = 6;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe.skipIf(!hasDocker)('logs, stats and log limits of a deployed container (real engine)', () => {
  const instanceId = useTestInstance();
  const project = uniqueProject();
  const repository = `ops-it/${project}/chatty`;
  const image = `${OPEN_REGISTRY}/${repository}`;
  const fx = realDeployer({
    instanceId,
    config: {
      global: fastGlobal(instanceId),
      projects: {
        [project]: {
          image,
          port: 8080,
          healthcheck: '/health',
          resources: { memory: '64m' },
          stages: { dev: { tag_pattern: '*', auto_deploy: true } },
        },
      },
    },
  });
  const ops = createStageOps({ config: fx.loaded.config, docker: fx.docker, store: fx.store, instanceId });
  let containerId: string;

  async function readLogs(options: { tail?: number } = {}): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    await fx.docker.streamLogs(
      containerId,
      { ...options, timestamps: true, signal: AbortSignal.timeout(10_000) },
      (line) => lines.push(line),
    );
    return lines;
  }

  beforeAll(async () => {
    await buildTestImage({ repository, tag: 'v1', behaviour: 'chatty', chattyLines: LINES, instanceId });
    const record = await fx.deploy({ project, stage: 'dev', image, tag: 'v1', trigger: 'ci' });
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    containerId = record.containerId!;
  });

  it('gives stdout and stderr demultiplexed, each in order, with the engine time', async () => {
    const lines = await readLogs();
    const numbered = (stream: string) =>
      lines.filter((l) => l.stream === stream && /line \d+$/.test(l.text)).map((l) => l.text);
    const expected = (stream: string) => Array.from({ length: LINES }, (_, i) => `${stream} line ${i + 1}`);
    expect(numbered('stdout')).toEqual(expected('stdout'));
    expect(numbered('stderr')).toEqual(expected('stderr'));
    expect(lines.some((l) => l.stream === 'stdout' && l.text.startsWith('listening on 8080'))).toBe(true);
    for (const line of lines) expect(line.time).toMatch(RFC3339);
    const times = lines.map((l) => l.time);
    expect(times).toEqual([...times].sort(compareLogTimes));
  });

  it('gives only the last lines with tail, and the same through the stage ops', async () => {
    const all = await readLogs();
    // The engine's tail counts lines in its file order, which may differ from time order by the
    // last few microseconds between stdout and stderr: the lines must come from the end, in order.
    const tail = await readLogs({ tail: 2 });
    expect(tail).toHaveLength(2);
    for (const line of tail) expect(all.slice(-4)).toContainEqual(line);
    expect(tail.map((l) => l.time)).toEqual(tail.map((l) => l.time).sort(compareLogTimes));
    const viaOps: LogLine[] = [];
    const live = await ops.liveContainer(project, 'dev');
    await ops.streamLogs(live.id, { tail: 1, signal: AbortSignal.timeout(10_000) }, (l) => viaOps.push(l));
    expect(viaOps).toHaveLength(1);
    expect(all.slice(-4)).toContainEqual(viaOps[0]);
  });

  it('reports the configured memory limit and real use, and `gone` for a missing container', async () => {
    const stats = await ops.stats(project, 'dev');
    expect(stats).toMatchObject({ project, stage: 'dev', tag: 'v1', containerName: `dw-${project}-dev-v1` });
    expect(stats.stats).toMatchObject({
      state: 'running',
      memoryLimitBytes: 64 * 1024 * 1024,
      restartCount: 0,
    });
    if (stats.stats.state === 'gone') throw new Error('unreachable');
    expect(stats.stats.memoryBytes).toBeGreaterThan(0);
    expect(stats.stats.memoryBytes).toBeLessThan(64 * 1024 * 1024);
    expect(stats.stats.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(await fx.docker.containerStats(`dw-${instanceId}-never-created`)).toEqual({ state: 'gone' });
    const all = await collectStageStats(fx);
    expect(all.map((s) => s.containerName)).toEqual([`dw-${project}-dev-v1`]);
  });

  it('puts the global log limits (json-file, 10m x 3) on the container', async () => {
    const info = await testDocker().getContainer(containerId).inspect();
    expect(info.HostConfig.LogConfig).toEqual({
      Type: 'json-file',
      Config: { 'max-size': '10m', 'max-file': '3' },
    });
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
  });

  it('follows: shows lines as they are written, and ends when the container stops', async () => {
    const seen: LogLine[] = [];
    let connected!: () => void;
    const caughtUp = new Promise<void>((resolve) => (connected = resolve));
    const following = fx.docker.streamLogs(
      containerId,
      { follow: true, timestamps: true, signal: AbortSignal.timeout(20_000) },
      (line) => {
        seen.push(line);
        if (line.text.startsWith('listening on')) connected();
      },
    );
    await caughtUp;
    const before = seen.length;
    // The image's SIGTERM trap prints a line: written after the follow began.
    await fx.docker.stopContainer(containerId, { timeoutSeconds: 5 });
    await following;
    expect(seen.slice(before).map((l) => l.text)).toContain('got SIGTERM');
  });
});
