import { PHASES, type Phase } from '../core/deploy-types.js';
import type { Logger } from '../log/logger.js';

/** Called after each phase of a swap has been recorded as ended (a test hook: see failpointHook). */
export type AfterPhaseHook = (deployId: string, phase: Phase) => Promise<void>;

/**
 * The hook for `DOCKER_WATCHER_FAILPOINT=pause-after:<phase>`, used by the reliability drills:
 * after that phase it logs `failpoint reached` and never returns, so a drill can SIGKILL the
 * process at a known point. Other phases pass straight through.
 */
export function failpointHook(spec: string, logger: Logger): AfterPhaseHook {
  const match = /^pause-after:(.+)$/.exec(spec);
  const phase = match?.[1];
  if (phase === undefined || !(PHASES as readonly string[]).includes(phase)) {
    throw new Error(
      `DOCKER_WATCHER_FAILPOINT is ${JSON.stringify(spec)}; expected pause-after:<phase> with a phase of ` +
        `${PHASES.join(', ')}, or unset it`,
    );
  }
  logger.warn('failpoint armed: deploys will stop after a phase (for drills only)', { phase });
  return async (deployId, reached) => {
    if (reached !== phase) return;
    logger.warn('failpoint reached', { deployId, phase });
    await new Promise<never>(() => undefined);
  };
}
