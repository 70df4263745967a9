import { describe, expect, it } from 'vitest';
import { OVERVIEW_PAGE_SIZE, OverviewPage, overviewPage } from '../../../app/dashboard/overview-page.js';
import { configSchema } from '../../../src/config/schema.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';

const PROJECTS = 45;
const name = (i: number) => `p-${String(i).padStart(2, '0')}`;
const config = configSchema.parse({
  projects: Object.fromEntries(
    Array.from({ length: PROJECTS }, (_, i) => [
      name(i),
      {
        image: `127.0.0.1:5000/acme/${name(i)}`,
        port: 8080,
        stages: { dev: { tag_pattern: 'dev-*' }, prod: { tag_pattern: 'v*' } },
      },
    ]),
  ),
});
const view = { nonce: 'n', csrf: 'c', now: new Date() };

async function render(page: number, store = openSqliteStore(':memory:')): Promise<string> {
  return String(await (<OverviewPage config={config} store={store} view={view} page={page} />));
}

describe('the overview of many projects', () => {
  it('shows the stage cards of one page of projects and lists the others by name', async () => {
    const html = await render(2);
    const carded = [...html.matchAll(/data-project="([^"]+)"/g)].map((match) => match[1]);
    expect(carded).toEqual(
      Array.from({ length: OVERVIEW_PAGE_SIZE }, (_, i) => name(OVERVIEW_PAGE_SIZE + i)),
    );
    expect(html).toContain(`Projects 21-40 of ${PROJECTS}`);
    expect(html).toContain('href="/?page=1"');
    expect(html).toContain('href="/?page=3"');
    // Every project not on this page is one link away.
    expect(html).toContain(`href="/projects/${name(0)}"`);
    expect(html).toContain(`href="/projects/${name(44)}"`);
  });

  it('lists deploys awaiting approval on every page, wherever their project is', async () => {
    const store = openSqliteStore(':memory:');
    const record = store.createDeploy({
      kind: 'deploy',
      id: 'waiting-1',
      intent: { project: name(44), stage: 'prod', image: 'x', tag: 'v2.0.0', trigger: 'ci' },
      status: 'awaiting_approval',
      createdAt: new Date().toISOString(),
    });
    const html = await render(1, store);
    expect(html).toContain(`href="/deploys/${record.id}"`);
    expect(html).toContain(`${name(44)}/prod v2.0.0`);
  });

  it('reads ?page= as a page number within range', () => {
    expect(overviewPage(undefined, PROJECTS)).toBe(1);
    expect(overviewPage('3', PROJECTS)).toBe(3);
    expect(overviewPage('9', PROJECTS)).toBe(3);
    expect(overviewPage('0', PROJECTS)).toBe(1);
    expect(overviewPage('x', PROJECTS)).toBe(1);
    expect(overviewPage('2', 5)).toBe(1);
  });
});
