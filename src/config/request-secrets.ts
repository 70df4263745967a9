import type { LoadedConfig } from './loaded-config.js';
import type { Config } from './schema.js';

/** A secret's value (undefined when its variable is empty or unset) and the variable that holds it. */
export interface NamedSecret {
  value?: string;
  /** The environment variable, for messages ("use the value of DOCKER_WATCHER_TOKEN"). */
  env: string;
}

type ForgeKind = Config['forges'][string]['type'];

/** A configured forge whose webhooks can be verified (its webhook_secret_env is set). */
export interface WebhookForge {
  name: string;
  kind: ForgeKind;
  /** Web URL from the config, when given. */
  url?: string;
  secret: string;
}

/** The forges of one kind with a webhook secret, and the settings of those without one. */
export interface WebhookForges {
  forges: WebhookForge[];
  /** e.g. `forges.gitea.webhook_secret_env (GITEA_HOOK)`, for the refusal's message. */
  missing: string[];
}

/**
 * The secrets the HTTP app checks requests against, resolved once by the composition root from
 * the config and the environment: no route or middleware looks a variable up by name.
 */
export interface RequestSecrets {
  /** global.api_token_env: the API and dashboard token. */
  apiToken: NamedSecret;
  /**
   * The secret that signs requests for `project`: its own secret_env when it has one (then only
   * that secret works for it), else global.secret_env.
   */
  signing(project: string): NamedSecret;
  webhooks(kind: ForgeKind): WebhookForges;
}

function named(loaded: LoadedConfig, env: string): NamedSecret {
  const value = loaded.secrets[env];
  return value ? { value, env } : { env };
}

export function resolveRequestSecrets(loaded: LoadedConfig): RequestSecrets {
  const { global, projects, forges } = loaded.config;
  const fallback = named(loaded, global.secret_env);
  const own = new Map(
    Object.entries(projects).flatMap(([name, project]) =>
      project.secret_env === undefined ? [] : [[name, named(loaded, project.secret_env)] as const],
    ),
  );
  const webhooks = new Map<ForgeKind, WebhookForges>();
  for (const [name, forge] of Object.entries(forges)) {
    const entry = webhooks.get(forge.type) ?? { forges: [], missing: [] };
    webhooks.set(forge.type, entry);
    const secret =
      forge.webhook_secret_env === undefined ? undefined : loaded.secrets[forge.webhook_secret_env];
    if (secret)
      entry.forges.push({ name, kind: forge.type, secret, ...(forge.url ? { url: forge.url } : {}) });
    else
      entry.missing.push(
        `forges.${name}.webhook_secret_env${forge.webhook_secret_env ? ` (${forge.webhook_secret_env})` : ''}`,
      );
  }
  return {
    apiToken: named(loaded, global.api_token_env),
    signing: (project) => own.get(project) ?? fallback,
    webhooks: (kind) => webhooks.get(kind) ?? { forges: [], missing: [] },
  };
}
