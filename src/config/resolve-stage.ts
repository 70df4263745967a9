import { ConflictError } from '../core/errors.js';
import { findProject, findStage } from './config-lookup.js';
import type { Config, ProjectConfig } from './schema.js';
import { matchesTagPattern } from './tag-pattern.js';

function describeStages(project: ProjectConfig): string {
  const stages = Object.entries(project.stages).map(([name, stage]) => {
    const promotion = stage.promote_from ? `, only by promotion from ${stage.promote_from}` : '';
    return `${name} (${stage.tag_pattern}${promotion})`;
  });
  return stages.length > 0 ? stages.join(', ') : 'none';
}

/**
 * The stage a tag of `project` deploys to. With `requestedStage` that stage must exist and its
 * tag_pattern must match. Otherwise the first stage in config order whose pattern matches and
 * that has no promote_from wins: with rel and prod both on v*, a new v1.2 goes to rel, and prod
 * only takes versions by promotion (or when asked for by name).
 *
 * @throws NotFoundError when the project or the requested stage does not exist
 * @throws ConflictError (422) when the tag matches no stage that can take it
 */
export function resolveStage(config: Config, project: string, tag: string, requestedStage?: string): string {
  const projectConfig = findProject(config, project);

  if (requestedStage !== undefined) {
    const { stageConfig: stage } = findStage(config, project, requestedStage);
    if (!matchesTagPattern(stage.tag_pattern, tag)) {
      throw new ConflictError(
        `tag "${tag}" of project "${project}" does not match the tag_pattern "${stage.tag_pattern}" of stage "${requestedStage}" (stages: ${describeStages(projectConfig)})`,
      );
    }
    return requestedStage;
  }

  const matching = Object.entries(projectConfig.stages).filter(([, stage]) =>
    matchesTagPattern(stage.tag_pattern, tag),
  );
  const direct = matching.find(([, stage]) => stage.promote_from === undefined);
  if (direct) return direct[0];

  if (matching.length > 0) {
    const names = matching.map(([name]) => name).join(', ');
    throw new ConflictError(
      `tag "${tag}" of project "${project}" matches only stages that take versions by promotion (${names}); promote it or name the stage explicitly (stages: ${describeStages(projectConfig)})`,
    );
  }
  throw new ConflictError(
    `tag "${tag}" of project "${project}" matches no stage's tag_pattern (stages: ${describeStages(projectConfig)}); push a tag that matches one or add a stage`,
  );
}
