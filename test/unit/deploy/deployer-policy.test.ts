import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/core/clock.js';
import { ConflictError, NotFoundError } from '../../../src/core/errors.js';
import { deployerFixture } from './deployer-fixture.js';

describe('deployer: queue', () => {
  it('runs one of 20 burst requests, supersedes the queued ones and deploys the newest', async () => {
    const fx = deployerFixture();
    const tags = Array.from({ length: 20 }, (_, i) => `b${i + 1}`);
    for (const tag of tags) fx.publish(tag);
    const records = tags.map((tag) => fx.deployer.submit(fx.intent(tag)));
    const finals = await Promise.all(records.map((r) => fx.deployer.waitFor(r.id)));

    expect(finals.map((r) => r.status)).toEqual([
      'succeeded',
      ...Array<string>(18).fill('superseded'),
      'succeeded',
    ]);
    const events = fx.store.listEvents(records[1]!.id);
    expect(events.at(-1)?.message).toContain(`superseded by deploy ${records[2]!.id}`);
    expect(fx.store.getLive('web', 'dev')?.tag).toBe('b20');
    expect(
      fx
        .containers()
        .map((c) => [c.name, c.state])
        .sort(),
    ).toEqual([
      ['dw-web-dev-b1', 'exited'],
      ['dw-web-dev-b20', 'running'],
    ]);
  });

  it('deploys different stages in parallel', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    let inHealth = 0;
    let maxInHealth = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fx.health = async () => {
      maxInHealth = Math.max(maxInHealth, ++inHealth);
      if (inHealth === 2) release();
      await gate;
      inHealth--;
    };
    const dev = fx.deployer.submit(fx.intent('v1'));
    const rel = fx.deployer.submit(fx.intent('v1', { stage: 'rel', trigger: 'manual' }));
    const results = await Promise.all([fx.deployer.waitFor(dev.id), fx.deployer.waitFor(rel.id)]);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(maxInHealth).toBe(2);
  });
});

describe('deployer: stage policy', () => {
  it('parks requests for stages without auto_deploy or with confirm, unless a person asked', () => {
    const fx = deployerFixture();
    expect(fx.deployer.submit(fx.intent('v1', { stage: 'rel' })).status).toBe('awaiting_approval');
    expect(fx.deployer.submit(fx.intent('v1', { stage: 'prod' })).status).toBe('awaiting_approval');
    expect(fx.deployer.submit(fx.intent('v1', { stage: 'prod', trigger: 'poll' })).status).toBe(
      'awaiting_approval',
    );
    for (const trigger of ['manual', 'comment', 'promote'] as const) {
      expect(fx.deployer.submit(fx.intent('v1', { stage: 'rel', trigger })).status).toBe('queued');
    }
  });

  it('deploys an approved request and refuses to approve twice', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    const parked = fx.deployer.submit(fx.intent('v1', { stage: 'prod' }));
    const approved = fx.deployer.approve(parked.id, 'alexei');
    expect(approved).toMatchObject({ status: 'queued', approvedBy: 'alexei' });
    expect((await fx.deployer.waitFor(parked.id)).status).toBe('succeeded');
    expect(() => fx.deployer.approve(parked.id, 'alexei')).toThrow(ConflictError);
    expect(() => fx.deployer.approve('nope', 'alexei')).toThrow(NotFoundError);
  });

  it('promotes only the digest live in the source stage', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    expect(() => fx.deployer.submit(fx.intent('v1', { stage: 'promo' }))).toThrow(
      /nothing is live there.*dev/,
    );
    const dev = await fx.deploy('v1');
    expect(() => fx.deployer.submit(fx.intent('v1', { stage: 'promo', digest: 'sha256:other' }))).toThrow(
      /only accepts the version live in web\/dev/,
    );
    const promoted = fx.deployer.submit(fx.intent('v1', { stage: 'promo', trigger: 'promote' }));
    expect(promoted.intent.digest).toBe(dev.digest);
    const done = await fx.deployer.waitFor(promoted.id);
    expect(done.status).toBe('succeeded');
    expect(done.imageRef).toBe(dev.imageRef);
  });
});

describe('deployer: shutdown', () => {
  it('cancels queued deploys, aborts the running one at the timeout and rolls it back', async () => {
    const fx = deployerFixture();
    fx.publish('v1');
    fx.publish('v2');
    fx.publish('v3');
    await fx.deploy('v1');
    let healthStarted!: () => void;
    const inHealth = new Promise<void>((resolve) => (healthStarted = resolve));
    fx.health = ({ signal }) =>
      new Promise((_, reject) => {
        healthStarted();
        signal.addEventListener('abort', () => reject(signal.reason as Error));
      });
    const running = fx.deployer.submit(fx.intent('v2'));
    const queued = fx.deployer.submit(fx.intent('v3'));
    await inHealth;
    await fx.deployer.shutdown(5000);

    expect(fx.store.getDeploy(queued.id)?.status).toBe('cancelled');
    const aborted = fx.store.getDeploy(running.id)!;
    expect(aborted.status).toBe('interrupted');
    expect(aborted.error?.phase).toBe('health');
    expect(fx.containers().map((c) => c.name)).toEqual(['dw-web-dev-v1']);
    expect(fx.store.getLive('web', 'dev')?.tag).toBe('v1');
    expect(() => fx.deployer.submit(fx.intent('v3'))).toThrow(/shutting down/);
  });

  it('lets a running deploy finish within the timeout', async () => {
    const patientClock: Clock = {
      now: () => new Date(),
      sleep: (_ms, signal) =>
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error))),
    };
    const fx = deployerFixture({ deps: { clock: patientClock } });
    fx.publish('v1');
    const record = fx.deployer.submit(fx.intent('v1'));
    await fx.deployer.shutdown(60_000);
    expect(fx.store.getDeploy(record.id)?.status).toBe('succeeded');
  });
});
