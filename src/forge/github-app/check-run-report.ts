import type { Config } from '../../config/schema.js';
import { NOTHING_LIVE, type DeployRecord } from '../../core/deploy-types.js';
import { commitStatusFor, deployPageUrl, reportLinks } from '../deploy-report.js';
import type { CheckRunInput } from '../forge.js';

/** The check run of a stage (beside the commit status docker-watcher/<stage>). */
export function checkRunName(stage: string): string {
  return `docker-watcher deploy: ${stage}`;
}

/** The identifiers of the buttons; GitHub allows 20 characters. */
export const BUTTON = { approve: 'approve', rollback: 'rollback', promotePrefix: 'promote:' } as const;
const MAX_IDENTIFIER = 20;
const LOG_TAIL_LINES = 30;

type Button = CheckRunInput['actions'][number];

/**
 * What a deploy's check run shows, a pure function of its record: queued (also while it awaits
 * approval), in_progress, then completed with success, failure or cancelled; a title and summary
 * that say what happened, the phases with their timings, the failure with the new container's
 * last log lines, a link to the deploy page, and the buttons that apply (on a deploy of a PR).
 */
export function checkRunFor(config: Config, record: DeployRecord, headSha: string): CheckRunInput {
  const links = reportLinks(config);
  const page = deployPageUrl(links.publicUrl, record.id);
  const what = `${record.intent.tag ?? NOTHING_LIVE} to ${record.stage}`;
  const title = commitStatusFor(record, links).description;
  const lines = [`**${record.project}**: ${title}.`];
  if (record.status === 'awaiting_approval')
    lines.push(
      '',
      'It runs once someone with write access (or an approver) clicks **Approve** or comments `/approve`.',
    );
  if (record.approvedBy) lines.push('', `Approved by @${record.approvedBy}.`);
  if (record.phases.length > 0) lines.push('', phaseTable(record));
  let text: string | undefined;
  if (record.error) {
    lines.push(
      '',
      `**Failed in ${record.error.phase}**: ${record.error.summary ?? firstLine(record.error.message)}`,
    );
    const logs = record.error.containerLogs ?? [];
    const tail = logs.slice(-LOG_TAIL_LINES);
    text = [
      '### Error',
      '```text',
      record.error.message,
      '```',
      ...(tail.length > 0
        ? [`### Last ${tail.length} log lines of the new container`, '```text', ...tail.map(fence), '```']
        : []),
    ].join('\n');
    if (tail.length > 0) lines.push('', "The container's last log lines are below.");
  }
  if (page) lines.push('', `[The deploy's page](${page})`);
  return {
    name: checkRunName(record.stage),
    headSha,
    externalId: record.id,
    ...stateOf(record),
    ...(page === undefined ? {} : { detailsUrl: page }),
    title: title.length > 0 ? title : what,
    summary: lines.join('\n'),
    ...(text === undefined ? {} : { text }),
    actions: record.intent.source?.pr === undefined ? [] : buttons(config, record),
  };
}

function stateOf(
  record: DeployRecord,
): Pick<CheckRunInput, 'status' | 'conclusion' | 'startedAt' | 'completedAt'> {
  const started = record.startedAt === undefined ? {} : { startedAt: record.startedAt };
  const completed = { completedAt: record.finishedAt ?? record.startedAt ?? record.createdAt };
  switch (record.status) {
    case 'awaiting_approval':
    case 'queued':
      return { status: 'queued' };
    case 'running':
      return { status: 'in_progress', ...started };
    case 'succeeded':
      return { status: 'completed', conclusion: 'success', ...started, ...completed };
    case 'failed':
    case 'interrupted':
      return { status: 'completed', conclusion: 'failure', ...started, ...completed };
    case 'superseded':
    case 'cancelled':
      return { status: 'completed', conclusion: 'cancelled', ...started, ...completed };
  }
}

function phaseTable(record: DeployRecord): string {
  const rows = record.phases.map((timing) => {
    const result =
      timing.finishedAt === undefined ? '⏳ running' : timing.ok === false ? '❌ failed' : '✅ done';
    const ms =
      timing.finishedAt === undefined
        ? undefined
        : Date.parse(timing.finishedAt) - Date.parse(timing.startedAt);
    return `| ${timing.phase} | ${result} | ${ms === undefined ? '' : seconds(ms)} |`;
  });
  return ['| phase | result | time |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Approve a waiting deploy; on a live one, promote to each stage that takes from it, and roll back. */
function buttons(config: Config, record: DeployRecord): Button[] {
  if (record.kind !== 'deploy') return [];
  if (record.status === 'awaiting_approval')
    return [
      {
        label: 'Approve',
        identifier: BUTTON.approve,
        description: `Run ${record.intent.tag} on ${record.stage}`.slice(0, 40),
      },
    ];
  if (record.status !== 'succeeded') return [];
  const stages = config.projects[record.project]?.stages ?? {};
  const promotions = Object.entries(stages)
    .filter(([, stage]) => stage.promote_from === record.stage)
    .map(([name]) => ({
      label: `Promote to ${name}`.slice(0, 20),
      identifier: `${BUTTON.promotePrefix}${name}`,
      description: `Deploy ${record.intent.tag} to ${name}`.slice(0, 40),
    }))
    .filter((button) => button.identifier.length <= MAX_IDENTIFIER)
    .slice(0, 2);
  const rollback = {
    label: 'Roll back',
    identifier: BUTTON.rollback,
    description: `${record.stage} back to its previous version`.slice(0, 40),
  };
  return [...promotions, rollback];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const firstLine = (text: string) => text.split('\n')[0] ?? text;
// A log line cannot close the code fence it is shown in.
const fence = (line: string) => line.replaceAll('```', '`\u200b``');
