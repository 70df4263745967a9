import type { Config } from '../../src/config/schema.js';
import type { PreviewRecord } from '../../src/store/store.js';
import { ActionForm, paths } from './components.js';
import { timeAgo } from './format.js';

/** The PR's page on its forge, when the preview knows its repository. */
function pullUrl(config: Config, preview: PreviewRecord): string | undefined {
  if (!preview.repository) return undefined;
  const forge = preview.forge === undefined ? undefined : config.forges[preview.forge];
  const web = (forge?.url ?? 'https://github.com').replace(/\/+$/, '');
  const page = forge?.type === 'gitea' ? 'pulls' : 'pull';
  return `${web}/${preview.repository}/${page}/${preview.pr}`;
}

/** A project's live previews (README "Previews"): PR, URL, age, last deploy and a Remove button. */
export function PreviewsSection(props: {
  config: Config;
  project: string;
  previews: readonly PreviewRecord[];
  scheme: 'http' | 'https' | undefined;
  now: Date;
  csrf: string;
}) {
  const { config, project, previews, scheme, now, csrf } = props;
  if (!config.projects[project]?.previews?.enabled) return null;
  return (
    <section class="card" id="previews">
      <h2>Previews</h2>
      {previews.length === 0 ? (
        <p class="muted">No preview is live. A CI request of a pull request makes one.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>PR</th>
              <th>URL</th>
              <th>Age</th>
              <th>Last deploy</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {previews.map((preview) => {
              const pr = pullUrl(config, preview);
              return (
                <tr data-preview={preview.stage}>
                  <td>{pr ? <a href={pr}>#{preview.pr}</a> : `#${preview.pr}`}</td>
                  <td class="mono">
                    {scheme ? <a href={`${scheme}://${preview.domain}`}>{preview.domain}</a> : preview.domain}
                  </td>
                  <td>{timeAgo(preview.createdAt, now)}</td>
                  <td>
                    <a href={paths.stage(project, preview.stage)}>{timeAgo(preview.lastDeployAt, now)}</a>
                    {preview.state === 'removing' ? <span class="badge attention">removing</span> : null}
                  </td>
                  <td>
                    {preview.state === 'live' ? (
                      <ActionForm
                        action={paths.previewRemoveAction(project, preview.pr)}
                        csrf={csrf}
                        confirm={`Remove the preview of PR #${preview.pr}? Its containers and proxy host go.`}
                        label="Remove"
                        danger
                      />
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
