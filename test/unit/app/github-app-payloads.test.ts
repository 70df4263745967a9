import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readCheckRunAction, readInstallationChange } from '../../../app/http/github-app-payloads.js';

interface Definition {
  name: string;
  examples: { action?: string }[];
}
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as Definition[];
const example = (event: string, action: string): unknown => {
  const found = definitions.find((d) => d.name === event)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event} ${action} example`);
  return found;
};

describe("the GitHub App's webhook payloads (GitHub's own examples)", () => {
  it('reads a check_run requested_action: the button, the check run and its app', () => {
    const click = readCheckRunAction(example('check_run', 'requested_action'));
    expect(click).toEqual({
      action: 'requested_action',
      checkRunId: 1494503112,
      appId: 25811,
      identifier: 'lgtm|26764',
      pullRequests: [26764],
      repository: 'electron/electron',
      repositoryUrl: 'https://github.com/electron/electron',
      sender: 'codebytere',
      senderIsBot: false,
    });
    // Its external_id is "": not a deploy of ours, so there is none to act on.
    expect(click?.deployId).toBeUndefined();
  });

  it('reads installation created and deleted with their repositories', () => {
    const created = readInstallationChange('installation', example('installation', 'created'));
    expect(created?.added.length).toBeGreaterThan(0);
    expect(created?.removed).toEqual([]);
    const deleted = readInstallationChange('installation', example('installation', 'deleted'));
    expect(deleted?.added).toEqual([]);
    expect(deleted?.account).toEqual(expect.any(String));
  });

  it('reads installation_repositories added and removed', () => {
    const added = readInstallationChange(
      'installation_repositories',
      example('installation_repositories', 'added'),
    );
    expect(added?.added.length).toBeGreaterThan(0);
    const removed = readInstallationChange(
      'installation_repositories',
      example('installation_repositories', 'removed'),
    );
    expect(removed?.removed.length).toBeGreaterThan(0);
  });
});
