import type { EngineDeps } from './engine-deps.js';
import type { HealthProbe } from './health-check.js';
import type { HealthConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { DeployIntent, LiveVersion } from '../core/deploy-types.js';
import type { ContainerDetails } from '../docker/engine.js';
import type { RouteSnapshot } from '../proxy/router.js';
import type { DeployEventHub } from './deploy-events.js';
import type { DeployLifecycle } from './lifecycle.js';
import type { AfterPhaseHook } from './failpoint.js';
import type { Runtime } from './ports.js';
import type { DeployPlan, PullDecision } from './plan.js';
import type { Reach } from './probe-url.js';

/** What the health phase hands to the health checker (src/deploy/health-check.ts). */
export interface HealthWaitOptions {
  docker: Pick<Runtime, 'inspectContainer' | 'containerLogs'>;
  containerId: string;
  url: string;
  /** Every URL to probe (one per replica of a Swarm service); default `url` alone. */
  urlsOf?: (container: ContainerDetails) => string[];
  health: HealthConfig;
  clock: Clock;
  signal: AbortSignal;
  /** Told about each probe as it ends (the health phase streams them into the deploy log). */
  onProbe?: (probe: HealthProbe) => void;
}

/** Resolves when the container is healthy; rejects (preferably with DeployError('health')) otherwise. */
export type HealthWaiter = (options: HealthWaitOptions) => Promise<void>;

/** Everything a blue-green swap needs from outside. */
export interface SwapDeps extends EngineDeps {
  events: DeployEventHub;
  /** The one writer of a deploy's status. */
  lifecycle: DeployLifecycle;
  waitUntilHealthy: HealthWaiter;
  /** global.docker.reach with `auto` already resolved. */
  reach: Reach;
  /** Reads a project's env_file (absolute path) into variables. */
  readEnvFile(file: string): Record<string, string>;
  /** Test hook after each phase ended (the drills' failpoint). */
  afterPhase?: AfterPhaseHook;
}

/** What one swap has done so far: exactly what a failure must undo. */
export interface SwapState {
  deployId: string;
  intent: DeployIntent;
  /** Set before the first step runs; undefined only when planning itself failed. */
  plan: DeployPlan | undefined;
  /** The stage's live version when the swap started (what a failure falls back to). */
  previous: LiveVersion | undefined;
  pull: PullDecision;
  /** The reference run, repo@digest once the digest is known. */
  imageRef: string;
  digest: string | undefined;
  /** Rollback only: the kept, stopped container of the target version, restarted instead of a new one. */
  kept: ContainerDetails | undefined;
  /** The green container once created (or the kept one once chosen). */
  container: ContainerDetails | undefined;
  /** Set right after the proxy switch: how to put the route back. */
  snapshot: RouteSnapshot | undefined;
  persisted: boolean;
  /** The stop of the previous container began, so it may need starting again. */
  stoppingOld: boolean;
  /** recreate: when the stop of the previous container began (the site is down from then). */
  downSince: number | undefined;
}
