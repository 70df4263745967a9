import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/core/errors.js';
import { OPEN_REGISTRY } from '../helpers/test-images.js';
import { requireDocker } from '../helpers/docker-env.js';
import { DRILL_APP_ENTRY } from './harness/build-app.js';
import { reportDrills, type DrillRow } from './harness/drill-report.js';
import { openDrillSite, SECRET, type DrillSite } from './harness/drill-site.js';
import { fuzzRequest, fuzzYaml, LEAK, seededRandom } from './harness/fuzz.js';
import { expectConverged } from './harness/invariants.js';

/**
 * Load and abuse against the real app: a flood of forged requests during a deploy, a burst of
 * valid requests for one stage, and a seeded fuzzer over the HTTP API and the config loader.
 */
const hasDocker = await requireDocker();
const run = promisify(execFile);
/** RSS bound during the flood: at most this much above the app's RSS before it, in kB. */
const RSS_GROWTH_BOUND_KB = 96 * 1024;
const FUZZ_SEED = Number(process.env.DW_FUZZ_SEED ?? 20_240_601);
const FUZZ_REQUESTS = 400;
const FUZZ_CONFIGS = 300;
const FUZZ_CONFIGS_CLI = 20;

describe.skipIf(!hasDocker)('load and abuse', () => {
  let site: DrillSite;
  const rows: DrillRow[] = [];
  const validBody = () =>
    JSON.stringify({
      project: 'web',
      stage: 'dev',
      image: `${OPEN_REGISTRY}/${site.repository}`,
      tag: 'v2',
      source: {
        forge: 'github',
        serverUrl: 'https://github.com',
        repository: 'acme/web',
        sha: 'a'.repeat(40),
      },
    });

  beforeAll(async () => {
    site = await openDrillSite('abuse', {
      v1: 'healthy',
      v2: 'healthy',
      slow: { behaviour: 'slow', healthDelaySeconds: 5 },
    });
    await site.start();
    const { body } = await site.requestDeploy('v1');
    expect((await site.waitFinal(body.id!, 60_000)).status).toBe('succeeded');
  });
  afterAll(async () => {
    reportDrills('Load and abuse', rows);
    await site?.close();
  });

  it('1,000 forged deploy requests in 10 s during a deploy: all refused, the deploy completes, RSS bounded', async () => {
    const app = site.app!;
    const baseline = app.rssKb();
    const { body } = await site.requestDeploy('slow');
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, app.rssKb())), 100);
    const statuses = new Map<number, number>();
    const started = Date.now();
    const raw = validBody();
    let next = 0;
    const worker = async () => {
      while (next < 1_000) {
        const i = next++;
        // Paced to spread 1,000 requests over ~10 s.
        const due = started + i * 10;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        const response = await fetch(`${app.url}/api/deploys`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-docker-watcher-timestamp': String(Math.floor(Date.now() / 1000)),
            'x-docker-watcher-delivery': `forged-${i}`,
            'x-docker-watcher-signature': `sha256=${(i % 2 ? 'f' : '0').repeat(64)}`,
          },
          body: raw,
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const floodMs = Date.now() - started;
    const record = await site.waitFinal(body.id!, 60_000);
    clearInterval(sampler);

    expect(Object.fromEntries(statuses)).toEqual({ 401: 1_000 });
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    await expectConverged(site, 'slow');
    expect(peak - baseline).toBeLessThan(RSS_GROWTH_BOUND_KB);
    rows.push({
      drill: '1,000 forged requests in 10 s during a deploy',
      happened: `all 1,000 answered 401 in ${floodMs} ms; the real deploy succeeded; RSS ${Math.round(baseline / 1024)} MB -> peak ${Math.round(peak / 1024)} MB (bound +${RSS_GROWTH_BOUND_KB / 1024} MB)`,
      recoveryMs: 'no outage',
      lost: 'nothing',
    });
  });

  it('50 valid requests for one stage at once: serialized, the last one wins, all 50 recorded', async () => {
    const tags = Array.from({ length: 50 }, (_, i) => (i % 2 ? 'v1' : 'v2'));
    const started = Date.now();
    const answers = await Promise.all(tags.map((tag) => site.requestDeploy(tag)));
    expect(answers.map((a) => a.status)).toEqual(tags.map(() => 202));
    const ids = answers.map((a) => a.body.id!);
    for (const id of ids) await site.waitFinal(id, 90_000);
    const tookMs = Date.now() - started;

    const history = await site.deploys(200);
    const ours = history.filter((d) => ids.includes(d.id));
    expect(ours).toHaveLength(50);
    const statuses = ours.reduce<Record<string, number>>(
      (n, d) => ({ ...n, [d.status]: (n[d.status] ?? 0) + 1 }),
      {},
    );
    expect(Object.keys(statuses).sort()).toEqual(['succeeded', 'superseded']);
    const live = (await site.live())!;
    const winner = ours.find((d) => d.id === live.deployId)!;
    expect(winner, 'the live version is one of the 50').toBeDefined();
    for (const other of ours) expect(other.createdAt <= winner.createdAt).toBe(true);
    await expectConverged(site, winner.intent.tag);
    rows.push({
      drill: '50 valid requests for one stage at once',
      happened: `all 202; ${JSON.stringify(statuses)}; the newest request is live; done in ${tookMs} ms`,
      recoveryMs: 'no outage',
      lost: 'nothing (every request is in the history)',
    });
  });

  it(`fuzzes the HTTP API (${FUZZ_REQUESTS} requests, seed ${FUZZ_SEED}): no 5xx, no stack trace, app alive`, async () => {
    const random = seededRandom(FUZZ_SEED);
    const app = site.app!;
    const kinds = new Map<string, number>();
    const problems: string[] = [];
    let refusedConnections = 0;
    for (let i = 0; i < FUZZ_REQUESTS; i++) {
      const fuzz = fuzzRequest(random, SECRET, validBody());
      kinds.set(fuzz.kind, (kinds.get(fuzz.kind) ?? 0) + 1);
      try {
        const response = await request(`${app.url}${fuzz.path}`, {
          method: fuzz.method as 'GET',
          headers: fuzz.headers,
          ...(fuzz.body === undefined || fuzz.method === 'GET' || fuzz.method === 'HEAD'
            ? {}
            : { body: fuzz.body }),
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const text = await response.body.text();
        const location = String(response.headers['location'] ?? '/');
        const wrong =
          (fuzz.kind === 'cross-route-signed' && response.statusCode !== 401) ||
          (fuzz.kind === 'prototype-names' && response.statusCode !== 404) ||
          (fuzz.kind === 'login-next' && (!location.startsWith('/') || location.startsWith('//')));
        if (response.statusCode >= 500 || LEAK.test(text) || wrong)
          problems.push(
            `#${i} ${fuzz.kind} ${fuzz.method} ${fuzz.path} -> ${response.statusCode} ${text.slice(0, 300)}`,
          );
      } catch (error) {
        // A server may close the socket on a request it will not read (huge header, big body).
        if (fuzz.kind === 'huge-header' || fuzz.kind === 'big-body') refusedConnections++;
        else problems.push(`#${i} ${fuzz.kind} ${fuzz.method} ${fuzz.path} -> ${String(error)}`);
      }
    }
    expect(problems.slice(0, 5), `${problems.length} problem(s)`).toEqual([]);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(app.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([]);
    rows.push({
      drill: `HTTP fuzzer, ${FUZZ_REQUESTS} requests (seed ${FUZZ_SEED})`,
      happened: `no 5xx, no stack trace or path in any body; ${refusedConnections} oversized requests had the socket closed; kinds ${JSON.stringify(Object.fromEntries(kinds))}`,
      recoveryMs: 'no outage',
      lost: 'nothing',
    });
  });

  it(`fuzzes the config loader (${FUZZ_CONFIGS} files) and check-config (${FUZZ_CONFIGS_CLI}): only ConfigErrors, exit 0/1`, async () => {
    const random = seededRandom(FUZZ_SEED + 1);
    const valid = readFileSync(site.configPath, 'utf8');
    const file = join(site.dir, 'fuzzed.yaml');
    const env = { DOCKER_WATCHER_SECRET: SECRET, DOCKER_WATCHER_TOKEN: 't', NPM_PASSWORD: 'p' };
    const problems: string[] = [];
    let valids = 0;
    for (let i = 0; i < FUZZ_CONFIGS; i++) {
      const text = fuzzYaml(random, valid);
      writeFileSync(file, text);
      try {
        loadConfig(file, env, { requireSecrets: true });
        valids++;
      } catch (error) {
        if (!(error instanceof ConfigError) || LEAK.test(error.message))
          problems.push(`#${i} ${String(error).slice(0, 300)} for ${JSON.stringify(text.slice(0, 200))}`);
      }
      if (i < FUZZ_CONFIGS_CLI) {
        const result = await run(process.execPath, [DRILL_APP_ENTRY, 'check-config', file], {
          env: { ...env, PATH: process.env.PATH },
        }).then(
          (r) => ({ code: 0, out: r.stdout + r.stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({
            code: e.code,
            out: e.stdout + e.stderr,
          }),
        );
        if (result.code > 1 || LEAK.test(result.out))
          problems.push(`check-config #${i} exit ${result.code}: ${result.out.slice(0, 300)}`);
      }
    }
    expect(problems.slice(0, 5), `${problems.length} problem(s)`).toEqual([]);
    rows.push({
      drill: `config fuzzer, ${FUZZ_CONFIGS} files (${FUZZ_CONFIGS_CLI} through check-config)`,
      happened: `${valids} still valid, the rest refused with a ConfigError; no crash, no stack trace`,
      recoveryMs: 'n/a',
      lost: 'nothing',
    });
  });
});
