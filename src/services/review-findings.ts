/**
 * A model review's findings (issue 14, docs/model-reviews.md): who may file one under a review,
 * the restriction it carries, the findings each viewer sees and the review's summary. The
 * review's own lifecycle (schedule, invite, reschedule, close, cancel) is ModelReviewService's.
 */
import { findingRestriction, MODEL_REVIEW_LIMITS, modelReviewStatus, type FindingRestriction, type ModelReviewDoc, type ModelReviewSummary } from '../domain/model-review.js';
import { COUNTED_NOTICE_STATUSES, modelReviewSummary } from '../domain/model-review-summary.js';
import type { NoticeDoc } from '../domain/types.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import { badInput, forbidden, hubError } from '../errors.js';
import { mayFileFinding, modelReviewVisibility, noticeVisibility, vulnerabilityVisibility, type Viewer } from '../policy/policy.js';
import type { ModelReviewRepository, NoticeRepository, SequenceRepository, VulnerabilityRepository } from '../store/ports.js';
import { and } from '../store/queries.js';
import { clip } from '../util/clip.js';
import type { EventRecorder } from './event-recorder.js';

export interface ReviewFindingsDeps {
  modelReviews: Pick<ModelReviewRepository, 'find'>;
  notices: Pick<NoticeRepository, 'find' | 'count' | 'updateOne'>;
  vulnerabilities: Pick<VulnerabilityRepository, 'find' | 'count' | 'updateOne'>;
  sequences: SequenceRepository;
  /** Where a restriction fixed after a concurrent change of the review is recorded (RELEASED for those it newly reaches). */
  events: EventRecorder;
  now?: () => Date;
}

/** A finding: a model-risk notice or a clearinghouse case filed under a review. */
export type Finding = NoticeDoc | VulnerabilityDoc;

/** Which of the two a finding is (the event log's record kind). */
export type FindingKind = 'NOTICE' | 'VULNERABILITY';

const NOTICE_TEXTS = ['summary', 'mitigations', 'technicalDetails', 'evaluationEvidence'] as const;
const CASE_TEXTS = ['summary', 'proofOfConcept', 'technicalDetails', 'suggestedFix'] as const;

/** How often `settle` re-reads when the review or the finding keeps moving under it. */
const SETTLE_ATTEMPTS = 5;

/** Files findings under reviews and reads them as each viewer may see them. */
export class ReviewFindings {
  private readonly now: () => Date;

  constructor(private readonly deps: ReviewFindingsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The reviews with these ids that the viewer may see now (`modelReviewVisibility`), one store call. */
  async reviewsByIds(viewer: Viewer, ids: readonly string[]): Promise<ModelReviewDoc[]> {
    if (ids.length === 0) return [];
    return this.deps.modelReviews.find(and({ _id: { $in: [...ids] } }, modelReviewVisibility(viewer, this.now())));
  }

  /**
   * The restriction a finding `viewer` files under `reviewId` carries, or the error the filing
   * mutation answers: a review the viewer may not see is answered exactly as an id nobody used
   * (BAD_USER_INPUT on `input.reviewId`); only then FORBIDDEN for a non-reviewer, then the
   * review's status (findings are filed while it is OPEN), then the cap on findings.
   */
  async restrictionForFiling(viewer: Viewer, reviewId: string): Promise<FindingRestriction> {
    const [review] = await this.reviewsByIds(viewer, [reviewId]);
    if (!review) throw badInput(`no model review with id "${clip(reviewId)}"`, 'input.reviewId');
    if (!mayFileFinding(viewer, review)) throw forbidden('only a reviewer of this model review may file findings under it');
    const status = modelReviewStatus(review, this.now());
    if (status !== 'OPEN') throw hubError('INVALID_TRANSITION', `findings are filed while a review is OPEN; this one is ${status}`, 'input.reviewId');
    // The member's own findings only (it sees them all): a count of others' would tell it what it may not see.
    const own = { reviewId, source: viewer.memberId };
    const filed = (await Promise.all([this.deps.notices.count(own), this.deps.vulnerabilities.count(own)])).reduce((a, b) => a + b, 0);
    if (filed >= MODEL_REVIEW_LIMITS.findingsPerMember) {
      throw badInput(`a member files at most ${MODEL_REVIEW_LIMITS.findingsPerMember} findings under one model review; yours has filed ${filed}`, 'input.reviewId');
    }
    return findingRestriction(review);
  }

  /**
   * After a finding's insert: the review may have changed between the check and the write (an
   * invite, a removal, a reschedule, a cancel) and its sync of the findings not seen this one.
   * Re-reads the review and, while the finding's restriction differs from the review's, rewrites
   * it (compare-and-set on the finding's `seq`) with a RELEASED event: a viewer the fix newly
   * reaches hears of the finding; those who saw it already hear nothing. Answers the finding as
   * it is then.
   */
  async settle<T extends Finding>(kind: FindingKind, doc: T): Promise<T> {
    let current = doc;
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS && current.reviewId; attempt++) {
      const [review] = await this.deps.modelReviews.find({ _id: current.reviewId });
      if (!review) return current;
      const want = findingRestriction(review);
      if (sameRestriction(current, want)) return current;
      const seq = await this.deps.sequences.next(kind === 'NOTICE' ? 'notices' : 'vulnerabilities');
      const before = current;
      const repo = (kind === 'NOTICE' ? this.deps.notices : this.deps.vulnerabilities) as Pick<NoticeRepository, 'updateOne'>;
      const after = (await this.deps.events.recording(kind, async () => {
        const written = await repo.updateOne({ _id: before._id, seq: before.seq }, { $set: { ...want, seq } });
        return { value: written, changes: written ? [{ type: 'RELEASED' as const, doc: written, before }] : [] };
      })) as T | null;
      if (after) current = after;
      else {
        const [again] = await (kind === 'NOTICE' ? this.deps.notices : this.deps.vulnerabilities).find({ _id: before._id });
        if (!again) return current;
        current = again as T;
      }
    }
    return current;
  }

  /**
   * The findings of each review that the viewer may see now (each by its own rules and the
   * review's restriction), in one read per kind for all of them: notices first, then cases,
   * oldest first, at most MODEL_REVIEW_LIMITS.findings a review.
   */
  async findingsOf(viewer: Viewer, reviewIds: readonly string[]): Promise<Finding[][]> {
    if (reviewIds.length === 0) return [];
    const now = this.now();
    const inReviews = { reviewId: { $in: [...reviewIds] } };
    const sort = { sort: [['createdAt', 1], ['_id', 1]] as Array<[string, 1]> };
    const [notices, cases] = await Promise.all([
      this.deps.notices.find(and(inReviews, noticeVisibility(viewer, now)), sort),
      this.deps.vulnerabilities.find(and(inReviews, vulnerabilityVisibility(viewer, now)), sort),
    ]);
    return groupByReview<Finding>(reviewIds, [...notices, ...cases]).map((list) => list.slice(0, MODEL_REVIEW_LIMITS.findings));
  }

  /**
   * Each review's summary: counts over all its findings, whatever anyone may see of them. The
   * caller shows one only to a viewer whose view of the review `seesSummary` (`redactModelReview`).
   */
  async summariesOf(reviewIds: readonly string[]): Promise<ModelReviewSummary[]> {
    if (reviewIds.length === 0) return [];
    const inReviews = { reviewId: { $in: [...reviewIds] } };
    // Never a DRAFT (COUNTED_NOTICE_STATUSES).
    const filed = and(inReviews, { status: { $in: COUNTED_NOTICE_STATUSES } });
    // Only category and severity are read: the texts (up to 50,000 characters each) are left out where the store can.
    const [notices, cases] = await Promise.all([this.deps.notices.find(filed, { omit: NOTICE_TEXTS }), this.deps.vulnerabilities.find(inReviews, { omit: CASE_TEXTS })]);
    const noticesOf = groupByReview(reviewIds, notices);
    const casesOf = groupByReview(reviewIds, cases);
    return reviewIds.map((_, i) => modelReviewSummary(noticesOf[i]!, casesOf[i]!));
  }
}

function groupByReview<T extends { reviewId?: string | null }>(reviewIds: readonly string[], docs: readonly T[]): T[][] {
  const byReview = new Map<string, T[]>(reviewIds.map((id) => [id, []]));
  for (const d of docs) if (d.reviewId) byReview.get(d.reviewId)?.push(d);
  return reviewIds.map((id) => byReview.get(id)!);
}

function sameRestriction(doc: Partial<FindingRestriction>, want: FindingRestriction): boolean {
  const audience = doc.reviewAudience ?? [];
  return (
    (doc.reviewId ?? null) === want.reviewId &&
    (doc.reviewReleaseAt?.getTime() ?? null) === (want.reviewReleaseAt?.getTime() ?? null) &&
    audience.length === want.reviewAudience.length &&
    want.reviewAudience.every((m) => audience.includes(m))
  );
}
