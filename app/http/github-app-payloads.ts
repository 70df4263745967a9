import { z } from 'zod';

/**
 * The fields docker-watcher reads from a GitHub App's own webhooks (check_run,
 * installation, installation_repositories). Parsed only after the signature was verified.
 */

const checkRunSchema = z.object({
  action: z.string(),
  check_run: z.object({
    id: z.int().positive(),
    external_id: z.string().nullish(),
    pull_requests: z.array(z.object({ number: z.int().positive() })).default([]),
    app: z.object({ id: z.int() }).nullish(),
  }),
  requested_action: z.object({ identifier: z.string() }).nullish(),
  repository: z.object({ full_name: z.string().min(1), html_url: z.string().optional() }),
  sender: z.object({ login: z.string().min(1), type: z.string().optional() }),
});

/** A click on a check run's button. */
export interface CheckRunAction {
  action: string;
  checkRunId: number;
  /** The deploy id docker-watcher gave the check run. */
  deployId?: string;
  appId?: number;
  identifier?: string;
  pullRequests: number[];
  repository: string;
  repositoryUrl?: string;
  sender: string;
  senderIsBot: boolean;
}

/** Reads a check_run payload; undefined when it lacks the fields of one. */
export function readCheckRunAction(payload: unknown): CheckRunAction | undefined {
  const parsed = checkRunSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const { action, check_run: run, requested_action: requested, repository, sender } = parsed.data;
  return {
    action,
    checkRunId: run.id,
    ...(run.external_id ? { deployId: run.external_id } : {}),
    ...(run.app ? { appId: run.app.id } : {}),
    ...(requested ? { identifier: requested.identifier } : {}),
    pullRequests: run.pull_requests.map((pr) => pr.number),
    repository: repository.full_name,
    ...(repository.html_url ? { repositoryUrl: repository.html_url } : {}),
    sender: sender.login,
    senderIsBot: sender.type === 'Bot',
  };
}

const repositories = z.array(z.object({ full_name: z.string().min(1) })).nullish();
const installationSchema = z.object({
  action: z.string(),
  installation: z.object({
    id: z.int().positive(),
    app_id: z.int().optional(),
    account: z.object({ login: z.string().optional(), name: z.string().optional() }).nullish(),
  }),
  repositories,
  repositories_added: repositories,
  repositories_removed: repositories,
});

/** An installation or installation_repositories event, reduced to what is tracked. */
export interface InstallationChange {
  action: string;
  installationId: number;
  appId?: number;
  account: string;
  /** installation: the repositories it covers; installation_repositories: those added. */
  added: string[];
  removed: string[];
}

/** Reads an installation or installation_repositories payload. */
export function readInstallationChange(event: string, payload: unknown): InstallationChange | undefined {
  const parsed = installationSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const { action, installation } = parsed.data;
  const names = (list: { full_name: string }[] | null | undefined) => (list ?? []).map((r) => r.full_name);
  const covered = names(parsed.data.repositories);
  const account = installation.account?.login ?? installation.account?.name ?? String(installation.id);
  const gone = event === 'installation' && (action === 'deleted' || action === 'suspend');
  return {
    action,
    installationId: installation.id,
    ...(installation.app_id === undefined ? {} : { appId: installation.app_id }),
    account,
    added: event === 'installation' ? (gone ? [] : covered) : names(parsed.data.repositories_added),
    removed: event === 'installation' ? (gone ? covered : []) : names(parsed.data.repositories_removed),
  };
}
