import type { Config } from '../../src/config/schema.js';
import type { Store } from '../../src/store/store.js';
import { ActionForm, paths } from './components.js';
import { HistoryTable } from './history-table.js';
import { Layout, type PageView } from './layout.js';
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
        <ActionForm
          action={paths.deployAction(project)}
          csrf={view.csrf}
          confirm={`Deploy ${project}:{tag} to {stage}?`}
          label="Deploy"
        >
          <label>
            Tag
            <input
              name="tag"
              required
              maxlength={128}
              pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}"
              placeholder="e.g. v1.4.2"
              autocomplete="off"
            />
          </label>
          <label>
            Stage
            <select name="stage">
              <option value="">by tag pattern</option>
              {stages.map((stage) => (
                <option value={stage.stage}>{`${stage.stage} (${stage.tagPattern})`}</option>
              ))}
            </select>
          </label>
        </ActionForm>
      </section>
      {stages.map((stage) => {
        const history = store.listDeploys({ project, stage: stage.stage, limit });
        return (
          <section class="card" id={`stage-${stage.stage}`}>
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
