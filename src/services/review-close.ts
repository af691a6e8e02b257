/**
 * Announcing a model review's close (issue 14, docs/model-reviews.md): at a close on schedule the
 * release itself needs no write (each finding carries `reviewReleaseAt`, the policy compares it
 * with now), but subscribers must hear of it, once per review. `announceClose` claims the review
 * (`closeAnnouncedAt`, compare-and-set) and, in the same commit, brings each finding's restriction
 * to the review's (an approved early close moved `closesAt`) and records one REVIEW_CLOSED event
 * for the review and a RELEASED event per finding (the policy's `alertVerdict` tells RELEASED only
 * to the viewers the release newly reaches); then the audit entry MODEL_REVIEW_CLOSED in the lab's
 * log. One commit: of two announcements racing (two instances, the watcher and an early close),
 * exactly one records anything, and a crash loses nothing nor repeats anything.
 */
import { caseFacts } from '../domain/disclosure-facts.js';
import { factsOf, type VisibilityFacts } from '../domain/events.js';
import { findingRestriction, type FindingRestriction, type ModelReviewDoc } from '../domain/model-review.js';
import type { NoticeDoc } from '../domain/types.js';
import { proofOfConceptReleaseAt, type DisclosureSchedule } from '../domain/vulnerability-stage.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import { modelReviewFacts, type Viewer } from '../policy/policy.js';
import type { ModelReviewRepository, NoticeRepository, SequenceRepository, VulnerabilityRepository } from '../store/ports.js';
import type { AuditService } from './audit-service.js';
import type { EventRecorder, FactsChange } from './event-recorder.js';

export interface ReviewCloseDeps {
  modelReviews: Pick<ModelReviewRepository, 'updateOne'>;
  notices: Pick<NoticeRepository, 'find' | 'updateOne'>;
  vulnerabilities: Pick<VulnerabilityRepository, 'find' | 'updateOne'>;
  sequences: SequenceRepository;
  events: EventRecorder;
  audit: Pick<AuditService, 'modelReviewStep'>;
  /** The configured disclosure schedule: whether a case's proof of concept is out is part of its event facts. */
  schedule: DisclosureSchedule;
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
 * `audited: false` when the caller audits the close itself (the approval of an early close).
 */
export async function announceClose(
  deps: ReviewCloseDeps,
  review: Pick<ModelReviewDoc, '_id'>,
  now: Date,
  options: { actor?: Extract<Viewer, { kind: 'member' }> | null; audited?: boolean } = {},
): Promise<ClosedReview | null> {
  const oldestFirst = { sort: [['createdAt', 1], ['_id', 1]] as const };
  const closed = await deps.events.recordingFacts('REVIEW', async () => {
    const seq = await deps.sequences.next('modelReviews');
    // The claim: of two announcements only one finds the review unannounced.
    const after = await deps.modelReviews.updateOne(
      { _id: review._id, cancelledAt: null, closeAnnouncedAt: null, closesAt: { $lte: now } },
      { $set: { closeAnnouncedAt: now, seq } },
    );
    if (!after) return { value: null, changes: [] };
    const restriction = findingRestriction(after);
    const reviewFacts = modelReviewFacts(after);
    const changes: FactsChange[] = [{ type: 'REVIEW_CLOSED', recordId: after._id, before: { ...reviewFacts, closesAt: null }, after: reviewFacts }];
    for (const notice of await deps.notices.find({ reviewId: after._id }, oldestFirst)) {
      const written = await settled(notice, restriction, deps.notices, () => deps.sequences.next('notices'));
      changes.push({ type: 'RELEASED', kind: 'NOTICE', recordId: notice._id, before: stillRestricted(factsOf(notice)), after: factsOf(written) });
    }
    const facts = (c: VulnerabilityDoc) => caseFacts(c, 'ALL', pocOut(c, deps.schedule, now));
    for (const kase of await deps.vulnerabilities.find({ reviewId: after._id }, oldestFirst)) {
      const written = await settled(kase, restriction, deps.vulnerabilities, () => deps.sequences.next('vulnerabilities'));
      changes.push({ type: 'RELEASED', kind: 'VULNERABILITY', recordId: kase._id, before: stillRestricted(facts(kase)), after: facts(written) });
    }
    return { value: { review: after, findings: changes.length - 1 }, changes };
  });
  if (closed && options.audited !== false) {
    const actor = options.actor ?? null;
    const when = closed.review.closesAt!.toISOString();
    await deps.audit.modelReviewStep('MODEL_REVIEW_CLOSED', actor, closed.review, `model review ${closed.review._id} closed at ${when}: ${closed.findings} finding(s) released`, {
      closesAt: when,
      by: actor ? 'APPROVAL' : 'SCHEDULE',
      findings: closed.findings,
    });
  }
  return closed;
}

/**
 * The finding with the review's restriction: as it is when it carries it already (a close on
 * schedule), else rewritten (an early close moved `closesAt`). Inside the announcement's commit,
 * so nothing writes the finding in between.
 */
async function settled<T extends NoticeDoc | VulnerabilityDoc>(
  doc: T,
  want: FindingRestriction,
  repo: { updateOne(filter: Record<string, unknown>, update: Record<string, Record<string, unknown>>): Promise<T | null> },
  nextSeq: () => Promise<number>,
): Promise<T> {
  const same = (doc.reviewReleaseAt?.getTime() ?? null) === (want.reviewReleaseAt?.getTime() ?? null) && sameMembers(doc.reviewAudience ?? [], want.reviewAudience);
  if (same) return doc;
  return (await repo.updateOne({ _id: doc._id, seq: doc.seq }, { $set: { ...want, seq: await nextSeq() } })) ?? doc;
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && b.every((m) => a.includes(m));
}

/** A finding's facts before its release: restricted whatever the time (`reviewReleaseAt` null, as for a review never released). */
function stillRestricted(facts: VisibilityFacts): VisibilityFacts {
  return { ...facts, reviewReleaseAt: null };
}

function pocOut(doc: VulnerabilityDoc, schedule: DisclosureSchedule, now: Date): boolean {
  const at = proofOfConceptReleaseAt(doc, schedule);
  return at !== null && at <= now;
}
