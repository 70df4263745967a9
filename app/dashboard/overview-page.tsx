import type { Config } from '../../src/config/schema.js';
import type { Store } from '../../src/store/store.js';
import { paths } from './components.js';
import { Layout, type PageView } from './layout.js';
import { OrphansSection } from './orphans-section.js';
import { StageCard } from './stage-card.js';
import type { OrphanList } from './stage-ops-data.js';
import { projectStages } from './stage-view.js';

/** GET /: every project and stage, what runs there and how its last deploy went. */
export function OverviewPage(props: {
  config: Config;
  store: Store;
  view: PageView & { csrf: string };
  /** Stages no longer in the config that still have containers (undefined without stage ops). */
  orphans?: OrphanList | undefined;
}) {
  const { config, store, view } = props;
  const projects = Object.keys(config.projects);
  return (
    <Layout title="Overview" view={view}>
      <h1>Overview</h1>
      {projects.length === 0 && (
        <p class="card muted">No projects yet: add one under `projects` in the config file.</p>
      )}
      {projects.map((project) => (
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
      <OrphansSection orphans={props.orphans} csrf={view.csrf} />
    </Layout>
  );
}
