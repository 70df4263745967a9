import { ActionForm, paths, StatusBadge, When } from './components.js';
import { safeHref, shortDigest } from './format.js';
import type { PageView } from './layout.js';
import type { CertificateStatus } from '../../src/proxy/router.js';
import type { StageView } from './stage-view.js';

/** "v1 (1a2b3c4d5e6f)": a version as people compare it. */
function version(tag: string, digest: string | undefined): string {
  return digest ? `${tag} (${shortDigest(digest)})` : tag;
}

/** The Promote button of a stage with promote_from, or why there is nothing to promote. */
function Promote(props: { stage: StageView; csrf: string }) {
  const { stage, csrf } = props;
  const offer = stage.promotion;
  if (!stage.promoteFrom) return null;
  if (!offer) return <div class="muted">nothing live in {stage.promoteFrom} to promote</div>;
  if (offer.current) {
    return (
      <div class="muted">
        runs what is live in {offer.from} (<span class="mono">{offer.live.tag}</span>)
      </div>
    );
  }
  const what = version(offer.live.tag, offer.live.digest);
  return (
    <ActionForm
      action={paths.promoteAction(stage.project, stage.stage)}
      csrf={csrf}
      confirm={`Promote ${what} from ${offer.from} to ${stage.project}/${stage.stage}?`}
      label={`Promote ${what} from ${offer.from}`}
    />
  );
}

/** One stage at a glance: live version, link, last deploy, waiting approvals, promote, roll back. */
export function StageCard(props: { stage: StageView; view: PageView & { csrf: string } }) {
  const { stage, view } = props;
  const href = safeHref(stage.liveUrl);
  const last = stage.lastDeploy;
  const waiting = stage.awaiting[0];
  const target = stage.rollbackTo;
  const lastFailed = last !== undefined && last.status === 'failed' && last.intent.trigger !== 'teardown';
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
        {href ? <a href={href}>{href}</a> : stage.domain} ·{' '}
        {stage.promoteFrom ? (
          <>promoted from {stage.promoteFrom}</>
        ) : (
          <>
            tags <code>{stage.tagPattern}</code>
          </>
        )}
      </div>
      {stage.certificate && <CertificateLine status={stage.certificate} now={view.now} />}
      {last && (
        <div class="last-deploy">
          {last.kind === 'teardown' ? 'torn down' : 'last deploy'}{' '}
          <a href={paths.deploy(last.id)} class="mono">
            {last.kind === 'teardown' ? 'history' : last.intent.tag}
          </a>{' '}
          <StatusBadge status={last.status} /> <When iso={last.finishedAt ?? last.createdAt} now={view.now} />
          {lastFailed && (
            <span class="muted">
              {' '}
              · {stage.live ? `${stage.live.tag} kept serving, untouched` : 'nothing was live'}
            </span>
          )}
        </div>
      )}
      <Promote stage={stage} csrf={view.csrf} />
      {target && stage.live && (
        <ActionForm
          action={paths.rollbackAction(stage.project, stage.stage)}
          csrf={view.csrf}
          confirm={`Roll back ${stage.project}/${stage.stage} from ${version(stage.live.tag, stage.live.digest)} to ${version(target.intent.tag, target.digest ?? target.intent.digest)}?`}
          label={`Roll back to ${target.intent.tag}`}
          danger
        />
      )}
    </section>
  );
}

/** Where the Let's Encrypt certificate docker-watcher asked NPM for stands. */
function CertificateLine(props: { status: CertificateStatus; now: Date }) {
  const { status } = props;
  if (status.state === 'issued') {
    return <div class="muted">certificate #{status.certificateId} issued by Let's Encrypt</div>;
  }
  if (status.state === 'requesting') {
    return <div class="muted">certificate requested from Let's Encrypt; HTTP until NPM has it</div>;
  }
  return (
    <div class="attention" data-certificate="failed">
      certificate request failed ({status.attempts} {status.attempts === 1 ? 'try' : 'tries'}): {status.error}
      ; HTTP meanwhile, next try <When iso={status.retryAt} now={props.now} />
    </div>
  );
}
