import type { HubContext } from '../src/context.js';
import type { HeldIndicator } from '../src/domain/held-indicator.js';
import type { ApprovalRequestDoc, IndicatorDoc } from '../src/domain/types.js';
import { mayViewHeldIndicator } from '../src/policy/held-indicator-visibility.js';
import { canSeeRecipients } from '../src/policy/policy.js';
import { warningListResolvers } from './warninglists.js';

/** A held item as the schema's HeldIndicator resolves it: with its member, for the recipients' gate. */
type HeldView = HeldIndicator & { source: string };

/** A result carrying a PUBLISH_WARNED_INDICATOR request: the request itself (first answer) or its id (a replay). */
interface HoldingResult {
  approvalRequest?: ApprovalRequestDoc;
  approvalRequestId?: string;
}

/**
 * The request of a HELD result. The first answer holds the request the publisher just made; a
 * replay (possibly by another person of the member) reads it again as its viewer may list it.
 */
function approvalRequestOf(r: HoldingResult, _: unknown, { viewer, services }: HubContext): ApprovalRequestDoc | Promise<ApprovalRequestDoc | null> | null {
  if (r.approvalRequest) return r.approvalRequest;
  return r.approvalRequestId ? services.approvals.visible(viewer, r.approvalRequestId) : null;
}

/** HUB_WARNINGLIST_POLICY=hold (schema/warning-hold.graphql, schema/warninglists.graphql). */
export const warningHoldResolvers = {
  PublishIndicatorResult: { approvalRequest: approvalRequestOf },
  MispAttributeResult: { approvalRequest: approvalRequestOf },
  ApprovalChange: {
    // `change` is the stored ApprovalChange with the request's member beside it (resolvers/approval.ts).
    indicator: (c: ApprovalRequestDoc['change'] & { request?: ApprovalRequestDoc }, _: unknown, { viewer }: HubContext): HeldView | null => {
      const request = c.request;
      if (!request?.change.heldIndicator || !mayViewHeldIndicator(viewer, request)) return null;
      return { ...request.change.heldIndicator, source: request.ownerMemberId };
    },
  },
  HeldIndicator: {
    recipients: (h: HeldView, _: unknown, { viewer }: HubContext) => (h.tlp === 'RED' && canSeeRecipients(viewer, h) ? h.recipients : null),
    // As the indicator would show them: the same resolver, on the claim the item would be.
    warnings: (h: HeldView, args: unknown, context: HubContext) => warningListResolvers.Indicator.warnings(h as unknown as IndicatorDoc, args, context),
  },
};
