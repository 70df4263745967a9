import type { DeployRecord } from '../../src/core/deploy-types.js';
import { paths, StatusBadge, When } from './components.js';
import { shortDigest, tookOrRan } from './format.js';

/** Deploys of a stage, newest first, in a table that scrolls sideways on a phone. */
export function HistoryTable(props: { deploys: DeployRecord[]; now: Date }) {
  if (props.deploys.length === 0) return <p class="muted">No deploys yet.</p>;
  return (
    <>
      <p class="scroll-hint muted" aria-hidden="true">
        Swipe the table sideways for more columns →
      </p>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Tag</th>
              <th>Status</th>
              <th>Trigger</th>
              <th>Requested</th>
              <th>Took</th>
              <th>Digest</th>
            </tr>
          </thead>
          <tbody>
            {props.deploys.map((deploy) => (
              <tr>
                <td>
                  <a class="mono" href={paths.deploy(deploy.id)}>
                    {deploy.intent.tag}
                  </a>
                </td>
                <td>
                  <StatusBadge status={deploy.status} />
                  {deploy.error && <span class="muted"> in {deploy.error.phase}</span>}
                </td>
                <td>
                  {deploy.intent.trigger}
                  {deploy.intent.requestedBy && <span class="muted"> by {deploy.intent.requestedBy}</span>}
                </td>
                <td>
                  <When iso={deploy.createdAt} now={props.now} />
                </td>
                <td>{tookOrRan(deploy)}</td>
                <td class="mono muted">{shortDigest(deploy.digest ?? deploy.intent.digest)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
