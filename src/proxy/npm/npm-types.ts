/**
 * The parts of Nginx Proxy Manager's API objects docker-watcher reads and writes, as described
 * in NPM's OpenAPI spec (components/proxy-host-object.json, certificate-object.json).
 */

/** The forward and TLS settings of a proxy host: what a switch changes and a restore puts back. */
export interface NpmForwardSettings {
  forward_scheme: 'http' | 'https';
  forward_host: string;
  forward_port: number;
  certificate_id: number;
  ssl_forced: boolean;
  http2_support: boolean;
  allow_websocket_upgrade: boolean;
  block_exploits: boolean;
}

/** A proxy host as NPM returns it (fields docker-watcher does not use are left out). */
export interface NpmProxyHost extends NpmForwardSettings {
  id: number;
  domain_names: string[];
  enabled: boolean;
  meta: Record<string, unknown>;
  /** nginx directives NPM puts into the host's server block. */
  advanced_config?: string;
}

/** Body of POST /nginx/proxy-hosts and PUT /nginx/proxy-hosts/{id}: only keys the spec allows. */
export interface NpmProxyHostInput extends Partial<NpmForwardSettings> {
  domain_names?: string[];
  enabled?: boolean;
  meta?: Record<string, unknown>;
  advanced_config?: string;
}

/** A certificate as NPM lists it. */
export interface NpmCertificate {
  id: number;
  nice_name: string;
  domain_names: string[];
  expires_on: string;
}
