import type { ApprovalRequestDoc } from '../domain/types.js';
import { FilterMatcher } from '../store/filter-matcher.js';
import { indicatorVisibility, type Viewer } from './policy.js';

const matcher = new FilterMatcher();

/**
 * Whether the viewer may see the item a PUBLISH_WARNED_INDICATOR request holds: exactly when it
 * could see the indicator once stored (`indicatorVisibility` applied to the item's member, TLP and
 * recipients). On top of the approval queue's own rule (`approvalVisibility`): a hub-admin of
 * another member sees every request, but nothing of a TLP:RED item it is not a recipient of, nor
 * of a TLP:AMBER item below TRUSTED. The publishing member's people always may.
 */
export function mayViewHeldIndicator(viewer: Viewer, request: Pick<ApprovalRequestDoc, 'ownerMemberId' | 'change'>): boolean {
  const held = request.change.heldIndicator;
  if (!held) return false;
  return matcher.matches(indicatorVisibility(viewer), { source: request.ownerMemberId, tlp: held.tlp, recipients: held.recipients });
}
