import type { ModelReviewSummary, ModelReviewView } from '../domain/model-review.js';
import { HUB_EXTENSION_ID, memberIdentityId } from './stix-ids.js';
import type { StixView } from './stix-gates.js';
import { compact, STIX_SPEC_VERSION, stixTimestamp, stixVocab, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

export const MODEL_REVIEW_STIX_TYPE = 'x-model-review';

/** What the STIX of a review is made of beyond the review as the viewer sees it. */
export interface ModelReviewStixParts {
  /**
   * The summary of all its findings, when `review.seesSummary` (the caller computes it only then);
   * null otherwise. Ignored unless `review.seesSummary`, so a caller's slip cannot leak it.
   */
  summary: ModelReviewSummary | null;
  /** The ids of its findings (notices and cases) the viewer may see, on the channel asking (TAXII: never TLP:RED). */
  findingIds: readonly string[];
}

/**
 * A model review as the hub's custom STIX object (`x-model-review`, a new SDO declared by the
 * hub's extension-definition), made from the review as the viewer may see it (`redactModelReview`,
 * never the stored review): reviewers only where the view holds them, the summary only where the
 * viewer may read it, findings only those it may see.
 *
 * Its version (`modified`) is the latest of its write (`updatedAt`) and the passed instants at
 * which its status moved by time alone (the window's opening, the close), so that TAXII serves it
 * again (dated by `modified`) when its status moves. Two changes are not versions, on purpose:
 * the reviewer list (`reviewer_refs`; invitations and removals do not move `updatedAt`, which
 * would tell everyone who reads the closed review when its reviewers changed), and the summary's
 * counts while the review is OPEN (only the lab and hub-admins read them then; a version per
 * filing would date findings they may not see). Findings are filed only while the review is
 * OPEN, so the summary everyone reads from the close on is that of the close's version (but for a
 * later edit of a finding's category or severity).
 *
 * Marked TLP:AMBER until it closes (its audience is the lab and the reviewers' organisations),
 * then TLP:GREEN (every member sees a closed review), or TLP:CLEAR once the lab released its
 * summary to the public (anonymous callers see it too). A cancelled review stays TLP:AMBER.
 */
export function modelReviewToStix(review: ModelReviewView, view: StixView, parts: ModelReviewStixParts): StixObject {
  const closed = review.status === 'CLOSED';
  const summary = review.seesSummary ? parts.summary : null;
  const lab = memberIdentityId(review.lab);
  return compact({
    type: MODEL_REVIEW_STIX_TYPE,
    spec_version: STIX_SPEC_VERSION,
    id: review._id,
    created: stixTimestamp(review.createdAt),
    modified: stixTimestamp(modelReviewVersion(review)),
    // The lab is named by the review (`ModelReview.lab`); its identity object, like every member
    // identity, goes only where the viewer may see members as sources (the `identity` gate).
    created_by_ref: view.gates.allows(view.viewer, { source: review.lab }, 'identity') ? lab : undefined,
    name: `Pre-deployment review of ${review.model.name}${review.model.version ? ` ${review.model.version}` : ''}`,
    description: review.description,
    model: compact({ name: review.model.name, developer: review.model.developer, version: review.model.version }),
    planned_deployment: stixTimestamp(review.plannedDeploymentAt),
    window_opens: stixTimestamp(review.windowOpensAt),
    closed: review.closesAt && !review.cancelledAt ? stixTimestamp(review.closesAt) : undefined,
    cancelled: review.cancelledAt ? stixTimestamp(review.cancelledAt) : undefined,
    cancel_reason: review.cancelReason,
    status: stixVocab(review.status),
    reviewer_refs: review.reviewers?.map(memberIdentityId),
    finding_refs: [...parts.findingIds],
    summary: summary
      ? compact({
          total: summary.total,
          by_category: summary.byCategory.map((c) => ({ category: stixVocab(c.category), count: c.count })),
          by_severity: summary.bySeverity.map((s) => ({ severity: s.severity.toLowerCase(), count: s.count })),
          highest_severity: summary.highestSeverity?.toLowerCase(),
        })
      : undefined,
    summary_public: review.summaryPublic,
    object_marking_refs: [tlpMarkingId(closed ? (review.summaryPublic ? 'CLEAR' : 'GREEN') : 'AMBER')],
    extensions: { [HUB_EXTENSION_ID]: { extension_type: 'new-sdo' } },
  });
}

/**
 * The version of a review's STIX object as the view shows it: its write, or the instant its
 * status last moved by time alone, whichever is later. The view's status was read at the view's
 * instant, so the instant it moved has passed: the window's opening for an OPEN review, the close
 * for a CLOSED one (a cancellation is a write, and a cancelled review's status moves no more).
 */
export function modelReviewVersion(review: Pick<ModelReviewView, 'status' | 'updatedAt' | 'windowOpensAt' | 'closesAt'>): Date {
  const moved = review.status === 'OPEN' ? review.windowOpensAt : review.status === 'CLOSED' ? review.closesAt : null;
  return moved && moved.getTime() > review.updatedAt.getTime() ? moved : review.updatedAt;
}
