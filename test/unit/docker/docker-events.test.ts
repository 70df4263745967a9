import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readEvents, toContainerEvent } from '../../../src/docker/docker-events.js';
import type { ContainerEvent } from '../../../src/docker/engine.js';

const labels = { 'docker-watcher.project': 'web', 'docker-watcher.stage': 'prod' };
const actor = (extra: Record<string, string> = {}) => ({
  ID: 'c1',
  Attributes: { ...labels, name: 'dw-web-prod-v1', image: 'app:v1', ...extra },
});

describe('toContainerEvent', () => {
  it('maps die with its exit code and keeps only labels', () => {
    expect(toContainerEvent({ Type: 'container', Action: 'die', Actor: actor({ exitCode: '137' }) })).toEqual(
      {
        containerId: 'c1',
        action: 'die',
        detail: '137',
        labels,
      },
    );
  });

  it('splits health_status into action and status', () => {
    expect(
      toContainerEvent({ Type: 'container', Action: 'health_status: unhealthy', Actor: actor() }),
    ).toMatchObject({
      action: 'health_status',
      detail: 'unhealthy',
    });
  });

  it('ignores exec events and other object types', () => {
    expect(
      toContainerEvent({ Type: 'container', Action: 'exec_start: wget', Actor: actor() }),
    ).toBeUndefined();
    expect(toContainerEvent({ Type: 'network', Action: 'destroy', Actor: actor() })).toBeUndefined();
  });
});

describe('readEvents', () => {
  it('parses newline-delimited JSON split across chunks and resolves at the end', async () => {
    const stream = new PassThrough();
    const seen: ContainerEvent[] = [];
    const reading = readEvents(
      stream,
      (event) => seen.push(event),
      () => true,
    );
    const line = JSON.stringify({ Type: 'container', Action: 'oom', Actor: actor() });
    stream.write(line.slice(0, 10));
    stream.write(`${line.slice(10)}\n{not json}\n`);
    stream.end(`${JSON.stringify({ Type: 'container', Action: 'start', Actor: actor() })}\n`);
    await reading;
    expect(seen.map((event) => event.action)).toEqual(['oom', 'start']);
  });

  it('rejects when the callback throws', async () => {
    const stream = new PassThrough();
    const reading = readEvents(
      stream,
      () => {
        throw new Error('listener broke');
      },
      () => true,
    );
    stream.write(`${JSON.stringify({ Type: 'container', Action: 'stop', Actor: actor() })}\n`);
    await expect(reading).rejects.toThrow('listener broke');
  });
});
