import { describe, expect, it } from 'vitest';
import {
  buildNotification,
  notificationDetails,
  notificationTitle,
} from '../../../src/notify/notification.js';
import { failedRecord, succeededRecord } from './notify-records.js';

const time = new Date('2025-01-01T00:00:31.500Z');

describe('buildNotification', () => {
  it('builds the documented version 1 body with every link the record has', () => {
    expect(
      buildNotification('succeeded', succeededRecord(), { publicUrl: 'https://dw.example.com/', time }),
    ).toEqual({
      version: 1,
      event: 'succeeded',
      deploy_id: '01JDEPLOY0001',
      project: 'web',
      stage: 'prod',
      tag: 'v1.2.0',
      image: 'git.example.com/acme/web',
      digest: `sha256:${'b'.repeat(64)}`,
      url: 'https://www.example.com',
      status: 'succeeded',
      trigger: 'ci',
      requested_by: 'alice',
      approved_by: 'api-token',
      links: {
        deploy: 'https://dw.example.com/deploys/01JDEPLOY0001',
        site: 'https://www.example.com',
        commit: 'https://github.com/acme/web/commit/abc123',
        run: 'https://github.com/acme/web/actions/runs/7',
      },
      time: '2025-01-01T00:00:31.500Z',
    });
  });

  it('leaves out what is unknown and carries the error without container logs', () => {
    const body = buildNotification('failed', failedRecord(), { publicUrl: undefined, time });
    expect(body).toEqual({
      version: 1,
      event: 'failed',
      deploy_id: '01JDEPLOY0001',
      project: 'web',
      stage: 'prod',
      tag: 'v1.2.0',
      image: 'git.example.com/acme/web',
      digest: `sha256:${'b'.repeat(64)}`,
      status: 'failed',
      trigger: 'manual',
      requested_by: 'bob',
      error: { phase: 'health', message: 'GET / answered 502 <Bad Gateway> & gave up' },
      links: {},
      time: '2025-01-01T00:00:31.500Z',
    });
    expect(JSON.stringify(body)).not.toContain('null');
  });

  it('names a rollback and its origin', () => {
    const record = succeededRecord();
    record.intent = { ...record.intent, trigger: 'rollback', rollbackOf: '01JOLDER' };
    const body = buildNotification('rolled_back', record, { time });
    expect(body.rollback_of).toBe('01JOLDER');
    expect(notificationTitle(body)).toBe('web/prod rolled back to v1.2.0');
  });
});

describe('notification text', () => {
  it('says what happened in one line per event', () => {
    const ok = buildNotification('succeeded', succeededRecord(), { time });
    const titles = (['started', 'succeeded', 'awaiting_approval'] as const).map((event) =>
      notificationTitle({ ...ok, event }),
    );
    expect(titles).toEqual([
      'Deploying v1.2.0 to web/prod',
      'v1.2.0 is live on web/prod',
      'v1.2.0 waits for approval to deploy to web/prod',
    ]);
    const failed = buildNotification('failed', failedRecord(), { time });
    expect(notificationTitle(failed)).toBe('Deploy of v1.2.0 to web/prod failed in health');
    expect(notificationTitle({ ...failed, status: 'interrupted' })).toBe(
      'Deploy of v1.2.0 to web/prod was interrupted in health',
    );
    expect(notificationDetails(failed)).toEqual([
      'GET / answered 502 <Bad Gateway> & gave up',
      'manual deploy by bob, git.example.com/acme/web:v1.2.0',
    ]);
  });
});
