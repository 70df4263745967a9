import type { DeployRecord } from '../../src/core/deploy-types.js';
import { paths, When } from './components.js';
import { formatDuration, formatTime, phaseLabel, safeHref, sourceLinks, tookOrRan } from './format.js';

function Source(props: { deploy: DeployRecord }) {
  const source = props.deploy.intent.source;
  if (!source) return null;
  const links = sourceLinks(source);
  return (
    <>
      <dt>Source</dt>
      <dd>
        {source.repository}{' '}
        {links.commit ? (
          <a class="mono" href={links.commit}>
            {source.sha.slice(0, 10)}
          </a>
        ) : (
          <span class="mono">{source.sha.slice(0, 10)}</span>
        )}
        {source.ref && <span class="muted"> on {source.ref}</span>}
        {links.pr && (
          <>
            {' · '}
            <a href={links.pr}>PR #{source.pr}</a>
          </>
        )}
        {links.run && (
          <>
            {' · '}
            <a href={links.run}>CI run</a>
          </>
        )}
        {source.actor && <span class="muted"> · by {source.actor}</span>}
      </dd>
    </>
  );
}

/**
 * How a phase ended. The undo after a failure is never a green "ok": it is "undone" when it put
 * everything back, red "had problems" when it could not.
 */
function PhaseResult(props: { phase: string; ok: boolean | undefined }) {
  const { phase, ok } = props;
  if (ok === undefined) return <span class="badge st-running">running</span>;
  if (phase === 'rollback') {
    return ok ? <span class="badge">undone</span> : <span class="badge st-failed">had problems</span>;
  }
  return ok ? <span class="badge st-succeeded">ok</span> : <span class="badge st-failed">failed</span>;
}

/** The request, phase timings and error of a deploy. */
export function DeployDetails(props: { deploy: DeployRecord; now: Date }) {
  const { deploy, now } = props;
  const { intent } = deploy;
  const url = safeHref(deploy.url);
  return (
    <>
      <section class="card">
        <dl>
          <dt>Tag</dt>
          <dd class="mono">{intent.tag}</dd>
          <dt>Image</dt>
          <dd class="mono">{deploy.imageRef ?? intent.image}</dd>
          {(deploy.digest ?? intent.digest) && (
            <>
              <dt>Digest</dt>
              <dd class="mono">{deploy.digest ?? intent.digest}</dd>
            </>
          )}
          <dt>Trigger</dt>
          <dd>
            {intent.trigger}
            {intent.requestedBy && ` by ${intent.requestedBy}`}
            {deploy.approvedBy && `, approved by ${deploy.approvedBy}`}
          </dd>
          {intent.rollbackOf && (
            <>
              <dt>Restores</dt>
              <dd>
                <a class="mono" href={paths.deploy(intent.rollbackOf)}>
                  {intent.rollbackOf}
                </a>
              </dd>
            </>
          )}
          <Source deploy={deploy} />
          <dt>Requested</dt>
          <dd>
            {formatTime(deploy.createdAt)} (<When iso={deploy.createdAt} now={now} />)
          </dd>
          {deploy.finishedAt && (
            <>
              <dt>{deploy.status === 'interrupted' ? 'Ran' : 'Took'}</dt>
              <dd>{tookOrRan(deploy, deploy.startedAt ?? deploy.createdAt)}</dd>
            </>
          )}
          {url && (
            <>
              <dt>URL</dt>
              <dd>
                <a href={url}>{url}</a>
              </dd>
            </>
          )}
          {deploy.containerName && (
            <>
              <dt>Container</dt>
              <dd class="mono">{deploy.containerName}</dd>
            </>
          )}
        </dl>
      </section>
      {deploy.error && (
        <section class="card error" id="deploy-error">
          <h2>Failed in phase {deploy.error.phase}</h2>
          <p>{deploy.error.message}</p>
          {deploy.error.containerLogs && deploy.error.containerLogs.length > 0 && (
            <>
              <h3>Last lines of the container's log</h3>
              <pre>{deploy.error.containerLogs.join('\n')}</pre>
            </>
          )}
        </section>
      )}
      {deploy.phases.length > 0 && (
        <section class="card">
          <h2>Phases</h2>
          <div class="scroll">
            <table id="deploy-phases" class="compact">
              <thead>
                <tr>
                  <th>Phase</th>
                  <th>Started</th>
                  <th>Took</th>
                  <th>Result</th>
                </tr>
              </thead>
              <tbody>
                {deploy.phases.map((phase) => (
                  <tr data-phase={phase.phase}>
                    <td class="mono">{phaseLabel(phase.phase)}</td>
                    <td>{formatTime(phase.startedAt).slice(11)}</td>
                    <td>{formatDuration(phase.startedAt, phase.finishedAt)}</td>
                    <td>
                      <PhaseResult phase={phase.phase} ok={phase.ok} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}
