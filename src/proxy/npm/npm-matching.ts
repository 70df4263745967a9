import type { NpmCertificate, NpmProxyHost } from './npm-types.js';

/** Lower-cases a domain and drops a trailing dot, so `Example.COM.` and `example.com` compare equal. */
export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Whether a certificate name covers a domain: an exact match, or a wildcard `*.example.com`
 * that covers exactly one more label (a.example.com, but neither example.com nor a.b.example.com).
 */
export function certificateNameCovers(name: string, domain: string): boolean {
  const pattern = normalizeDomain(name);
  const host = normalizeDomain(domain);
  if (!pattern.startsWith('*.')) return pattern === host;
  const suffix = pattern.slice(1);
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.');
}

/**
 * The certificate to use for a domain: one naming it exactly wins over a wildcard; among equals
 * the one that expires last. Expired certificates are skipped.
 */
export function findCoveringCertificate(
  certificates: readonly NpmCertificate[],
  domain: string,
  now: Date,
): NpmCertificate | undefined {
  const host = normalizeDomain(domain);
  const rank = (cert: NpmCertificate) =>
    cert.domain_names.some((name) => normalizeDomain(name) === host) ? 2 : 1;
  return certificates
    .filter((cert) => cert.domain_names.some((name) => certificateNameCovers(name, host)))
    .filter((cert) => !(Date.parse(cert.expires_on) <= now.getTime()))
    .sort((a, b) => rank(b) - rank(a) || Date.parse(b.expires_on) - Date.parse(a.expires_on))[0];
}

/** The proxy host serving a domain, if any (NPM lets only one host claim a domain name). */
export function findHostForDomain(hosts: readonly NpmProxyHost[], domain: string): NpmProxyHost | undefined {
  const host = normalizeDomain(domain);
  return hosts.find((h) => h.domain_names.some((name) => normalizeDomain(name) === host));
}
