import type { IndicatorType, Severity, Tlp } from './types.js';

/**
 * An item of `publishIndicators` held under HUB_WARNINGLIST_POLICY=hold (docs/intel-quality.md,
 * "At publish"): the item as submitted, validated and normalised, kept on its
 * PUBLISH_WARNED_INDICATOR request (`ApprovalChange.heldIndicator`) until a second person decides.
 * Approval publishes exactly this, as the member that submitted it.
 */
export interface HeldIndicator {
  type: IndicatorType;
  /** Normalised: what the claim will hold. */
  value: string;
  /** As the publisher sent it. */
  submittedValue: string;
  tlp: Tlp;
  recipients: string[];
  severity: Severity;
  confidence: number;
  /** The item's, or the moment it was held when it gave none. */
  validFrom: Date;
  validUntil: Date | null;
  /** Trimmed, lower-cased, de-duplicated. */
  tags: string[];
  description: string | null;
}

/**
 * The member's claim on the held value as the hold found it (`ApprovalRequestDoc.expected.claim`):
 * approval applies only while the claim is still so, so that nothing the member published or
 * revoked since is overwritten by an older item. `version` digests what the member itself writes
 * (the published fields, the revocation, an override), not sightings.
 */
export interface HeldClaimState {
  id: string;
  version: string;
}
