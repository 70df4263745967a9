import type { Config, StageConfig } from '../config/schema.js';
import type { DeployRecord, VersionDeployRecord } from '../core/deploy-types.js';
import { intakeDeploy } from '../deploy/intake.js';
import { promotionOffer, promotionRequest } from '../deploy/promotion.js';
import { sameLogin } from './command-access.js';
import {
  commandSource,
  deployLink,
  isFromPullRequest,
  type ActionContext,
  type CommandResult,
} from './command-context.js';
import { USAGE } from './parse-commands.js';

/** How far back /deploy looks for this PR's last deploy. */
const PR_HISTORY = 200;

const refused = (text: string): CommandResult => ({ ok: false, text });

function describeStage(name: string, stage: StageConfig): string {
  const how = stage.promote_from
    ? `only what is live in ${stage.promote_from} (/promote ${name})`
    : `tags ${stage.tag_pattern}`;
  const approval = !stage.auto_deploy || stage.confirm ? ', needs approval' : '';
  return `\`${name}\`: ${how}${approval}`;
}

/** A refusal for an unknown stage, listing the stages there are. */
function stageOrRefusal(ctx: ActionContext, stage: string): StageConfig | CommandResult {
  const stageConfig = Object.hasOwn(ctx.projectConfig.stages, stage)
    ? ctx.projectConfig.stages[stage]
    : undefined;
  if (stageConfig) return stageConfig;
  const names = Object.keys(ctx.projectConfig.stages).join(', ') || 'none';
  return refused(`project ${ctx.project} has no stage \`${stage}\`; its stages are: ${names}.`);
}

function busyRefusal(ctx: ActionContext, stage: string): CommandResult | undefined {
  const [busy] = ctx.deps.store.listDeploys({
    project: ctx.project,
    stage,
    status: ['queued', 'running'],
    limit: 1,
  });
  if (!busy) return undefined;
  return refused(
    `stage ${stage} is busy: deploy ${deployLink(ctx.deps.config, busy.id)} (${busy.intent.tag}) is ${busy.status}; send the command again when it has finished.`,
  );
}

/** allow_self_approval: false keeps a PR's author from approving (or skipping approval of) its deploys. */
function selfApprovalRefusal(ctx: ActionContext, what: string): CommandResult | undefined {
  if (ctx.projectConfig.allow_self_approval || !sameLogin(ctx.event.commenter, ctx.pullRequest.author))
    return undefined;
  return refused(
    `@${ctx.event.commenter} opened this PR and project ${ctx.project} does not allow self-approval, so ${what} must come from someone else.`,
  );
}

function accepted(ctx: ActionContext, record: DeployRecord, what: string): CommandResult {
  const state = record.status === 'awaiting_approval' ? 'awaits approval (/approve)' : record.status;
  return {
    ok: true,
    text: `${what}: deploy ${deployLink(ctx.deps.config, record.id)} ${state}.`,
    deployIds: [record.id],
  };
}

/** /deploy <stage> [tag]: the tag defaults to the one this PR deployed last. */
export function deployCommand(ctx: ActionContext, stage: string, tag: string | undefined): CommandResult {
  const stageConfig = stageOrRefusal(ctx, stage);
  if ('ok' in stageConfig) return stageConfig;
  if (!stageConfig.auto_deploy || stageConfig.confirm) {
    const self = selfApprovalRefusal(ctx, `a deploy to ${stage} (which needs approval)`);
    if (self) return self;
  }
  const busy = busyRefusal(ctx, stage);
  if (busy) return busy;
  let digest: string | undefined;
  if (tag === undefined) {
    const last = ctx.deps.store
      .listDeploys({ project: ctx.project, limit: PR_HISTORY })
      .find(
        (record): record is VersionDeployRecord =>
          record.kind === 'deploy' && isFromPullRequest(record, ctx.event),
      );
    if (!last)
      return refused(`this PR has no deploy of ${ctx.project} yet, so name the tag: ${USAGE.deploy}.`);
    tag = last.intent.tag;
    digest = last.digest ?? last.intent.digest;
  }
  const record = intakeDeploy(ctx.deps.config, ctx.deps.deployer, {
    project: ctx.project,
    stage,
    tag,
    ...(digest === undefined ? {} : { digest }),
    trigger: 'comment',
    source: commandSource(ctx.event, ctx.pullRequest),
    requestedBy: ctx.event.commenter,
  });
  return accepted(ctx, record, `deploying ${ctx.project} ${tag} to ${stage}`);
}

/** /promote <stage>: the version live in the stage's promote_from stage, pinned to its digest. */
export function promoteCommand(ctx: ActionContext, stage: string): CommandResult {
  const stageConfig = stageOrRefusal(ctx, stage);
  if ('ok' in stageConfig) return stageConfig;
  if (stageConfig.promote_from === undefined) {
    return refused(
      `stage ${stage} has no promote_from, so there is nothing to promote into it; use ${USAGE.deploy}.`,
    );
  }
  const self = selfApprovalRefusal(ctx, `a promotion to ${stage}`);
  if (self) return self;
  const offer = promotionOffer(ctx.deps.config, ctx.deps.store, ctx.project, stage);
  if ('refused' in offer) return refused(`${offer.refused}.`);
  const busy = busyRefusal(ctx, stage);
  if (busy) return busy;
  const record = intakeDeploy(ctx.deps.config, ctx.deps.deployer, {
    ...promotionRequest(ctx.deps.config, ctx.deps.store, ctx.project, stage, ctx.event.commenter),
    source: commandSource(ctx.event, ctx.pullRequest),
  });
  return accepted(ctx, record, `promoting ${ctx.project} ${offer.live.tag} from ${offer.from} to ${stage}`);
}

/** /rollback <stage>: the previous successful version, through the normal deploy path. */
export function rollbackCommand(ctx: ActionContext, stage: string): CommandResult {
  const stageConfig = stageOrRefusal(ctx, stage);
  if ('ok' in stageConfig) return stageConfig;
  const busy = busyRefusal(ctx, stage);
  if (busy) return busy;
  const record = ctx.deps.deployer.rollback(ctx.project, stage, ctx.event.commenter);
  return accepted(ctx, record, `rolling ${stage} back to ${record.intent.tag}`);
}

/** /approve: every deploy of this PR that awaits approval. */
export function approveCommand(ctx: ActionContext): CommandResult {
  const self = selfApprovalRefusal(ctx, 'approval');
  if (self) return self;
  const waiting = ctx.deps.store
    .listDeploys({ project: ctx.project, status: ['awaiting_approval'] })
    .filter((record) => isFromPullRequest(record, ctx.event));
  if (waiting.length === 0) return refused(`nothing of this PR awaits approval in ${ctx.project}.`);
  const approved = waiting.map((record) => ctx.deps.deployer.approve(record.id, ctx.event.commenter));
  const list = approved
    .map((record) => `${deployLink(ctx.deps.config, record.id)} (${record.intent.tag} to ${record.stage})`)
    .join(', ');
  return { ok: true, text: `approved ${list}.`, deployIds: approved.map((record) => record.id) };
}

/** /help: the commands and the stages of each project of the repository. */
export function helpText(config: Config, projects: readonly string[]): string {
  const stagesOf = (project: string) =>
    Object.entries(config.projects[project]?.stages ?? {}).map(
      ([name, stage]) => `  - ${describeStage(name, stage)}`,
    );
  const [only] = projects;
  const stages =
    projects.length === 1 && only !== undefined
      ? ['Stages:', ...stagesOf(only)]
      : [
          `A stage without \`project/\` means every project that has it. Stages:`,
          ...projects.flatMap((project) => [`- ${project}:`, ...stagesOf(project)]),
        ];
  return [
    `docker-watcher commands for ${projects.join(', ')} (write permission or approvers only):`,
    `- \`${USAGE.deploy}\`: deploy a tag (default: this PR's last deployed tag)`,
    `- \`${USAGE.promote}\`: deploy what is live in the stage's promote_from stage`,
    `- \`${USAGE.rollback}\`: go back to the stage's previous version`,
    `- \`${USAGE.approve}\`: approve this PR's deploys that await approval`,
    `- \`${USAGE.preview}\`: remove this PR's preview (the next push of the PR makes it again)`,
    `- \`${USAGE.help}\`: this list`,
    ...stages,
  ].join('\n');
}

/** `/preview down`: removes the PR's preview of the project, when it has one. */
export function previewDownCommand(ctx: ActionContext): CommandResult {
  const { deps, event, project, projectConfig } = ctx;
  if (!projectConfig.previews?.enabled || !deps.removePreview)
    return { ok: false, text: `${project} has no previews (previews.enabled is off).` };
  const preview = deps.store.getPreview(project, event.pr);
  if (!preview || preview.state === 'removed')
    return { ok: false, text: `PR #${event.pr} has no preview of ${project} to remove.` };
  deps.removePreview(project, event.pr, `/preview down by ${event.commenter}`);
  return { ok: true, text: `removing the preview ${preview.stage} of ${project} (${preview.domain}).` };
}
