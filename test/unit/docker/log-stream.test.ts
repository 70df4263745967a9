import { describe, expect, it } from 'vitest';
import { cpuPercent, memoryUsed, toContainerStats } from '../../../src/docker/container-stats.js';
import type { ContainerDetails } from '../../../src/docker/engine.js';
import { LogDemultiplexer } from '../../../src/docker/log-stream.js';
import { compareLogTimes } from '../../../src/docker/stream-logs.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const T1 = '2024-05-01T10:00:00.000000001Z';
const T2 = '2024-05-01T10:00:00.500000000Z';

describe('LogDemultiplexer', () => {
  it('gives lines in order with stream and time, however the bytes are cut', () => {
    const bytes = Buffer.concat([
      frame(1, `${T1} out one\n`),
      frame(2, `${T1} err one\n`),
      frame(1, `${T2} out two\n${T2} out three\n`),
    ]);
    for (const cut of [1, 3, 7, 9, 20, bytes.length]) {
      const demux = new LogDemultiplexer();
      const lines = [];
      for (let at = 0; at < bytes.length; at += cut) lines.push(...demux.feed(bytes.subarray(at, at + cut)));
      lines.push(...demux.end());
      expect(lines, `cut every ${cut} bytes`).toEqual([
        { stream: 'stdout', time: T1, text: 'out one' },
        { stream: 'stderr', time: T1, text: 'err one' },
        { stream: 'stdout', time: T2, text: 'out two' },
        { stream: 'stdout', time: T2, text: 'out three' },
      ]);
    }
  });

  it('joins a line split over two frames of its stream', () => {
    const demux = new LogDemultiplexer();
    expect(demux.feed(Buffer.concat([frame(2, `${T1} half`), frame(1, `${T1} whole\n`)]))).toEqual([
      { stream: 'stdout', time: T1, text: 'whole' },
    ]);
    expect(demux.feed(frame(2, ' done\n'))).toEqual([{ stream: 'stderr', time: T1, text: 'half done' }]);
  });

  it('reads the raw log of a TTY container as stdout, and flushes a last line without newline', () => {
    const demux = new LogDemultiplexer();
    const lines = [...demux.feed(Buffer.from(`${T1} hello tty\r\n${T2} no newline`)), ...demux.end()];
    expect(lines).toEqual([
      { stream: 'stdout', time: T1, text: 'hello tty' },
      { stream: 'stdout', time: T2, text: 'no newline' },
    ]);
  });
});

describe('container stats', () => {
  const sample = {
    cpu_stats: { cpu_usage: { total_usage: 3_000_000 }, system_cpu_usage: 120_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 100_000_000 },
    memory_stats: { usage: 50_000_000, limit: 67_108_864, stats: { inactive_file: 10_000_000 } },
    networks: { eth0: { rx_bytes: 100, tx_bytes: 40 }, eth1: { rx_bytes: 5, tx_bytes: 1 } },
  };

  it('computes CPU % like docker stats: share of the host time, times the CPUs', () => {
    expect(cpuPercent(sample)).toBe(20);
    expect(cpuPercent({ ...sample, precpu_stats: {} })).toBe(0);
  });

  it('leaves the page cache out of memory use (cgroup v1 and v2)', () => {
    expect(memoryUsed(sample)).toBe(40_000_000);
    expect(memoryUsed({ memory_stats: { usage: 9, stats: { total_inactive_file: 4 } } })).toBe(5);
  });

  it('sums the networks and takes state and restarts from inspect', () => {
    const container = { state: 'running', restartCount: 2 } as ContainerDetails;
    expect(toContainerStats(sample, container)).toEqual({
      state: 'running',
      cpuPercent: 20,
      memoryBytes: 40_000_000,
      memoryLimitBytes: 67_108_864,
      networkRxBytes: 105,
      networkTxBytes: 41,
      restartCount: 2,
    });
  });
});

describe('compareLogTimes', () => {
  it('orders engine timestamps whose fractions have different lengths', () => {
    const times = [
      '2026-11-23T20:43:39.334132111Z',
      '2026-11-23T20:43:39.3341Z',
      '2026-11-23T20:43:39Z',
      '2026-11-23T20:43:39.33Z',
    ];
    expect([...times].sort(compareLogTimes)).toEqual([
      '2026-11-23T20:43:39Z',
      '2026-11-23T20:43:39.33Z',
      '2026-11-23T20:43:39.3341Z',
      '2026-11-23T20:43:39.334132111Z',
    ]);
  });
});
