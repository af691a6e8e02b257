import { APPROVAL_STATUSES_SHOWN, describeRequest } from './approval-view.js';
import type { ApprovalStatus } from '../domain/types.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { STORE_ENV, str, UsageError, type Command } from './command.js';

export const approvalListCommand: Command = {
  path: ['approval', 'list'],
  summary: 'List the two-person requests you made or may decide, newest first.',
  options: {
    as: AS_OPTION,
    status: { type: 'string', value: '<status>', description: `only these: ${APPROVAL_STATUSES_SHOWN.join(', ')} (default: all)` },
  },
  env: [...STORE_ENV, 'HUB_APPROVAL_TTL'],
  async run({ values, env }) {
    const status = str(values, 'status');
    if (status !== undefined && !APPROVAL_STATUSES_SHOWN.includes(status as ApprovalStatus)) {
      throw new UsageError(`--status must be one of ${APPROVAL_STATUSES_SHOWN.join(', ')}`);
    }
    const rows = await actAs(env, str(values, 'as')!, async (viewer, { services }) => {
      const page = await services.approvals.list(viewer, { status: (status as ApprovalStatus | undefined) ?? null, first: 500 });
      return page.edges.map(({ node }) => describeRequest(node, services.approvals.statusOf(node)));
    });
    return { text: rows.map((r) => `${r.id}  ${r.status}  ${r.kind}  ${r.target}  requested by ${r.requestedBy}`).join('\n'), json: rows };
  },
};

export const approvalApproveCommand: Command = {
  path: ['approval', 'approve'],
  summary: 'Approve a pending request: its change applies now. You must be a different person from the requester.',
  positionals: [{ name: '<request-id>', description: 'the request id (approval--...)' }],
  options: { as: AS_OPTION, reason: { type: 'string', value: '<text>', description: 'why (optional)' } },
  env: [...STORE_ENV, 'HUB_APPROVAL_TTL'],
  async run({ values, positionals, env }) {
    const row = await actAs(env, str(values, 'as')!, async (viewer, { services }) => {
      const request = await services.approvals.approve(viewer, positionals[0]!, str(values, 'reason') ?? null);
      return describeRequest(request, services.approvals.statusOf(request));
    });
    return { text: `${row.id}  ${row.status}  ${row.kind}  ${row.target}`, json: row };
  },
};

export const approvalRejectCommand: Command = {
  path: ['approval', 'reject'],
  summary: 'Reject a pending request (or withdraw your own).',
  positionals: [{ name: '<request-id>', description: 'the request id (approval--...)' }],
  options: { as: AS_OPTION, reason: { type: 'string', value: '<text>', description: 'why', required: true } },
  env: [...STORE_ENV, 'HUB_APPROVAL_TTL'],
  async run({ values, positionals, env }) {
    const row = await actAs(env, str(values, 'as')!, async (viewer, { services }) => {
      const request = await services.approvals.reject(viewer, positionals[0]!, str(values, 'reason')!);
      return describeRequest(request, services.approvals.statusOf(request));
    });
    return { text: `${row.id}  ${row.status}  ${row.kind}  ${row.target}`, json: row };
  },
};
