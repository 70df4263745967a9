/** A tag the poller may deploy, with when its image was built when that is known. */
export interface TagCandidate {
  tag: string;
  digest: string;
  pushedAt?: Date | undefined;
}

/** Stages whose pattern starts with `v` are ordered by semantic version, the others by push time. */
export function ordersByVersion(tagPattern: string): boolean {
  return tagPattern.startsWith('v');
}

interface Version {
  core: [number, number, number];
  pre: string[];
}

function parseVersion(tag: string): Version | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$/.exec(tag);
  if (!match) return undefined;
  return {
    core: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)],
    pre: match[4] === undefined ? [] : match[4].split('.'),
  };
}

function comparePre(a: string[], b: string[]): number {
  // A release ranks above its pre-releases (1.2.0 > 1.2.0-rc.1).
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    if (xNum && yNum && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (xNum !== yNum) return xNum ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Semantic-version order of two tags (v1.10.0 > v1.9.3); tags that are no version rank lowest. */
export function compareVersionTags(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : naturalOrder(a, b);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! - y.core[i]!;
  return comparePre(x.pre, y.pre) || naturalOrder(a, b);
}

/** Push-time order; images without a time rank lowest, ties by tag (dev-10 > dev-9). */
export function comparePushed(a: TagCandidate, b: TagCandidate): number {
  const x = a.pushedAt?.getTime() ?? -Infinity;
  const y = b.pushedAt?.getTime() ?? -Infinity;
  return x === y ? naturalOrder(a.tag, b.tag) : x - y;
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The newest of `candidates` by the stage's rule, undefined when there are none. */
export function pickNewest(
  candidates: readonly TagCandidate[],
  byVersion: boolean,
): TagCandidate | undefined {
  const compare = byVersion
    ? (a: TagCandidate, b: TagCandidate) => compareVersionTags(a.tag, b.tag)
    : comparePushed;
  return candidates.reduce<TagCandidate | undefined>(
    (best, candidate) => (best === undefined || compare(candidate, best) > 0 ? candidate : best),
    undefined,
  );
}
