import type { Config } from './schema.js';

/** An environment variable the config names in a `*_env` key. */
export interface SecretRef {
  /** The variable name, e.g. NPM_PASSWORD. */
  name: string;
  /** The key that names it, as segments, e.g. ['global', 'npm', 'password_env']. */
  path: string[];
}

/**
 * Every environment variable the config names, in file order. global.secret_env and
 * global.api_token_env are always included: they have defaults (DOCKER_WATCHER_SECRET,
 * DOCKER_WATCHER_TOKEN) and the serving app needs both to verify deploys and guard its API.
 */
export function secretRefs(config: Config): SecretRef[] {
  const refs: SecretRef[] = [
    { name: config.global.secret_env, path: ['global', 'secret_env'] },
    { name: config.global.api_token_env, path: ['global', 'api_token_env'] },
  ];
  const add = (name: string | undefined, path: string[]) => {
    if (name !== undefined) refs.push({ name, path });
  };
  add(config.global.npm?.password_env, ['global', 'npm', 'password_env']);
  add(config.global.npm?.certificate_dns?.credentials_env, [
    'global',
    'npm',
    'certificate_dns',
    'credentials_env',
  ]);
  add(config.global.notification_token_env, ['global', 'notification_token_env']);
  for (const [name, registry] of Object.entries(config.registries)) {
    add(registry.username_env, ['registries', name, 'username_env']);
    add(registry.token_env, ['registries', name, 'token_env']);
  }
  for (const [name, forge] of Object.entries(config.forges)) {
    add(forge.token_env, ['forges', name, 'token_env']);
    add(forge.webhook_secret_env, ['forges', name, 'webhook_secret_env']);
    add(forge.private_key_env, ['forges', name, 'private_key_env']);
  }
  for (const [name, project] of Object.entries(config.projects)) {
    add(project.secret_env, ['projects', name, 'secret_env']);
    add(project.notification_token_env, ['projects', name, 'notification_token_env']);
  }
  return refs;
}
