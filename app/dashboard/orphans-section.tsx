import { ActionForm, paths } from './components.js';
import type { OrphanList } from './stage-ops-data.js';

/**
 * Stages the config no longer lists that still have containers. Nothing here is removed on its
 * own: a config edit may be a mistake, so each goes only by its Teardown button.
 */
export function OrphansSection(props: { orphans: OrphanList | undefined; csrf: string }) {
  const { orphans, csrf } = props;
  if (!orphans) return null;
  if (orphans.kind === 'unavailable') {
    return (
      <section class="card" id="orphans">
        <h2>Orphaned stages</h2>
        <p class="muted">{orphans.message}</p>
      </section>
    );
  }
  if (orphans.orphans.length === 0) return null;
  return (
    <section class="card" id="orphans">
      <h2>Orphaned stages</h2>
      <p class="muted">
        No longer in the config, but their containers are still there. Put the stage back in the config, or
        tear it down.
      </p>
      <div class="grid">
        {orphans.orphans.map((orphan) => {
          const name = `${orphan.project}/${orphan.stage}`;
          return (
            <section class="stage" data-orphan={name}>
              <div class="head">
                <strong>{name}</strong>
                <span class="badge attention">not in config</span>
              </div>
              {orphan.containers.map((container) => (
                <div>
                  <span class="mono">{container.name}</span> <span class="muted">{container.state}</span>
                </div>
              ))}
              <ActionForm
                action={paths.orphanTeardownAction(orphan.project, orphan.stage)}
                csrf={csrf}
                confirm={`Tear down ${name}? Its ${orphan.containers.length} container(s) are stopped and removed.`}
                label="Tear down"
                danger
              />
            </section>
          );
        })}
      </div>
    </section>
  );
}
