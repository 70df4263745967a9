import type { StageUsage } from './stage-ops-data.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `512 B`, `12.3 MiB`, `1.50 GiB`: binary units, as `docker stats` shows memory. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${UNITS[unit]}`;
}

/** A bar for a share of 0-100 %; a <meter>, since the CSP allows no inline style attributes. */
function Meter(props: { percent: number; label: string }) {
  const value = Math.max(0, Math.min(100, props.percent));
  return <meter min={0} max={100} low={70} high={90} optimum={0} value={value} aria-label={props.label} />;
}

/** The live container's resource use: CPU, memory against its limit, network and restarts. */
export function StageUsagePanel(props: { usage: StageUsage }) {
  const { usage } = props;
  if (usage.kind === 'unavailable') return <p class="muted">{usage.message}</p>;
  if (usage.kind === 'gone') {
    return (
      <p class="gone" id="usage-gone">
        <strong>gone</strong>: the live container <span class="mono">{usage.container}</span> no longer
        exists. Deploy again or roll back to bring the stage back.
      </p>
    );
  }
  const { stats } = usage;
  const memoryShare = stats.memoryLimitBytes > 0 ? (stats.memoryBytes / stats.memoryLimitBytes) * 100 : 0;
  return (
    <div class="usage" id="usage" data-state={stats.state}>
      <div class="gauge">
        <span class="k">State</span>
        <span class="v">{stats.state}</span>
      </div>
      <div class="gauge">
        <span class="k">CPU</span>
        <span class="v">{`${stats.cpuPercent.toFixed(1)} %`}</span>
        <Meter percent={stats.cpuPercent} label={`CPU ${stats.cpuPercent.toFixed(1)} % of one core`} />
      </div>
      <div class="gauge">
        <span class="k">Memory</span>
        <span class="v">
          <span>{formatBytes(stats.memoryBytes)}</span> / <span>{formatBytes(stats.memoryLimitBytes)}</span>
        </span>
        <Meter percent={memoryShare} label={`memory ${memoryShare.toFixed(0)} % of the limit`} />
      </div>
      <div class="gauge">
        <span class="k">Network</span>
        <span class="v">
          <span>↓ {formatBytes(stats.networkRxBytes)}</span> ·{' '}
          <span>↑ {formatBytes(stats.networkTxBytes)}</span>
        </span>
      </div>
      <div class="gauge">
        <span class="k">Restarts</span>
        <span class={`v${stats.restartCount > 0 ? ' warn' : ''}`}>{String(stats.restartCount)}</span>
      </div>
    </div>
  );
}
