/** Manifest media types a registry may answer with, best first, as one Accept header. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

interface Descriptor {
  digest: string;
  platform?: { os?: string; architecture?: string };
}

/** What the poller needs from a manifest: an index's chosen child, or an image's config blob. */
export type ManifestStep =
  { kind: 'index'; child: string } | { kind: 'image'; config: string } | { kind: 'unknown' };

/**
 * Reads a manifest: for an index (multi-platform image) the first linux/amd64 manifest, else the
 * first; for an image manifest its config blob digest.
 */
export function manifestStep(manifest: unknown, contentType: string | undefined): ManifestStep {
  if (typeof manifest !== 'object' || manifest === null) return { kind: 'unknown' };
  const { mediaType, manifests, config } = manifest as {
    mediaType?: unknown;
    manifests?: unknown;
    config?: { digest?: unknown };
  };
  const type = typeof mediaType === 'string' ? mediaType : contentType?.split(';')[0]?.trim();
  if (Array.isArray(manifests) || (type !== undefined && INDEX_TYPES.has(type))) {
    const children = (Array.isArray(manifests) ? manifests : []).filter(isDescriptor);
    const amd64 = children.find((d) => d.platform?.os === 'linux' && d.platform.architecture === 'amd64');
    const child = (amd64 ?? children[0])?.digest;
    return child === undefined ? { kind: 'unknown' } : { kind: 'index', child };
  }
  return typeof config?.digest === 'string' ? { kind: 'image', config: config.digest } : { kind: 'unknown' };
}

/** The `created` time of an image config blob, undefined when absent or invalid. */
export function configCreated(config: unknown): Date | undefined {
  const created = (config as { created?: unknown } | null)?.created;
  if (typeof created !== 'string') return undefined;
  const date = new Date(created);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isDescriptor(value: unknown): value is Descriptor {
  return typeof (value as { digest?: unknown } | null)?.digest === 'string';
}

/** The URL of the `rel="next"` link of a `Link` header, resolved against `current`. */
export function nextLink(header: string | string[] | undefined, current: string): string | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  const target = value === undefined ? undefined : /<([^>]*)>\s*;[^,]*\brel="?next"?/i.exec(value)?.[1];
  return target === undefined ? undefined : new URL(target, current).href;
}
