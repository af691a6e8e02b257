import type { HubContext } from '../src/context.js';
import type { ApprovalRequestDoc, ApprovalStatus, Tier, Tlp } from '../src/domain/types.js';
import { canSeeRecipients } from '../src/policy/policy.js';

export const approvalResolvers = {
  Query: {
    approvalRequests: (_: unknown, args: { status?: ApprovalStatus | null; first?: number | null; after?: string | null }, { viewer, services }: HubContext) =>
      services.approvals.list(viewer, args),
  },
  Mutation: {
    requestEmbargoLift: (_: unknown, a: { noticeId: string; embargoUntil?: Date | null; reason: string }, { viewer, services }: HubContext) =>
      services.approvals.requestEmbargoLift(viewer, a.noticeId, a.embargoUntil, a.reason),
    requestTlpChange: (_: unknown, a: { recordId: string; tlp: Tlp; reason: string }, { viewer, services }: HubContext) =>
      services.approvals.requestTlpChange(viewer, a.recordId, a.tlp, a.reason),
    requestRecipientsChange: (_: unknown, a: { recordId: string; recipients: string[]; reason: string }, { viewer, services }: HubContext) =>
      services.approvals.requestRecipientsChange(viewer, a.recordId, a.recipients, a.reason),
    requestTierChange: (_: unknown, a: { memberId: string; tier: Tier; reason: string }, { viewer, services }: HubContext) =>
      services.approvals.requestTierChange(viewer, a.memberId, a.tier, a.reason),
    approveRequest: (_: unknown, a: { id: string; reason?: string | null }, { viewer, services }: HubContext) =>
      services.approvals.approve(viewer, a.id, a.reason),
    rejectRequest: (_: unknown, a: { id: string; reason: string }, { viewer, services }: HubContext) =>
      services.approvals.reject(viewer, a.id, a.reason),
  },
  ApprovalRequest: {
    id: (r: ApprovalRequestDoc) => r._id,
    status: (r: ApprovalRequestDoc, _: unknown, { services }: HubContext) => services.approvals.statusOf(r),
    // The change, with the recipients list kept to the record's own member, as on the record.
    change: (r: ApprovalRequestDoc, _: unknown, { viewer }: HubContext) => ({
      ...r.change,
      // The request beside its change: a held indicator is shown by the request's rule (resolvers/warning-hold.ts).
      request: r,
      recipients: r.change.recipients && canSeeRecipients(viewer, { source: r.ownerMemberId }) ? r.change.recipients : null,
    }),
  },
  ApprovalTarget: {
    node: (t: ApprovalRequestDoc['target'], _: unknown, { viewer, services, loaders }: HubContext) => {
      if (t.kind === 'INDICATOR') return loaders.indicator.load(t.id);
      if (t.kind === 'MODEL_RISK_NOTICE') return loaders.notice.load(t.id);
      if (t.kind === 'VULNERABILITY') return loaders.vulnerability.load(t.id);
      // The review, when the viewer may see it (the lab's approvers and hub-admins, who decide, do).
      if (t.kind === 'MODEL_REVIEW') return services.modelReviews.get(viewer, t.id);
      if (t.kind === 'IDENTITY_PROVIDER' || t.kind === 'PERSON') return null;
      // A registration's member is PENDING: only hub-admins, who decide it, see it (canSeeMember).
      return services.members.visible(viewer, t.id);
    },
  },
};
