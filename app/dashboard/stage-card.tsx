import { ActionForm, paths, StatusBadge, When } from './components.js';
import { safeHref, shortDigest } from './format.js';
import type { PageView } from './layout.js';
import type { StageView } from './stage-view.js';

/** One stage at a glance: live version, link, last deploy, waiting approvals, roll back. */
export function StageCard(props: { stage: StageView; view: PageView & { csrf: string } }) {
  const { stage, view } = props;
  const href = safeHref(stage.liveUrl);
  const last = stage.lastDeploy;
  const waiting = stage.awaiting[0];
  return (
    <section class="stage" data-stage={`${stage.project}/${stage.stage}`}>
      <div class="head">
        <strong>
          <a href={paths.stage(stage.project, stage.stage)}>{stage.stage}</a>
        </strong>
        {waiting && (
          <a class="badge attention" href={paths.deploy(waiting.id)}>
            {stage.awaiting.length === 1 ? 'awaiting approval' : `${stage.awaiting.length} awaiting approval`}
          </a>
        )}
      </div>
      <div class="live">
        {stage.live ? (
          <>
            <span class="mono">{stage.live.tag}</span>{' '}
            {stage.live.digest && (
              <span class="mono muted" title={stage.live.digest}>
                {shortDigest(stage.live.digest)}
              </span>
            )}{' '}
            <span class="muted">
              live since <When iso={stage.live.since} now={view.now} />
            </span>
          </>
        ) : (
          <span class="muted">nothing live</span>
        )}
      </div>
      <div class="muted">
        {href ? <a href={href}>{href}</a> : stage.domain} · tags <code>{stage.tagPattern}</code>
      </div>
      {last && (
        <div>
          {last.kind === 'teardown' ? 'torn down' : 'last deploy'}{' '}
          <a href={paths.deploy(last.id)} class="mono">
            {last.kind === 'teardown' ? 'history' : last.intent.tag}
          </a>{' '}
          <StatusBadge status={last.status} /> <When iso={last.finishedAt ?? last.createdAt} now={view.now} />
        </div>
      )}
      {stage.canRollBack && (
        <ActionForm
          action={paths.rollbackAction(stage.project, stage.stage)}
          csrf={view.csrf}
          confirm={`Roll back ${stage.project}/${stage.stage} to the version before ${stage.live?.tag ?? 'the current one'}?`}
          label="Roll back"
          danger
        />
      )}
    </section>
  );
}
