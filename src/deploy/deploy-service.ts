import type { DeployEvent, DeployIntent, DeployRecord } from '../core/deploy-types.js';

/**
 * The deploy engine as the rest of the app sees it (HTTP API, comment commands, poller,
 * dashboard). Requests are checked against the config by the caller (see resolveStage); the
 * service applies the stage's policy: auto_deploy / confirm -> awaiting_approval, otherwise
 * queued. One deploy runs at a time per stage; a newer request supersedes those queued behind
 * the running one. Different stages deploy in parallel.
 */
export interface DeployService {
  /** Records and queues (or parks for approval) a deploy; returns at once. */
  submit(intent: DeployIntent): DeployRecord;
  /** Approves a deploy awaiting approval and queues it. */
  approve(deployId: string, approvedBy: string): DeployRecord;
  /** Deploys the previous successful version of a stage through the same path. */
  rollback(project: string, stage: string, requestedBy?: string): DeployRecord;
  /**
   * Queues the removal of a stage (all its containers, its proxy route, its live version),
   * recorded in the history with trigger `teardown`. Works for stages no longer in the config.
   */
  teardown(project: string, stage: string, requestedBy?: string): DeployRecord;
  /** Live events of one deploy (after those already stored); returns an unsubscribe function. */
  subscribe(deployId: string, listener: (event: DeployEvent) => void): () => void;
  /** Resolves when the deploy reaches a final status. */
  waitFor(deployId: string, signal?: AbortSignal): Promise<DeployRecord>;
  /** Stops taking deploys, lets running ones finish or roll back within the timeout. */
  shutdown(timeoutMs: number): Promise<void>;
}
