import type { Config } from '../config/schema.js';
import { resolveStage } from '../config/resolve-stage.js';
import type { DeployIntent, DeployRecord } from '../core/deploy-types.js';
import { findProject } from '../config/config-lookup.js';
import { ConflictError } from '../core/errors.js';
import type { Deployer } from './deployer.js';
import { previewStageConfig } from '../previews/preview-stage.js';
import { previewStageRefusal } from '../previews/preview-request.js';

/** A request for a version, from any trigger: CI, the poller, a comment, a person. */
export type IntakeRequest = Omit<DeployIntent, 'stage' | 'image'> & { stage?: string; image?: string };

/**
 * The one way in for every trigger, so that the same rules apply whatever asked: the project
 * must exist, the image must be the project's own (a valid signature or a comment does not let
 * anyone run an arbitrary image), the tag picks the stage (a promotion names its stage), and the
 * deployer applies the stage's policy (auto_deploy, confirm, promote_from).
 */
export function intakeDeploy(config: Config, deployer: Deployer, request: IntakeRequest): DeployRecord {
  const project = findProject(config, request.project);
  if (request.image !== undefined && request.image !== project.image) {
    throw new ConflictError(
      `image "${request.image}" is not the image of project "${request.project}" ("${project.image}"); push and send that image`,
    );
  }
  // A promotion takes what is live in the source stage whatever its tag (dev-7 may go to a v*
  // prod): the deploy policy pins it to that digest, so the stage's tag_pattern has no say.
  const promoted =
    request.trigger === 'promote' &&
    request.stage !== undefined &&
    Object.hasOwn(project.stages, request.stage) &&
    project.stages[request.stage]!.promote_from !== undefined;
  const stage = promoted ? request.stage! : resolveStage(config, request.project, request.tag, request.stage);
  const refusal = previewStageConfig(config, request.project, stage)
    ? previewStageRefusal(stage, request)
    : undefined;
  if (refusal) throw new ConflictError(refusal);
  return deployer.submit({ ...request, stage, image: project.image });
}
