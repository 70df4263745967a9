import { MAX_SKEW_SECONDS } from '../../src/protocol/signature.js';
import type { Store } from '../../src/store/store.js';

/** How long a delivery id is remembered: twice the timestamp window, after which it cannot come back. */
export const DELIVERY_MEMORY_MS = 2 * MAX_SKEW_SECONDS * 1000;

/**
 * Forgets claims and state records that are no longer needed. Called where such records are
 * written, so what the app keeps of them is bounded by what arrived in their lifetime.
 */
export function forgetExpiredRecords(store: Pick<Store, 'pruneClaims' | 'pruneState'>, now: Date): void {
  store.pruneClaims(now);
  store.pruneState(now.toISOString());
}
