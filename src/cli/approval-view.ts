import type { ApprovalRequestDoc, ApprovalStatus } from '../domain/types.js';

/** Statuses `approval list --status` accepts. */
export const APPROVAL_STATUSES_SHOWN: readonly ApprovalStatus[] = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'];

/** A request as the CLI prints it: ids and enum values, never the change's record content. */
export function describeRequest(request: ApprovalRequestDoc, status: ApprovalStatus) {
  return {
    id: request._id,
    kind: request.kind,
    status,
    target: `${request.target.kind}:${request.target.id}`,
    ownerMemberId: request.ownerMemberId,
    requestedBy: request.requestedBy.userId,
    decidedBy: request.decidedBy?.userId ?? null,
    createdAt: request.createdAt.toISOString(),
    expiresAt: request.expiresAt.toISOString(),
  };
}
