/**
 * Announcing a model review's close (issue 14, docs/model-reviews.md): the release itself needs no
 * write (each finding carries `reviewReleaseAt`, the policy compares it with now), but subscribers
 * must hear of it, once per review. `announceClose` claims the review (`closeAnnouncedAt`,
 * compare-and-set) and records, in the same commit, one REVIEW_CLOSED event for the review and a
 * RELEASED event per finding (the policy's `alertVerdict` tells RELEASED only to the viewers the
 * release newly reaches); then the audit entry MODEL_REVIEW_CLOSED in the lab's log.
 */
import { factsOf, vulnerabilityFacts, type VisibilityFacts } from '../domain/events.js';
import type { ModelReviewDoc } from '../domain/model-review.js';
import { modelReviewFacts, type Viewer } from '../policy/policy.js';
import type { ModelReviewRepository, NoticeRepository, SequenceRepository, VulnerabilityRepository } from '../store/ports.js';
import type { AuditService } from './audit-service.js';
import type { EventRecorder, FactsChange } from './event-recorder.js';

export interface ReviewCloseDeps {
  modelReviews: Pick<ModelReviewRepository, 'updateOne'>;
  notices: Pick<NoticeRepository, 'find'>;
  vulnerabilities: Pick<VulnerabilityRepository, 'find'>;
  sequences: SequenceRepository;
  events: EventRecorder;
  audit: Pick<AuditService, 'modelReviewClosed'>;
}

/** What an announcement did: the review as claimed, and how many findings it released. */
export interface ClosedReview {
  review: ModelReviewDoc;
  findings: number;
}

/**
 * Announces the close of `review` at `now` if it is closed (`closesAt` passed, not cancelled) and
 * not yet announced: null when another call (another instance, an early close) announced it
 * first, or it was rescheduled or cancelled meanwhile. `actor` is the person whose approved early
 * close this is; null when the hub closes it at its planned deployment (the ReviewWatcher).
 */
export async function announceClose(deps: ReviewCloseDeps, review: Pick<ModelReviewDoc, '_id'>, now: Date, actor: Extract<Viewer, { kind: 'member' }> | null = null): Promise<ClosedReview | null> {
  const closed = await deps.events.recordingFacts('REVIEW', async () => {
    const seq = await deps.sequences.next('modelReviews');
    // The claim: of two instances (or the watcher and an early close) only one finds it unannounced.
    const after = await deps.modelReviews.updateOne(
      { _id: review._id, cancelledAt: null, closeAnnouncedAt: null, closesAt: { $lte: now } },
      { $set: { closeAnnouncedAt: now, seq } },
    );
    if (!after) return { value: null, changes: [] };
    const oldestFirst = { sort: [['createdAt', 1], ['_id', 1]] as const };
    const [notices, cases] = await Promise.all([deps.notices.find({ reviewId: after._id }, oldestFirst), deps.vulnerabilities.find({ reviewId: after._id }, oldestFirst)]);
    const reviewAfter = modelReviewFacts(after);
    const changes: FactsChange[] = [
      { type: 'REVIEW_CLOSED', recordId: after._id, before: { ...reviewAfter, closesAt: null }, after: reviewAfter },
      // Before: restricted whatever the time (`reviewReleaseAt` null, as for a review never released).
      ...notices.map((n): FactsChange => ({ type: 'RELEASED', kind: 'NOTICE', recordId: n._id, before: stillRestricted(factsOf(n)), after: factsOf(n) })),
      ...cases.map((c): FactsChange => ({ type: 'RELEASED', kind: 'VULNERABILITY', recordId: c._id, before: stillRestricted(vulnerabilityFacts(c)), after: vulnerabilityFacts(c) })),
    ];
    return { value: { review: after, findings: notices.length + cases.length }, changes };
  });
  if (closed) await deps.audit.modelReviewClosed(actor, closed.review, closed.findings);
  return closed;
}

function stillRestricted(facts: VisibilityFacts): VisibilityFacts {
  return { ...facts, reviewReleaseAt: null };
}
