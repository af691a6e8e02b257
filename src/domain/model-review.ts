/**
 * Pre-deployment model reviews (issue 14, docs/model-reviews.md): a lab gives reviewers access to a
 * frontier model for a window before it ships (HUB_REVIEW_WINDOW, 30 days by default); what the
 * reviewers file under the review (model-risk notices and clearinghouse cases, its "findings") is
 * restricted to the lab, the reviewers and hub-admins until the review closes, then released to
 * everyone its own TLP and tier rules reach.
 *
 * Who sees a review, its reviewers and its summary, and who sees a finding while it is restricted,
 * is decided in src/policy/policy.ts (`modelReviewVisibility`, `redactModelReview`,
 * `reviewRestriction`) and enforced on every channel.
 */
import type { ActorRef, ModelRef, NoticeCategory, Severity } from './types.js';

export const MODEL_REVIEW_STATUSES = ['SCHEDULED', 'OPEN', 'CLOSED', 'CANCELLED'] as const;
/**
 * Where a review is, read at an instant (`modelReviewStatus`), never stored: SCHEDULED before its
 * window opens, OPEN during it, CLOSED from `closesAt` (its planned deployment, or an early close's
 * approval), CANCELLED once cancelled (final: a model that will not ship).
 */
export type ModelReviewStatus = (typeof MODEL_REVIEW_STATUSES)[number];

/** The caps the services enforce on a review (and src/http/field-sizes.ts sizes answers by). */
export const MODEL_REVIEW_LIMITS = {
  /** Reviewer members of one review (the default tier's members included). */
  reviewers: 500,
  /** Member ids one `inviteReviewers` / `removeReviewers` call names. */
  invitesPerCall: 100,
  /** Findings `ModelReview.findings` lists (the oldest the viewer may see); the summary counts them all. */
  findings: 200,
  /**
   * Findings one member files under one review (notices and cases together). Per member, not per
   * review: a review-wide cap would tell a reviewer how many findings others filed, which it may not see.
   */
  findingsPerMember: 100,
  /** Characters of a review's description, and of a reschedule's or cancellation's reason. */
  description: 4000,
  reason: 1000,
} as const;

/** One review, as stored. */
export interface ModelReviewDoc {
  /** `x-model-review--<uuid>` (the STIX id of its `x-model-review` object). */
  _id: string;
  model: ModelRef;
  /** What the review is about, in the lab's words (shown to whoever sees the review). */
  description: string | null;
  /** The publishing member: the lab whose model is reviewed. */
  lab: string;
  /** The person of the lab who scheduled it. */
  scheduledBy: ActorRef;
  plannedDeploymentAt: Date;
  /** When reviewers get access and may file findings. Default: `plannedDeploymentAt - HUB_REVIEW_WINDOW`. */
  windowOpensAt: Date;
  /**
   * When the review closes and its findings are released: `plannedDeploymentAt`, or the instant an
   * early close was approved; null once cancelled (never). Every finding carries it as
   * `reviewReleaseAt`, so the release needs no write at that instant: the policy compares it with now.
   */
  closesAt: Date | null;
  cancelledAt: Date | null;
  /** The lab's reason for cancelling: the lab, reviewers and hub-admins only. */
  cancelReason: string | null;
  /**
   * The reviewer members: every ACTIVE member at or above HUB_REVIEW_DEFAULT_TIER when it was
   * scheduled (the lab itself aside), plus those the lab invited. Shown to the lab, the reviewers
   * and hub-admins only.
   */
  reviewers: string[];
  /** The reviewers the lab invited (a subset of `reviewers`): only these may be removed again. */
  invited: string[];
  /** Whether the lab released the summary to anonymous callers (then they also see the closed review). Never set back. */
  summaryPublic: boolean;
  /** Set when the close was announced (REVIEW_CLOSED and the findings' RELEASED alerts, the audit entry): by the early close, or by the ReviewWatcher. */
  closeAnnouncedAt: Date | null;
  createdAt: Date;
  /** Moves with changes every viewer of the review hears of. */
  updatedAt: Date;
  /** Monotonic write sequence: every write sets a new one (compare-and-set key). */
  seq: number;
}

/** The review's status at `now`. */
export function modelReviewStatus(doc: Pick<ModelReviewDoc, 'cancelledAt' | 'closesAt' | 'windowOpensAt'>, now: Date): ModelReviewStatus {
  if (doc.cancelledAt !== null) return 'CANCELLED';
  if (doc.closesAt !== null && doc.closesAt.getTime() <= now.getTime()) return 'CLOSED';
  if (doc.windowOpensAt.getTime() <= now.getTime()) return 'OPEN';
  return 'SCHEDULED';
}

/**
 * What a finding (a `NoticeDoc` or `VulnerabilityDoc` filed with `reviewId`) carries of its review,
 * kept equal to the review on every change of it (invite, removal, reschedule, close, cancel): the
 * policy's `reviewRestriction` reads these. Absent (or `reviewId` null) on a record filed under no review.
 */
export interface FindingRestriction {
  reviewId: string | null;
  /** The member ids that see it while restricted: the lab and the reviewers (hub-admins too, by role). */
  reviewAudience: string[];
  /** The review's `closesAt`: from then on the restriction is gone. Null: never (cancelled). */
  reviewReleaseAt: Date | null;
}

/** The restriction a finding carries for a review. */
export function findingRestriction(review: Pick<ModelReviewDoc, '_id' | 'lab' | 'reviewers' | 'closesAt' | 'cancelledAt'>): FindingRestriction {
  return {
    reviewId: review._id,
    reviewAudience: [...new Set([review.lab, ...review.reviewers])],
    reviewReleaseAt: review.cancelledAt !== null ? null : review.closesAt,
  };
}

/**
 * Counts of a review's findings (all of them, whatever any viewer may see: a statistic released on
 * its own schedule, `redactModelReview`). A clearinghouse case counts under AI_FOUND_VULNERABILITY.
 */
export interface ModelReviewSummary {
  total: number;
  byCategory: Array<{ category: NoticeCategory; count: number }>;
  bySeverity: Array<{ severity: Severity; count: number }>;
  /** Null when there is no finding. */
  highestSeverity: Severity | null;
}

/** The review as a viewer may see it (`redactModelReview`): null fields are withheld (or none). */
export interface ModelReviewView {
  _id: string;
  model: ModelRef;
  description: string | null;
  lab: string;
  plannedDeploymentAt: Date;
  windowOpensAt: Date;
  closesAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
  status: ModelReviewStatus;
  /** Null: withheld from this viewer. */
  reviewers: string[] | null;
  /** Whether the viewer may read the summary now (it is computed from the findings on demand). */
  seesSummary: boolean;
  summaryPublic: boolean;
  createdAt: Date;
  updatedAt: Date;
  seq: number;
}

/** What `scheduleModelReview` takes (GraphQL `ModelReviewInput`). */
export interface ModelReviewInput {
  model: { name: string; developer: string; version?: string | null };
  plannedDeploymentAt: Date;
  /** Default `plannedDeploymentAt - HUB_REVIEW_WINDOW`; never later than that (a longer window is fine). */
  windowOpensAt?: Date | null;
  description?: string | null;
  /** Members to invite beyond the default tier's. */
  reviewerIds?: string[] | null;
  /** Release the summary to anonymous callers at close. Default false. */
  publicSummary?: boolean | null;
}
