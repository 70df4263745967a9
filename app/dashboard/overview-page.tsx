import type { Config } from '../../src/config/schema.js';
import type { Store } from '../../src/store/store.js';
import { paths, When } from './components.js';
import { Layout, type PageView } from './layout.js';
import { OrphansSection } from './orphans-section.js';
import { StageCard } from './stage-card.js';
import type { OrphanList } from './stage-ops-data.js';
import { projectStages } from './stage-view.js';

/**
 * Projects shown with their stage cards on one overview page. A host with 170 projects would
 * otherwise get one 500 KB page of 510 cards that takes seconds to build and nobody reads at
 * once; the others are listed by name, and deploys waiting for approval anywhere are listed first.
 */
export const OVERVIEW_PAGE_SIZE = 20;
/** Deploys awaiting approval listed at the top of every overview page. */
const AWAITING_SHOWN = 50;

/** The overview page number asked for in `?page=` (1 when absent or not a page). */
export function overviewPage(query: string | undefined, projects: number): number {
  const pages = Math.max(1, Math.ceil(projects / OVERVIEW_PAGE_SIZE));
  const page = Number(query);
  return Number.isInteger(page) && page >= 1 ? Math.min(page, pages) : 1;
}

/** GET /: every project and stage, what runs there and how its last deploy went. */
export function OverviewPage(props: {
  config: Config;
  store: Store;
  view: PageView & { csrf: string };
  /** 1-based page of OVERVIEW_PAGE_SIZE projects (see overviewPage). */
  page?: number;
  /** Stages no longer in the config that still have containers (undefined without stage ops). */
  orphans?: OrphanList | undefined;
}) {
  const { config, store, view } = props;
  const projects = Object.keys(config.projects);
  const page = props.page ?? 1;
  const pages = Math.max(1, Math.ceil(projects.length / OVERVIEW_PAGE_SIZE));
  const first = (page - 1) * OVERVIEW_PAGE_SIZE;
  const shown = projects.slice(first, first + OVERVIEW_PAGE_SIZE);
  const awaiting =
    pages > 1 ? store.listDeploys({ status: ['awaiting_approval'], limit: AWAITING_SHOWN }) : [];
  return (
    <Layout title="Overview" view={view}>
      <h1>Overview</h1>
      {projects.length === 0 && (
        <p class="card muted">No projects yet: add one under `projects` in the config file.</p>
      )}
      {awaiting.length > 0 && (
        <section class="card" data-awaiting>
          <h2>Awaiting approval</h2>
          <ul>
            {awaiting.map((record) => (
              <li>
                <a href={paths.deploy(record.id)} class="mono">
                  {record.intent.project}/{record.intent.stage} {record.intent.tag}
                </a>{' '}
                <When iso={record.createdAt} now={view.now} />
              </li>
            ))}
          </ul>
        </section>
      )}
      {shown.map((project) => (
        <section class="card" data-project={project}>
          <h2>
            <a href={paths.project(project)}>{project}</a>
          </h2>
          <p class="muted mono">{config.projects[project]!.image}</p>
          <div class="grid">
            {projectStages(config, store, project).map((stage) => (
              <StageCard stage={stage} view={view} />
            ))}
          </div>
        </section>
      ))}
      {pages > 1 && (
        <nav class="card" data-pages>
          <p>
            Projects {first + 1}-{first + shown.length} of {projects.length}
            {page > 1 && (
              <>
                {' · '}
                <a href={`/?page=${page - 1}`}>previous</a>
              </>
            )}
            {page < pages && (
              <>
                {' · '}
                <a href={`/?page=${page + 1}`}>next</a>
              </>
            )}
          </p>
          <p class="muted">
            {projects.map((project, index) =>
              index >= first && index < first + OVERVIEW_PAGE_SIZE ? (
                <>{project} </>
              ) : (
                <>
                  <a href={paths.project(project)}>{project}</a>{' '}
                </>
              ),
            )}
          </p>
        </nav>
      )}
      <OrphansSection orphans={props.orphans} csrf={view.csrf} />
    </Layout>
  );
}
