import type { PreviewsConfig } from '../config/schema.js';
import type { PreviewRecord } from '../store/store.js';

/** The pure choices of the previews service: who goes at `max`, who outlived its TTL. */

/** The live previews of a project that must go before one more can start (idlest first). */
export function previewsToEvict(live: readonly PreviewRecord[], max: number): PreviewRecord[] {
  const byIdle = [...live].sort((a, b) => a.lastDeployAt.localeCompare(b.lastDeployAt) || a.pr - b.pr);
  return byIdle.slice(0, Math.max(0, byIdle.length - max + 1));
}

/** Whether a preview had no deploy for longer than ttl_hours (0: never expires). */
export function previewExpired(preview: PreviewRecord, previews: PreviewsConfig, now: Date): boolean {
  if (previews.ttl_hours <= 0) return false;
  return now.getTime() - Date.parse(preview.lastDeployAt) >= previews.ttl_hours * 3_600_000;
}
