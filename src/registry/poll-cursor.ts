import type { Store } from '../store/store.js';

/** What the poller has seen of a project: tag -> digest, for tags that match a stage. */
export type PollCursor = Record<string, string>;

const key = (project: string) => `poller:cursor:${project}`;

/** The project's cursor, or undefined before its first poll. */
export function readCursor(store: Store, project: string): PollCursor | undefined {
  const raw = store.getState(key(project));
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch {
    return undefined;
  }
}

export function writeCursor(store: Store, project: string, cursor: PollCursor): void {
  store.setState(key(project), JSON.stringify(cursor));
}
