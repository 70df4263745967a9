import { findProject } from '../config/config-lookup.js';
import type { Config } from '../config/schema.js';
import { matchesTagPattern } from '../config/tag-pattern.js';
import { enabledPreviews, previewPrOf, previewStageName } from './preview-stage.js';

/**
 * Whether a CI request makes a preview, and of which PR: the project has previews on, the
 * request's source carries a PR number, it names no other stage, and its tag matches
 * previews.tag_pattern. Pure; the previews service then asks the forge (src/previews/previews.ts).
 */
export function previewOfRequest(
  config: Config,
  request: {
    project: string;
    stage?: string | undefined;
    tag: string;
    source?: { pr?: number | undefined } | undefined;
  },
): { pr: number; stage: string } | undefined {
  const previews = enabledPreviews(findProject(config, request.project));
  const pr = request.source?.pr;
  if (!previews || pr === undefined) return undefined;
  if (request.stage !== undefined && request.stage !== previewStageName(pr)) return undefined;
  if (!matchesTagPattern(previews.tag_pattern, request.tag)) return undefined;
  return { pr, stage: previewStageName(pr) };
}

/** A preview stage takes only its own PR's CI requests (and the rollbacks and teardowns of the engine). */
export function previewStageRefusal(
  stage: string,
  request: { trigger: string; source?: { pr?: number } },
): string | undefined {
  const pr = previewPrOf(stage);
  if (pr === undefined || request.trigger === 'rollback' || request.trigger === 'manual') return undefined;
  if (request.trigger === 'ci' && request.source?.pr === pr) return undefined;
  return `stage ${stage} is the preview of PR #${pr}: only that PR's CI deploys to it`;
}
