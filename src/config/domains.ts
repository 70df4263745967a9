import { previewStageConfig } from '../previews/preview-stage.js';
import type { Config } from './schema.js';

/**
 * The domain a stage is served on: the stage's own `domain`, else its `subdomain` under
 * global.domain, else global.subdomain_pattern with {stage} and {project} replaced.
 */
export function stageDomain(config: Config, project: string, stage: string): string {
  const own = config.projects[project]?.stages;
  const stageConfig =
    own && Object.hasOwn(own, stage) ? own[stage] : previewStageConfig(config, project, stage);
  if (!stageConfig) throw new Error(`unknown stage ${project}/${stage}`);
  if (stageConfig.domain) return stageConfig.domain.toLowerCase();
  const sub =
    stageConfig.subdomain ??
    config.global.subdomain_pattern.replaceAll('{stage}', stage).replaceAll('{project}', project);
  return `${sub}.${config.global.domain}`.toLowerCase();
}

/** Every stage's domain, in config order. */
export function allStageDomains(config: Config): { project: string; stage: string; domain: string }[] {
  return Object.entries(config.projects).flatMap(([project, p]) =>
    Object.keys(p.stages).map((stage) => ({ project, stage, domain: stageDomain(config, project, stage) })),
  );
}
