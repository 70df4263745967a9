/** Proxy hosts and certificates of the fake NPM, stored and shaped as NPM's API returns them. */

export interface FakeProxyHost {
  id: number;
  created_on: string;
  modified_on: string;
  owner_user_id: number;
  domain_names: string[];
  forward_host: string;
  forward_port: number;
  access_list_id: number;
  certificate_id: number;
  ssl_forced: boolean;
  caching_enabled: boolean;
  block_exploits: boolean;
  advanced_config: string;
  meta: Record<string, unknown>;
  allow_websocket_upgrade: boolean;
  http2_support: boolean;
  forward_scheme: 'http' | 'https';
  enabled: boolean;
  locations: unknown[];
  hsts_enabled: boolean;
  hsts_subdomains: boolean;
  trust_forwarded_proto: boolean;
}

export interface FakeCertificate {
  id: number;
  created_on: string;
  modified_on: string;
  owner_user_id: number;
  provider: 'letsencrypt' | 'other';
  nice_name: string;
  domain_names: string[];
  expires_on: string;
  meta: Record<string, unknown>;
}

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, '.000Z');

/** A new host row with NPM's column defaults under the given fields. */
export function newHostRow(id: number, data: Partial<FakeProxyHost>): FakeProxyHost {
  const now = stamp();
  return cleanSslHsts({
    id,
    created_on: now,
    modified_on: now,
    owner_user_id: 1,
    domain_names: [],
    forward_host: '',
    forward_port: 80,
    access_list_id: 0,
    certificate_id: 0,
    ssl_forced: false,
    caching_enabled: false,
    block_exploits: false,
    advanced_config: '',
    meta: {},
    allow_websocket_upgrade: false,
    http2_support: false,
    forward_scheme: 'http',
    enabled: true,
    locations: [],
    hsts_enabled: false,
    hsts_subdomains: false,
    trust_forwarded_proto: false,
    ...data,
  });
}

/** A host row after a PUT: the body patches columns, `meta` included (replaced, not merged). */
export function patchHostRow(row: FakeProxyHost, data: Partial<FakeProxyHost>): FakeProxyHost {
  return cleanSslHsts({ ...row, ...data, id: row.id, modified_on: stamp() });
}

/** As NPM's internalHost.cleanSslHstsData: no certificate, no forced SSL, HTTP/2 or HSTS. */
function cleanSslHsts(row: FakeProxyHost): FakeProxyHost {
  const out = { ...row };
  if (!out.certificate_id) {
    out.ssl_forced = false;
    out.http2_support = false;
  }
  if (!out.ssl_forced) out.hsts_enabled = false;
  if (!out.hsts_enabled) out.hsts_subdomains = false;
  return out;
}

/** A certificate row as NPM lists it. */
export function newCertificateRow(
  id: number,
  data: {
    nice_name?: string;
    domain_names: string[];
    expires_on?: string;
    provider?: FakeCertificate['provider'];
    meta?: Record<string, unknown>;
  },
): FakeCertificate {
  const now = stamp();
  return {
    id,
    created_on: now,
    modified_on: now,
    owner_user_id: 1,
    provider: data.provider ?? 'other',
    nice_name: data.nice_name ?? data.domain_names[0] ?? 'certificate',
    domain_names: data.domain_names,
    expires_on: data.expires_on ?? new Date(Date.now() + 60 * 86_400_000).toISOString(),
    meta: data.meta ?? {},
  };
}

/** The owner object NPM expands into create and update answers. */
export function ownerObject(email: string) {
  const now = stamp();
  return {
    id: 1,
    created_on: now,
    modified_on: now,
    is_disabled: false,
    email,
    name: 'Administrator',
    nickname: 'Admin',
    avatar: '',
    roles: ['admin'],
  };
}
