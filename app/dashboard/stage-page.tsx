import type { DeployRecord } from '../../src/core/deploy-types.js';
import type { LogLine } from '../../src/docker/engine.js';
import { DeployForm } from './deploy-form.js';
import { HistoryTable } from './history-table.js';
import { ActionForm, paths } from './components.js';
import { Layout, type PageView } from './layout.js';
import { StageCard } from './stage-card.js';
import { STAGE_LOG_SCRIPT, STAGE_STYLES } from './stage-log-script.js';
import { LOG_TAIL, type StageLog, type StageUsage } from './stage-ops-data.js';
import { StageUsagePanel } from './stage-usage.js';
import type { StageView } from './stage-view.js';

function LogItem(props: { line: LogLine }) {
  const { line } = props;
  return (
    <li class={`std-${line.stream}`}>
      <span class="t" title={line.time}>
        {line.time.slice(11, 19)}
      </span>
      <span class="s">{line.stream === 'stderr' ? 'err' : 'out'}</span>
      <span class="m">{line.text}</span>
    </li>
  );
}

function LogPanel(props: { stage: StageView; log: StageLog }) {
  const { stage, log } = props;
  const follow = `${paths.stageLogs(stage.project, stage.stage)}?follow=1&tail=${LOG_TAIL}`;
  return (
    <section class="card">
      <div class="log-head">
        <h2>Log</h2>
        {log.kind === 'lines' && (
          <div class="follow">
            <span id="follow-state" class="muted" aria-live="polite"></span>
            <button type="button" id="follow-log" class="secondary" aria-pressed="false">
              Follow
            </button>
          </div>
        )}
      </div>
      {log.kind === 'unavailable' ? (
        <p class="muted">{log.message}</p>
      ) : (
        <>
          <p class="muted">
            last {LOG_TAIL} lines of <span class="mono">{log.container}</span>;{' '}
            <span class="err-key">err</span> marks standard error
          </p>
          <ol class="log stage-log" id="stage-log" data-follow={follow}>
            {log.lines.length === 0 && <li class="muted">No output yet.</li>}
            {log.lines.map((line) => (
              <LogItem line={line} />
            ))}
          </ol>
          {log.cutShort && <p class="muted">{log.cutShort}</p>}
        </>
      )}
    </section>
  );
}

/** GET /projects/:project/stages/:stage: the stage's live version, resource use, deploy form, history, log and teardown. */
export function StagePage(props: {
  stage: StageView;
  usage: StageUsage;
  log: StageLog;
  history: DeployRecord[];
  view: PageView & { csrf: string };
}) {
  const { stage, usage, log, history, view } = props;
  const name = `${stage.project}/${stage.stage}`;
  return (
    <Layout title={name} view={view}>
      <style nonce={view.nonce} dangerouslySetInnerHTML={{ __html: STAGE_STYLES }} />
      <h1>
        <span>
          <a href={paths.project(stage.project)}>{stage.project}</a> / {stage.stage}
        </span>
      </h1>
      <div class="summary" id="stage-summary" data-live-region="">
        <StageCard stage={stage} view={view} />
      </div>
      <section class="card" id="stage-usage" data-live-region="">
        <h2>Resource use</h2>
        <StageUsagePanel usage={usage} />
      </section>
      {!stage.promoteFrom && (
        <section class="card">
          <h2>Deploy a version</h2>
          <DeployForm project={stage.project} stages={[stage]} stage={stage.stage} csrf={view.csrf} />
        </section>
      )}
      <section class="card" id="stage-history" data-live-region="">
        <h2>History</h2>
        <HistoryTable deploys={history} now={view.now} />
      </section>
      <LogPanel stage={stage} log={log} />
      <section class="card danger-zone">
        <h2>Teardown</h2>
        <p>
          Stops and removes every container of {name}, removes its proxy host and clears what is live. The
          history stays. A later deploy brings the stage back.
        </p>
        <ActionForm
          action={paths.teardownAction(stage.project, stage.stage)}
          csrf={view.csrf}
          confirm={`Tear down ${name}? Its containers are stopped and removed and its domain stops answering.`}
          label="Tear down"
          danger
        />
      </section>
      <script nonce={view.nonce} dangerouslySetInnerHTML={{ __html: STAGE_LOG_SCRIPT }} />
    </Layout>
  );
}
