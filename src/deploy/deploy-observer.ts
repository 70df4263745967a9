import type { DeployEvent, DeployRecord } from '../core/deploy-types.js';

/**
 * Something that follows every deploy: forge reporting, notifications, metrics. The deployer
 * calls each observer after every event of any deploy, with the record as it is after the event.
 * An observer must return at once and never throw: it starts its own async work (with its own
 * retries) so that a slow or failing outside system never slows or fails a deploy.
 */
export interface DeployObserver {
  onDeployEvent(event: DeployEvent, record: DeployRecord): void;
}
