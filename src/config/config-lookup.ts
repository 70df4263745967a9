import { previewStageConfig } from '../previews/preview-stage.js';
import { NotFoundError } from '../core/errors.js';
import type { Config, ProjectConfig, StageConfig } from './schema.js';

function known(names: string[]): string {
  return names.length > 0 ? names.join(', ') : 'none';
}

/**
 * The project named `name`, looked up as an own property only (a name from a request such as
 * `constructor` or `__proto__` is unknown, never Object.prototype's). The one lookup every entry
 * point uses; a NotFoundError naming the configured projects otherwise.
 */
export function findProject(config: Config, name: string): ProjectConfig {
  const project = Object.hasOwn(config.projects, name) ? config.projects[name] : undefined;
  if (!project) {
    throw new NotFoundError(
      `unknown project "${name}": it is not in the app's config (projects: ${known(Object.keys(config.projects))})`,
    );
  }
  return project;
}

/**
 * The stage `stage` of `project` (own properties only; a preview stage `pr-<n>` when the project
 * has previews on, see src/previews/preview-stage.ts), or a NotFoundError naming the stages.
 */
export function findStage(
  config: Config,
  project: string,
  stage: string,
): { projectConfig: ProjectConfig; stageConfig: StageConfig } {
  const projectConfig = findProject(config, project);
  const stageConfig = Object.hasOwn(projectConfig.stages, stage)
    ? projectConfig.stages[stage]
    : previewStageConfig(config, project, stage);
  if (!stageConfig) {
    throw new NotFoundError(
      `unknown stage "${stage}" of project "${project}" (stages: ${known(Object.keys(projectConfig.stages))})`,
    );
  }
  return { projectConfig, stageConfig };
}

/** Whether `name` is a configured project (own property). */
export function hasProject(config: Config, name: string): boolean {
  return Object.hasOwn(config.projects, name);
}

/** Whether `project` is configured and has the stage `stage` (own properties, or a preview stage). */
export function hasStage(config: Config, project: string, stage: string): boolean {
  return (
    hasProject(config, project) &&
    (Object.hasOwn(config.projects[project]!.stages, stage) ||
      previewStageConfig(config, project, stage) !== undefined)
  );
}
