import * as core from '@actions/core';
import { errorMessage } from '../src/core/errors.js';
import { runDeploy } from '../src/protocol/run-deploy.js';
import { readInputs } from './inputs.js';
import { writeSummary } from './summary.js';

/**
 * The action: inputs -> signed deploy request -> follow the phases -> outputs. It fails the
 * step (never process.exit) with the reason and the phase when the deploy does not succeed.
 */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const result = await runDeploy(inputs, (line) => core.info(line));
    core.setOutput('deploy-id', result.deployId);
    core.setOutput('status', result.status);
    core.setOutput('url', result.url ?? '');
    core.setOutput('digest', result.digest ?? '');
    if (inputs.summary) await writeSummary(inputs.request, result);
    if (!result.ok) core.setFailed(result.failure ?? `deploy ${result.deployId} ended as ${result.status}`);
  } catch (error) {
    core.setFailed(`docker-watcher: ${errorMessage(error)}`);
  }
}
