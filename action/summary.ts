import * as core from '@actions/core';
import type { DeployRequest } from '../src/protocol/deploy-request.js';
import type { DeployRunResult } from '../src/protocol/run-deploy.js';

/** Writes the job summary: what was deployed where, and how it ended. */
export async function writeSummary(request: DeployRequest, result: DeployRunResult): Promise<void> {
  const icon = result.ok ? '✅' : '❌';
  const rows: [string, string][] = [
    ['Project', request.project],
    ['Stage', result.stage],
    ['Image', `${request.image}:${request.tag}`],
    ['Status', result.status],
    ['Deploy', result.deployId],
  ];
  if (result.url) rows.push(['URL', result.url]);
  if (result.digest) rows.push(['Digest', result.digest]);
  const summary = core.summary
    .addHeading(`${icon} docker-watcher deploy: ${request.project}/${result.stage}`, 3)
    .addTable([
      [
        { data: 'Field', header: true },
        { data: 'Value', header: true },
      ],
      ...rows,
    ])
    .addLink('Open in docker-watcher', result.dashboardUrl);
  if (result.failure) summary.addRaw(`\n\n**Failure:** ${result.failure}\n`, true);
  // The summary is a report, not the outcome: a runner that cannot take it must not turn a
  // deploy that succeeded into a failed step.
  try {
    await summary.write();
  } catch (error) {
    core.warning(
      `could not write the job summary: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
