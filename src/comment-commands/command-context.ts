import type { Config, ProjectConfig } from '../config/schema.js';
import type { DeployRecord, DeploySource } from '../core/deploy-types.js';
import type { Deployer } from '../deploy/deployer.js';
import type { ForgeClient, ForgeKind, PullRequestInfo, RepoRef } from '../forge/forge.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';

/** A PR comment that carries commands, as the webhook receiver read it from a verified payload. */
export interface CommentEvent {
  forge: ForgeKind;
  /** The projects whose `repository` the webhook came from, in config order (at least one). */
  projects: readonly string[];
  repo: RepoRef;
  /** Web URL of the forge (https://github.com), for deploy sources. */
  serverUrl: string;
  pr: number;
  commentId: number;
  commenter: string;
  /**
   * `check_run`: a button of a GitHub App's check run (commentId is the check run's id), run as
   * the same commands with the same checks; there is no comment to react to.
   */
  via?: 'comment' | 'check_run';
}

/** What running commands needs; the composition root passes the real ones. */
export interface CommandDeps {
  config: Config;
  deployer: Deployer;
  store: Store;
  client: ForgeClient;
  logger: Logger;
  signal?: AbortSignal;
  /**
   * Posts the reply durably (the app passes the forge report outbox, so a reply survives a
   * forge outage and a restart); without it the reply goes out at once through `client`.
   */
  postReply?: (event: CommentEvent, body: string) => void;
  /** Removes a PR's preview (`/preview down`); without it the command says previews are off. */
  removePreview?: (project: string, pr: number, reason: string) => void;
}

/** One command's outcome, a line of the reply. */
export interface CommandResult {
  ok: boolean;
  text: string;
  deployIds?: string[];
}

/** Everything an action on one project needs once the commenter is allowed and the PR is known. */
export interface ActionContext {
  deps: CommandDeps;
  event: CommentEvent;
  /** The project acted on, one of `event.projects`. */
  project: string;
  projectConfig: ProjectConfig;
  pullRequest: PullRequestInfo;
}

/** The deploy source recorded for a command: the PR's head commit, the commenter. */
export function commandSource(event: CommentEvent, pullRequest: PullRequestInfo): DeploySource {
  return {
    forge: event.forge,
    serverUrl: event.serverUrl,
    repository: `${event.repo.owner}/${event.repo.repo}`,
    sha: pullRequest.headSha,
    pr: event.pr,
    actor: event.commenter,
  };
}

/** Whether a deploy was requested for this PR of this repository. */
export function isFromPullRequest(record: DeployRecord, event: CommentEvent): boolean {
  const source = record.intent.source;
  return (
    source?.pr === event.pr &&
    source.repository.toLowerCase() === `${event.repo.owner}/${event.repo.repo}`.toLowerCase()
  );
}

/** `[id](<public_url>/deploys/<id>)`, or the bare id when the app has no public_url. */
export function deployLink(config: Config, id: string): string {
  const base = config.global.public_url?.replace(/\/+$/, '');
  return base ? `[${id}](${base}/deploys/${encodeURIComponent(id)})` : `\`${id}\``;
}
