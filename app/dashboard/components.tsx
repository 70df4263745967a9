import type { Child } from 'hono/jsx';
import { formatTime, statusLabel, timeAgo } from './format.js';

/** A deploy status as a coloured pill. */
export function StatusBadge(props: { status: string; id?: string }) {
  return (
    <span id={props.id} class={`badge st-${props.status}`}>
      {statusLabel(props.status)}
    </span>
  );
}

/** A time as `3 min ago` (ticking in the browser), with the exact UTC time on hover and for machines. */
export function When(props: { iso: string | undefined; now: Date }) {
  if (!props.iso) return <span class="muted">–</span>;
  return (
    <time datetime={props.iso} title={formatTime(props.iso)} data-ago="">
      {timeAgo(props.iso, props.now)}
    </time>
  );
}

/**
 * A POST form for a dashboard action: carries the CSRF token, works without JavaScript, and
 * asks `confirm` first when JavaScript is on ({tag} and {stage} are filled in from the form).
 */
export function ActionForm(props: {
  action: string;
  csrf: string;
  confirm: string;
  label: string;
  danger?: boolean;
  children?: Child;
}) {
  return (
    <form class="actions" method="post" action={props.action} data-confirm={props.confirm}>
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.children}
      <button type="submit" class={props.danger ? 'danger' : undefined}>
        {props.label}
      </button>
    </form>
  );
}

/** Paths of the dashboard, built in one place. */
export const paths = {
  project: (project: string) => `/projects/${encodeURIComponent(project)}`,
  deploy: (id: string) => `/deploys/${encodeURIComponent(id)}`,
  deployAction: (project: string) => `/dashboard-actions/projects/${encodeURIComponent(project)}/deploy`,
  rollbackAction: (project: string, stage: string) =>
    `/dashboard-actions/projects/${encodeURIComponent(project)}/stages/${encodeURIComponent(stage)}/rollback`,
  imageTags: (project: string) => `/api/projects/${encodeURIComponent(project)}/tags`,
  promoteAction: (project: string, stage: string) =>
    `/dashboard-actions/projects/${encodeURIComponent(project)}/stages/${encodeURIComponent(stage)}/promote`,
  approveAction: (id: string) => `/dashboard-actions/deploys/${encodeURIComponent(id)}/approve`,
  stage: (project: string, stage: string) =>
    `/projects/${encodeURIComponent(project)}/stages/${encodeURIComponent(stage)}`,
  stageLogs: (project: string, stage: string) =>
    `/api/projects/${encodeURIComponent(project)}/stages/${encodeURIComponent(stage)}/logs`,
  teardownAction: (project: string, stage: string) =>
    `/dashboard-actions/projects/${encodeURIComponent(project)}/stages/${encodeURIComponent(stage)}/teardown`,
  orphanTeardownAction: (project: string, stage: string) =>
    `/dashboard-actions/orphans/${encodeURIComponent(project)}/${encodeURIComponent(stage)}/teardown`,
  previewRemoveAction: (project: string, pr: number) =>
    `/dashboard-actions/projects/${encodeURIComponent(project)}/previews/${pr}/remove`,
};
