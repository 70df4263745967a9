import { FINAL_STATUSES, type DeployEvent, type DeployRecord } from '../../src/core/deploy-types.js';
import { ActionForm, paths, StatusBadge } from './components.js';
import { DeployDetails } from './deploy-details.js';
import { phaseLabel } from './format.js';
import { Layout, type PageView } from './layout.js';

/** GET /deploys/:id: what was asked, how it went phase by phase, and its log, live while it runs. */
export function DeployPage(props: {
  deploy: DeployRecord;
  events: DeployEvent[];
  view: PageView & { csrf: string };
}) {
  const { deploy, events, view } = props;
  const final = FINAL_STATUSES.includes(deploy.status);
  const lastSeq = events.at(-1)?.seq ?? 0;
  return (
    <Layout title={`${deploy.project}/${deploy.stage} ${deploy.intent.tag}`} view={view}>
      <h1>
        <span>
          <a href={paths.project(deploy.project)}>{deploy.project}</a> / {deploy.stage} ·{' '}
          <span class="mono">{deploy.intent.tag}</span>
        </span>
        <StatusBadge id="deploy-status" status={deploy.status} />
        <span id="current-phase" class="muted mono"></span>
      </h1>
      <p class="muted">
        deploy <span class="mono">{deploy.id}</span>
      </p>
      {/* Swapped in whole by the live log's script when a running deploy ends. */}
      <div id="deploy-details">
        {deploy.status === 'awaiting_approval' && (
          <section class="card notice st-awaiting_approval">
            <p>
              This deploy waits for approval before it replaces what runs on {deploy.project}/{deploy.stage}.
            </p>
            <ActionForm
              action={paths.approveAction(deploy.id)}
              csrf={view.csrf}
              confirm={`Approve deploying ${deploy.intent.tag} to ${deploy.project}/${deploy.stage}?`}
              label="Approve and deploy"
            />
          </section>
        )}
        <DeployDetails deploy={deploy} now={view.now} />
      </div>
      <section class="card">
        <h2>Log</h2>
        <ol
          class="log"
          id="live-log"
          data-events={`/api/deploys/${encodeURIComponent(deploy.id)}/events`}
          data-last-seq={String(lastSeq)}
          data-final={String(final)}
          aria-live="polite"
        >
          {events.length === 0 && (
            <li id="log-empty" class="muted">
              No events yet.
            </li>
          )}
          {events.map((event) => (
            <li class={`lvl-${event.level}`}>
              <span class="t">{event.at.slice(11, 19)}</span>
              <span class="m">
                {event.phase && <span class="p">{`[${phaseLabel(event.phase)}]`} </span>}
                {event.message}
              </span>
            </li>
          ))}
        </ol>
      </section>
    </Layout>
  );
}
