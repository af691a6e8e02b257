/**
 * The durable event log behind live alerts: one entry per change a subscriber may hear about.
 * An entry's position (its `_id`) is the alert cursor.
 */
import type { NoticeStatus, Tlp } from './types.js';
import type { ChangeAudience } from './disclosure-facts.js';
import type { VulnerabilityDoc } from './vulnerability.js';
import { tlpOfStage, type StoredStage } from './vulnerability-stage.js';

export const ALERT_EVENT_TYPES = ['PUBLISHED', 'UPDATED', 'REVOKED', 'SIGHTED', 'RELEASED', 'REVIEW_CLOSED'] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

export type RecordKind = 'INDICATOR' | 'NOTICE' | 'VULNERABILITY' | 'REVIEW';

/**
 * The fields that decide who sees a record, as they were on one side of a change. The policy's
 * filter documents run against these, so a change can be judged for each viewer: seen before,
 * seen after, both or neither.
 */
export interface VisibilityFacts {
  source: string;
  tlp: Tlp;
  recipients: string[];
  /** Notices only. */
  status?: NoticeStatus;
  /** Notices only. */
  embargoUntil?: Date | null;
  /** Clearinghouse cases only: members that reported a duplicate of it. */
  participants?: string[];
  /** Clearinghouse cases only: affected vendors notified of it. */
  notifiedVendorIds?: string[];
  /** Clearinghouse cases only: the widest stage its writes reached. */
  stageReached?: StoredStage;
  /** Clearinghouse cases only: who is told of this change, among those who see the case after it (src/domain/disclosure-facts.ts); absent: all. */
  audience?: ChangeAudience;
  /** Clearinghouse cases only: whether its proof of concept had reached everyone who sees it. */
  pocReleased?: boolean;
  /** Findings of a model review (notices and cases): its `FindingRestriction` (src/domain/model-review.ts). */
  reviewId?: string | null;
  reviewAudience?: string[];
  reviewReleaseAt?: Date | null;
  /** Model reviews only (`source` is the lab too): what `modelReviewVisibility` reads. */
  lab?: string;
  reviewers?: string[];
  closesAt?: Date | null;
  cancelledAt?: Date | null;
  summaryPublic?: boolean;
  /** Indicators and notices received from a peer hub: what `peerExclusion` reads of their provenance (absent on this hub's own). */
  origin?: { hub: string; hops: number; shareOnward: boolean };
}

export interface EventDoc {
  /** Position in the log: strictly increasing, gap-free within one store. */
  _id: number;
  type: AlertEventType;
  kind: RecordKind;
  recordId: string;
  occurredAt: Date;
  /** Sharing before the change; null for a new record. */
  before: VisibilityFacts | null;
  after: VisibilityFacts;
}

export type NewEvent = Omit<EventDoc, '_id'>;

export function factsOf(
  doc: { source: string; tlp: Tlp; recipients: string[]; status?: NoticeStatus; embargoUntil?: Date | null; origin?: { hub: string; hops: number; shareOnward: boolean } | null } & ReviewFacts,
): VisibilityFacts {
  const facts: VisibilityFacts = { source: doc.source, tlp: doc.tlp, recipients: doc.recipients };
  if (doc.status !== undefined) facts.status = doc.status;
  if (doc.embargoUntil !== undefined) facts.embargoUntil = doc.embargoUntil;
  if (doc.origin) facts.origin = { hub: doc.origin.hub, hops: doc.origin.hops, shareOnward: doc.origin.shareOnward };
  return withReviewFacts(facts, doc);
}

type ReviewFacts = { reviewId?: string | null; reviewAudience?: string[]; reviewReleaseAt?: Date | null };

/** A model review's finding carries its restriction in its facts (`reviewRestriction` reads them); others carry `reviewId: null`. */
function withReviewFacts(facts: VisibilityFacts, doc: ReviewFacts): VisibilityFacts {
  facts.reviewId = doc.reviewId ?? null;
  if (doc.reviewId != null) {
    facts.reviewAudience = doc.reviewAudience ?? [];
    facts.reviewReleaseAt = doc.reviewReleaseAt ?? null;
  }
  return facts;
}

/**
 * The facts that decide who sees a clearinghouse case (`vulnerabilityVisibility` reads them):
 * its reporter, participants, notified vendors and the stage reached; `tlp` the stage's label.
 */
export function vulnerabilityFacts(doc: Pick<VulnerabilityDoc, 'source' | 'participants' | 'notifiedVendorIds' | 'stageReached' | 'reviewId' | 'reviewAudience' | 'reviewReleaseAt'>): VisibilityFacts {
  return withReviewFacts({
    source: doc.source,
    tlp: tlpOfStage(doc.stageReached),
    recipients: [],
    participants: doc.participants,
    notifiedVendorIds: doc.notifiedVendorIds,
    stageReached: doc.stageReached,
  }, doc);
}
