/** Credentials for a registry: a user name and a password or token. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** Where a registry is and how to sign in to it; the registry client takes one per call. */
export interface RegistryEndpoint {
  /** host[:port] such as 127.0.0.1:5000, or a URL such as https://ghcr.io. */
  registry: string;
  /** Plain HTTP (loopback hosts and http:// URLs use it anyway). */
  insecure?: boolean;
  credentials?: RegistryLogin;
  /** What a person should check when the registry refuses, e.g. "check registries.gitea.token_env". */
  credentialsHint?: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Base URL (`scheme://host[:port]`) the client talks to for `endpoint`. */
export function registryBaseUrl(endpoint: RegistryEndpoint): string {
  const explicit = /^(https?):\/\//i.exec(endpoint.registry)?.[1]?.toLowerCase();
  const host = registryHost(endpoint.registry);
  const hostname = host.replace(/:\d+$/, '');
  const plain = endpoint.insecure === true || explicit === 'http' || LOOPBACK.test(hostname);
  return `${plain ? 'http' : 'https'}://${host}`;
}

/** host[:port] of a registry given as host or URL. */
export function registryHost(registry: string): string {
  return registry
    .replace(/^https?:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}
