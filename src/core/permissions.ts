import { ForbiddenError } from './errors.js';

/**
 * Who asks, as far as permissions go. `ci`: a request signed with a signing secret, or a
 * deploy's follow token (every CI job of the repository has the secret). `operator`: the API
 * token or a dashboard session. `forge-user`: a comment command from a user the forge says has
 * write access, or one of the project's approvers.
 */
export type PrincipalKind = 'ci' | 'operator' | 'forge-user';

/** What a principal can ask for. */
export type Action =
  'read' | 'read-all' | 'submit' | 'deploy' | 'rollback' | 'promote' | 'approve' | 'teardown';

/**
 * `yes`; `policy`: allowed, but the stage's policy (auto_deploy, confirm, promote_from) applies
 * as to a CI deploy request, so a stage that needs approval parks it; `no-approval-stage`:
 * allowed only on stages that need no approval; `no`.
 */
export type Grant = 'yes' | 'policy' | 'no-approval-stage' | 'no';

/** The one permission table; the README's Security section shows the same. */
export const PERMISSIONS: Readonly<Record<Action, Readonly<Record<PrincipalKind, Grant>>>> = {
  read: { ci: 'yes', operator: 'yes', 'forge-user': 'yes' },
  'read-all': { ci: 'no', operator: 'yes', 'forge-user': 'no' },
  submit: { ci: 'policy', operator: 'policy', 'forge-user': 'policy' },
  deploy: { ci: 'policy', operator: 'yes', 'forge-user': 'yes' },
  rollback: { ci: 'no-approval-stage', operator: 'yes', 'forge-user': 'yes' },
  promote: { ci: 'no', operator: 'yes', 'forge-user': 'yes' },
  approve: { ci: 'no', operator: 'yes', 'forge-user': 'yes' },
  teardown: { ci: 'no', operator: 'yes', 'forge-user': 'no' },
};

const WHO: Record<PrincipalKind, string> = {
  ci: 'a signed CI request',
  operator: 'the API token or a dashboard session',
  'forge-user': 'a PR comment from a user with write access or an approver',
};

/** The principals that `action` is fully open to, in words, for error messages. */
export function whoMay(action: Action): string {
  const kinds = (Object.keys(WHO) as PrincipalKind[]).filter((kind) => PERMISSIONS[action][kind] === 'yes');
  return kinds.map((kind) => WHO[kind]).join(' or ') || 'nobody';
}

/** What a principal's request becomes: run as asked, go through the stage's policy, or refused. */
export type Decision = 'allow' | 'policy';

/**
 * Decides whether `kind` may do `action` on a stage (`needsApproval`: the stage does not
 * auto-deploy or wants confirmation). Throws a ForbiddenError naming who may instead.
 */
export function decide(kind: PrincipalKind, action: Action, needsApproval = false): Decision {
  const grant = PERMISSIONS[action][kind];
  if (grant === 'yes') return 'allow';
  if (grant === 'policy') return 'policy';
  if (grant === 'no-approval-stage' && !needsApproval) return 'allow';
  const where = grant === 'no-approval-stage' ? ' on a stage that needs approval' : '';
  throw new ForbiddenError(`${WHO[kind]} may not ${action}${where}: only ${whoMay(action)} may`);
}
