import { describe, expect, it } from 'vitest';
import {
  certificateNameCovers,
  findCoveringCertificate,
  findHostForDomain,
  normalizeDomain,
} from '../../../src/proxy/npm/npm-matching.js';
import type { NpmCertificate, NpmProxyHost } from '../../../src/proxy/npm/npm-types.js';

const now = new Date('2026-01-01T00:00:00Z');
const cert = (
  id: number,
  domain_names: string[],
  expires_on = '2026-06-01T00:00:00.000Z',
): NpmCertificate => ({
  id,
  nice_name: domain_names[0]!,
  domain_names,
  expires_on,
});

describe('certificateNameCovers', () => {
  it.each([
    ['a.example.com', 'a.example.com', true],
    ['A.Example.com', 'a.example.COM.', true],
    ['a.example.com', 'b.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.otherexample.com', false],
    ['*.b.example.com', 'a.b.example.com', true],
  ])('%s covers %s: %s', (name, domain, expected) => {
    expect(certificateNameCovers(name, domain)).toBe(expected);
  });
});

describe('findCoveringCertificate', () => {
  it('prefers an exact name over a wildcard', () => {
    const certs = [cert(1, ['*.example.com']), cert(2, ['x.org', 'a.example.com'])];
    expect(findCoveringCertificate(certs, 'a.example.com', now)?.id).toBe(2);
    expect(findCoveringCertificate(certs, 'b.example.com', now)?.id).toBe(1);
  });

  it('skips expired certificates and prefers the one that lasts longest', () => {
    const certs = [
      cert(1, ['*.example.com'], '2025-12-01T00:00:00.000Z'),
      cert(2, ['*.example.com'], '2026-03-01T00:00:00.000Z'),
      cert(3, ['*.example.com'], '2026-09-01T00:00:00.000Z'),
    ];
    expect(findCoveringCertificate(certs, 'a.example.com', now)?.id).toBe(3);
    expect(findCoveringCertificate(certs.slice(0, 1), 'a.example.com', now)).toBeUndefined();
  });

  it('finds nothing for a deeper subdomain', () => {
    expect(findCoveringCertificate([cert(1, ['*.example.com'])], 'a.b.example.com', now)).toBeUndefined();
  });
});

describe('findHostForDomain', () => {
  const host = (id: number, domain_names: string[]) => ({ id, domain_names }) as NpmProxyHost;

  it('matches any of a host’s names, ignoring case', () => {
    const hosts = [host(1, ['one.example.com']), host(2, ['www.example.com', 'Two.Example.com'])];
    expect(findHostForDomain(hosts, 'two.example.com')?.id).toBe(2);
    expect(findHostForDomain(hosts, 'three.example.com')).toBeUndefined();
    expect(normalizeDomain(' A.B.C. ')).toBe('a.b.c');
  });
});
