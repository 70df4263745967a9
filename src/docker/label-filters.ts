import { LABEL_INSTANCE, LABEL_PROJECT, LABEL_STAGE, type ListFilter } from './engine.js';

/** The engine's `label` filters for a list of managed containers or services (never anything else). */
export function labelFilters(filter: ListFilter): string[] {
  const labels = [LABEL_PROJECT];
  if (filter.project !== undefined) labels.push(`${LABEL_PROJECT}=${filter.project}`);
  if (filter.stage !== undefined) labels.push(`${LABEL_STAGE}=${filter.stage}`);
  if (filter.instanceId !== undefined) labels.push(`${LABEL_INSTANCE}=${filter.instanceId}`);
  return labels;
}
