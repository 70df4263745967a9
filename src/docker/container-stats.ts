import type { ContainerDetails, ContainerStats } from './engine.js';

/** The parts of the engine's GET /containers/{id}/stats answer that docker-watcher reads. */
export interface EngineStats {
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/**
 * CPU % as `docker stats` computes it: the container's share of the host's CPU time between the
 * two samples, times the number of CPUs. No earlier sample (or no time passed): 0.
 */
export function cpuPercent(stats: EngineStats): number {
  const now = stats.cpu_stats;
  const before = stats.precpu_stats;
  const cpuDelta = (now?.cpu_usage?.total_usage ?? 0) - (before?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (now?.system_cpu_usage ?? 0) - (before?.system_cpu_usage ?? 0);
  if (cpuDelta <= 0 || systemDelta <= 0 || !before?.system_cpu_usage) return 0;
  const cpus = now?.online_cpus ?? now?.cpu_usage?.percpu_usage?.length ?? 1;
  return Math.round((cpuDelta / systemDelta) * cpus * 100 * 100) / 100;
}

/**
 * Memory in use without the reclaimable page cache, as `docker stats` shows it: cgroup v1
 * reports it as total_inactive_file, cgroup v2 as inactive_file.
 */
export function memoryUsed(stats: EngineStats): number {
  const usage = stats.memory_stats?.usage ?? 0;
  const detail = stats.memory_stats?.stats ?? {};
  const cache = detail.total_inactive_file ?? detail.inactive_file ?? 0;
  return cache < usage ? usage - cache : usage;
}

/** ContainerStats from an engine sample and the container's inspect details. */
export function toContainerStats(stats: EngineStats, container: ContainerDetails): ContainerStats {
  const networks = Object.values(stats.networks ?? {});
  return {
    state: container.state,
    cpuPercent: cpuPercent(stats),
    memoryBytes: memoryUsed(stats),
    memoryLimitBytes: stats.memory_stats?.limit ?? 0,
    networkRxBytes: networks.reduce((sum, n) => sum + (n.rx_bytes ?? 0), 0),
    networkTxBytes: networks.reduce((sum, n) => sum + (n.tx_bytes ?? 0), 0),
    restartCount: container.restartCount,
  };
}
