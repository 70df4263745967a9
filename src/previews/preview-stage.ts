import type { Config, PreviewsConfig, ProjectConfig, StageConfig } from '../config/schema.js';

/**
 * The naming of previews, in one place: a preview of PR 12 is the stage `pr-12` of its project,
 * served on the previews' subdomain_pattern under global.domain. Pure, no I/O.
 */

const PREVIEW_STAGE = /^pr-([1-9][0-9]{0,9})$/;

/** The stage name of PR `pr`'s preview. */
export function previewStageName(pr: number): string {
  return `pr-${pr}`;
}

/** The PR number of a preview stage name (`pr-12` -> 12), undefined for any other stage. */
export function previewPrOf(stage: string): number | undefined {
  const match = PREVIEW_STAGE.exec(stage);
  return match ? Number(match[1]) : undefined;
}

/** The project's previews settings when previews are on, else undefined. */
export function enabledPreviews(project: ProjectConfig | undefined): PreviewsConfig | undefined {
  return project?.previews?.enabled ? project.previews : undefined;
}

/** The domain of PR `pr`'s preview of `project`: the pattern's one label under global.domain. */
export function previewDomain(config: Config, project: string, pr: number): string {
  const pattern = config.projects[project]?.previews?.subdomain_pattern ?? 'pr-{pr}-{project}';
  const sub = pattern.replaceAll('{pr}', String(pr)).replaceAll('{project}', project);
  return `${sub}.${config.global.domain}`.toLowerCase();
}

/**
 * The stage config a preview stage behaves as: every tag the previews take, deployed at once
 * (the PR's CI asked for it), blue-green, on the preview's domain, with the env of `from` and
 * the previews' own env. Undefined when `stage` is a configured stage, not a preview name, or
 * the project has previews off.
 */
export function previewStageConfig(config: Config, project: string, stage: string): StageConfig | undefined {
  const projectConfig = Object.hasOwn(config.projects, project) ? config.projects[project] : undefined;
  const previews = enabledPreviews(projectConfig);
  const pr = previewPrOf(stage);
  if (!projectConfig || !previews || pr === undefined || Object.hasOwn(projectConfig.stages, stage)) {
    return undefined;
  }
  const from = previews.from === undefined ? undefined : projectConfig.stages[previews.from];
  return {
    tag_pattern: previews.tag_pattern,
    auto_deploy: true,
    confirm: false,
    domain: previewDomain(config, project, pr),
    env: { ...from?.env, ...previews.env },
    strategy: 'blue-green',
  };
}
