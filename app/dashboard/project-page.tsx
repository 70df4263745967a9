import type { Config } from '../../src/config/schema.js';
import type { Store } from '../../src/store/store.js';
import { paths } from './components.js';
import { DeployForm } from './deploy-form.js';
import { HistoryTable } from './history-table.js';
import { Layout, type PageView } from './layout.js';
import { PreviewsSection } from './previews-section.js';
import { StageCard } from './stage-card.js';
import { projectStages } from './stage-view.js';

/** How many deploys per stage the project page shows by default and at most. */
export const HISTORY_DEFAULT = 20;
export const HISTORY_MAX = 200;

/** GET /projects/:project: deploy a version, each stage's state and its history. */
export function ProjectPage(props: {
  config: Config;
  store: Store;
  project: string;
  limit: number;
  view: PageView & { csrf: string };
}) {
  const { config, store, project, limit, view } = props;
  const projectConfig = config.projects[project]!;
  const stages = projectStages(config, store, project);
  return (
    <Layout title={project} view={view}>
      <h1>{project}</h1>
      <section class="card">
        <p class="muted mono">{projectConfig.image}</p>
        <h2>Deploy a version</h2>
        <DeployForm project={project} stages={stages} csrf={view.csrf} />
      </section>
      <PreviewsSection
        config={config}
        project={project}
        previews={store.listPreviews({ project })}
        scheme={config.global.npm ? (config.global.npm.certificate === 'none' ? 'http' : 'https') : undefined}
        now={view.now}
        csrf={view.csrf}
      />
      {stages.map((stage) => {
        const history = store.listDeploys({ project, stage: stage.stage, limit });
        return (
          <section class="card" id={`stage-${stage.stage}`} data-live-region="">
            <StageCard stage={stage} view={view} />
            <h3>History</h3>
            <HistoryTable deploys={history} now={view.now} />
            {history.length === limit && limit < HISTORY_MAX && (
              <p>
                <a
                  href={`${paths.project(project)}?limit=${HISTORY_MAX}#stage-${encodeURIComponent(stage.stage)}`}
                >
                  Show up to {HISTORY_MAX} deploys
                </a>
              </p>
            )}
          </section>
        );
      })}
    </Layout>
  );
}
