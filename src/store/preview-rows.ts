import type { SQLOutputValue } from 'node:sqlite';
import type { PreviewRecord } from './store.js';

type Row = Record<string, SQLOutputValue>;

const str = (row: Row, key: string) => {
  const value = row[key];
  return typeof value === 'string' ? value : undefined;
};

/** A `previews` row as a PreviewRecord (absent columns left out, not undefined). */
export function toPreviewRecord(row: Row): PreviewRecord {
  const repository = str(row, 'repository');
  const forge = str(row, 'forge');
  const removedAt = str(row, 'removed_at');
  const removedReason = str(row, 'removed_reason');
  return {
    project: str(row, 'project') ?? '',
    pr: Number(row['pr']),
    stage: str(row, 'stage') ?? '',
    ...(repository === undefined ? {} : { repository }),
    ...(forge === undefined ? {} : { forge }),
    domain: str(row, 'domain') ?? '',
    createdAt: str(row, 'created_at') ?? '',
    lastDeployAt: str(row, 'last_deploy_at') ?? '',
    state: (str(row, 'state') ?? 'live') as PreviewRecord['state'],
    ...(removedAt === undefined ? {} : { removedAt }),
    ...(removedReason === undefined ? {} : { removedReason }),
  };
}
