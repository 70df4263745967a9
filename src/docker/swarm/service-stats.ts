import type { ContainerDetails, ContainerStats } from '../engine.js';

/**
 * A service's resource use: the sum over the samples of its tasks' containers (the ones on this
 * node), with the service's state and its failed tasks as restarts.
 */
export function sumStats(service: ContainerDetails, samples: readonly ContainerStats[]): ContainerStats {
  const total = {
    state: service.state,
    cpuPercent: 0,
    memoryBytes: 0,
    memoryLimitBytes: 0,
    networkRxBytes: 0,
    networkTxBytes: 0,
    restartCount: service.restartCount,
  };
  for (const sample of samples) {
    if (sample.state === 'gone') continue;
    total.cpuPercent += sample.cpuPercent;
    total.memoryBytes += sample.memoryBytes;
    total.memoryLimitBytes += sample.memoryLimitBytes;
    total.networkRxBytes += sample.networkRxBytes;
    total.networkTxBytes += sample.networkTxBytes;
  }
  return total;
}
