import { randomUUID } from 'node:crypto';
import { actorRefOf as actorOf } from '../domain/actor-ref-of.js';
import type { DisclosureSchedule } from '../domain/vulnerability-stage.js';
import { caseFacts } from '../domain/disclosure-facts.js';
import { factsOf } from '../domain/events.js';
import {
  findingRestriction,
  MODEL_REVIEW_LIMITS,
  modelReviewStatus,
  type FindingRestriction,
  type ModelReviewDoc,
  type ModelReviewInput,
  type ModelReviewView,
} from '../domain/model-review.js';
import { RECORD_LIMITS } from '../domain/record-limits.js';
import { memberStatus, type ApprovalChange, type ApprovalRequestDoc, type AuditAction, type AuditJson, type Member, type MemberTier } from '../domain/types.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import { proofOfConceptReleaseAt } from '../domain/vulnerability-stage.js';
import { badInput, forbidden, hubError, unauthenticated } from '../errors.js';
import { atLeast, isHubAdmin, mayManageReview, modelReviewFacts, modelReviewVisibility, redactModelReview, viewerId, type Viewer } from '../policy/policy.js';
import type { ModelReviewRepository, NoticeRepository, SequenceRepository, VulnerabilityRepository } from '../store/ports.js';
import { and, MODEL_REVIEW_LIST_ORDER, modelReviewFilter, modelReviewFindingsFilter } from '../store/queries.js';
import { clip } from '../util/clip.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import type { AuditService } from './audit-service.js';
import type { EventRecorder, FactsChange } from './event-recorder.js';
import { paginate, type Connection } from './paginate.js';
import { announceClose } from './review-close.js';
import type { ModelReviewFilter } from '../generated/graphql.js';

type MemberViewer = Extract<Viewer, { kind: 'member' }>;

/** The two-person requests about a review that the service asks the approval service for. */
export type ModelReviewApprovalKind = 'RESCHEDULE_MODEL_REVIEW' | 'CLOSE_MODEL_REVIEW';

/** What the review service asks of the approval service (they refer to each other: a getter). */
export interface ReviewApprovals {
  requestModelReviewChange(
    viewer: MemberViewer,
    kind: ModelReviewApprovalKind,
    review: Pick<ModelReviewDoc, '_id' | 'lab'>,
    change: ApprovalChange,
    expected: ApprovalChange,
    reason: string,
  ): Promise<ApprovalRequestDoc>;
  /** The open request of `kind` about a review, if any. */
  openModelReviewRequest(kind: ModelReviewApprovalKind, reviewId: string): Promise<ApprovalRequestDoc | null>;
}

export interface ModelReviewServiceDeps {
  reviews: ModelReviewRepository;
  /** The findings: notices and cases filed under a review (their restriction is rewritten on every change of it). */
  notices: Pick<NoticeRepository, 'find' | 'updateOne'>;
  vulnerabilities: Pick<VulnerabilityRepository, 'find' | 'updateOne'>;
  sequences: SequenceRepository;
  /** The members of the hub among some ids (never a PENDING one: `MemberService.getMany`), and every member (the default reviewers). */
  members: { getMany(ids: readonly string[]): Promise<Member[]>; list(): Promise<Member[]> };
  audit: AuditService;
  events: EventRecorder;
  /** Set once the approval service exists (they refer to each other). */
  approvals: () => ReviewApprovals;
  cursors: CursorCodec;
  /** `HUB_REVIEW_WINDOW`, ms: the shortest window a lab sets alone. */
  windowMs: number;
  /** `HUB_REVIEW_DEFAULT_TIER`: members at or above it review by default; null: none. */
  defaultTier: MemberTier | null;
  /** When a case's proof of concept is out (`HUB_POC_DELAY`): part of a case's event facts. */
  schedule: DisclosureSchedule;
  /** The clock changes are stamped and judged by. Default: the real one. */
  now?: () => Date;
  /** Makes the UUIDs of new ids. Default `crypto.randomUUID`. */
  randomUUID?: () => string;
}

/** How often a change re-reads and retries when a concurrent write moved the review (or a finding) first. */
const ATTEMPTS = 3;
const ID_PREFIX = 'x-model-review--';

/** A change of a review by its lab: what to set, how it is audited, and when its findings follow. */
interface Step {
  set: Partial<ModelReviewDoc>;
  audit: { action: AuditAction; summary: string; details: Record<string, AuditJson> };
  /**
   * Whether the change moves the findings' restriction (who reviews, when it closes, a
   * cancellation): then every finding is rewritten in the review's own commit, so that no reader
   * and no crash ever finds the review and its findings apart.
   */
  findings: boolean;
  /**
   * Whether `updatedAt` moves: only with a change every viewer of the review hears of. Who reviews
   * is shown to the lab, the reviewers and hub-admins only; an invitation or a removal moving the
   * date everyone sees once the review closed would tell them when the reviewer list changed.
   */
  touch: boolean;
}

/**
 * Pre-deployment model reviews (issue 14, docs/model-reviews.md): schedules them, changes their
 * reviewers and dates, closes (early, by approval) and cancels them, and keeps every finding's
 * restriction equal to its review. Each change is a compare-and-set on the review's `seq`,
 * written with its REVIEW event and its findings' rewrites (and their RELEASED events) in one
 * commit, then audited in the lab's log. Who
 * may do and see what is the policy's (`mayManageReview`, `modelReviewVisibility`,
 * `redactModelReview`); a caller who may not see a review gets NOT_FOUND exactly as for a missing id.
 */
export class ModelReviewService {
  private readonly now: () => Date;
  private readonly uuid: () => string;

  constructor(private readonly deps: ModelReviewServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  // ---- reads ----

  /** The reviews the viewer may see, matching `filter`, soonest deployment first. */
  async list(viewer: Viewer, args: { filter?: ModelReviewFilter | null; first?: number | null; after?: string | null }): Promise<Connection<ModelReviewDoc>> {
    const now = this.now();
    return paginate(this.deps.reviews, {
      visibility: modelReviewVisibility(viewer, now),
      filter: modelReviewFilter(args.filter, now),
      sort: MODEL_REVIEW_LIST_ORDER,
      first: args.first,
      after: args.after,
      // A cursor is bound to what its viewer may see: its member, and whether it is a hub-admin
      // (who sees every review, where another person of the same member does not).
      binding: `modelReviews|${viewerId(viewer)}|${isHubAdmin(viewer) ? 'hub-admin' : ''}`,
      codec: this.deps.cursors,
    });
  }

  /** The review when the viewer may see it; null when it is missing or hidden (the two look alike). */
  async get(viewer: Viewer, id: string): Promise<ModelReviewDoc | null> {
    if (!id.startsWith(ID_PREFIX)) return null;
    const [doc] = await this.deps.reviews.find(and({ _id: id }, modelReviewVisibility(viewer, this.now())));
    return doc ?? null;
  }

  /** The reviews with these ids that the viewer may see: one store call. */
  async byIds(viewer: Viewer, ids: readonly string[]): Promise<ModelReviewDoc[]> {
    const wanted = ids.filter((id) => id.startsWith(ID_PREFIX));
    if (wanted.length === 0) return [];
    return this.deps.reviews.find(and({ _id: { $in: wanted } }, modelReviewVisibility(viewer, this.now())));
  }

  /** The review as the viewer may see it now (`redactModelReview`); null when it may not. */
  view(viewer: Viewer, doc: ModelReviewDoc): ModelReviewView | null {
    return redactModelReview(doc, viewer, this.now());
  }

  // ---- the lab's changes ----

  /** Schedules a review of the caller's member's model: every ACTIVE member at HUB_REVIEW_DEFAULT_TIER or above reviews, plus `reviewerIds`. */
  async schedule(viewer: Viewer, input: ModelReviewInput): Promise<ModelReviewDoc> {
    const actor = assertManager(viewer, 'scheduleModelReview');
    const now = this.now();
    const model = checkModel(input.model);
    const planned = input.plannedDeploymentAt;
    const earliest = now.getTime() + this.deps.windowMs;
    if (!(planned instanceof Date) || planned.getTime() < earliest) {
      throw badInput(`plannedDeploymentAt must leave at least the review window (${days(this.deps.windowMs)}) from now: ${new Date(earliest).toISOString()} or later`, 'input.plannedDeploymentAt');
    }
    const latestOpening = planned.getTime() - this.deps.windowMs;
    if (input.windowOpensAt != null && input.windowOpensAt.getTime() > latestOpening) {
      throw badInput(`windowOpensAt must be ${new Date(latestOpening).toISOString()} (plannedDeploymentAt minus ${days(this.deps.windowMs)}) or earlier`, 'input.windowOpensAt');
    }
    // An opening already past opens the window now: a window does not start before its review exists.
    const windowOpensAt = new Date(Math.max(input.windowOpensAt?.getTime() ?? latestOpening, now.getTime()));
    const description = optionalText(input.description, 'input.description', MODEL_REVIEW_LIMITS.description);
    const asked = [...new Set(input.reviewerIds ?? [])];
    if (asked.length > MODEL_REVIEW_LIMITS.invitesPerCall) throw badInput(`reviewerIds holds at most ${MODEL_REVIEW_LIMITS.invitesPerCall} ids (got ${asked.length})`, 'input.reviewerIds');
    await this.assertInvitable(actor.memberId, asked, 'input.reviewerIds');
    const defaults = await this.defaultReviewers(actor.memberId);
    const invited = asked.filter((id) => !defaults.includes(id));
    const reviewers = [...defaults, ...invited];
    if (reviewers.length > MODEL_REVIEW_LIMITS.reviewers) {
      throw badInput(`a review has at most ${MODEL_REVIEW_LIMITS.reviewers} reviewers (the default tier's members and those invited: ${reviewers.length})`, 'input.reviewerIds');
    }
    const doc: ModelReviewDoc = {
      _id: `${ID_PREFIX}${this.uuid()}`,
      model,
      description,
      lab: actor.memberId,
      scheduledBy: actorOf(actor),
      plannedDeploymentAt: planned,
      windowOpensAt,
      closesAt: planned,
      cancelledAt: null,
      cancelReason: null,
      reviewers,
      invited,
      summaryPublic: input.publicSummary ?? false,
      closeAnnouncedAt: null,
      createdAt: now,
      updatedAt: now,
      seq: await this.nextSeq(),
    };
    await this.deps.events.recordingFacts('REVIEW', async () => {
      await this.deps.reviews.insert(doc);
      return { value: undefined, changes: [{ type: 'PUBLISHED' as const, recordId: doc._id, before: null, after: modelReviewFacts(doc) }] };
    });
    await this.deps.audit.modelReviewStep('MODEL_REVIEW_SCHEDULED', actor, doc, `scheduled model review ${doc._id}`, {
      plannedDeploymentAt: iso(planned),
      windowOpensAt: iso(windowOpensAt),
      reviewers: reviewers.length,
      invited,
      summaryPublic: doc.summaryPublic,
    });
    return doc;
  }

  /** Invites members of any tier as reviewers, while the review is neither closed nor cancelled. */
  async invite(viewer: Viewer, reviewId: string, memberIds: readonly string[]): Promise<ModelReviewDoc> {
    const actor = assertManager(viewer, 'inviteReviewers');
    const ids = idList(memberIds);
    return this.step(actor, reviewId, async (doc, now) => {
      assertChangeable(doc, now, 'invited to');
      await this.assertInvitable(doc.lab, ids, 'memberIds');
      const added = ids.filter((id) => !doc.reviewers.includes(id));
      if (added.length === 0) return null;
      const reviewers = [...doc.reviewers, ...added];
      if (reviewers.length > MODEL_REVIEW_LIMITS.reviewers) throw badInput(`a review has at most ${MODEL_REVIEW_LIMITS.reviewers} reviewers (this would make ${reviewers.length})`, 'memberIds');
      return {
        set: { reviewers, invited: [...doc.invited, ...added] },
        audit: { action: 'MODEL_REVIEW_REVIEWERS_INVITED', summary: `invited ${added.length} reviewer(s) to model review ${doc._id}`, details: { added } },
        findings: true,
        touch: false,
      };
    });
  }

  /** Removes reviewers the lab invited (the default tier's stay), until the review closes. */
  async remove(viewer: Viewer, reviewId: string, memberIds: readonly string[]): Promise<ModelReviewDoc> {
    const actor = assertManager(viewer, 'removeReviewers');
    const ids = idList(memberIds);
    return this.step(actor, reviewId, (doc, now) => {
      if (modelReviewStatus(doc, now) === 'CLOSED') throw hubError('INVALID_TRANSITION', 'the review is CLOSED: its findings are released, its reviewers stay as they were', 'reviewId');
      const notInvited = ids.find((id) => !doc.invited.includes(id));
      if (notInvited !== undefined) {
        throw badInput(`"${clip(notInvited)}" is not a reviewer the lab invited: only those may be removed (the default tier's members stay)`, 'memberIds');
      }
      return {
        set: { reviewers: doc.reviewers.filter((id) => !ids.includes(id)), invited: doc.invited.filter((id) => !ids.includes(id)) },
        audit: { action: 'MODEL_REVIEW_REVIEWERS_REMOVED', summary: `removed ${ids.length} reviewer(s) from model review ${doc._id}`, details: { removed: [...ids] } },
        findings: true,
        touch: false,
      };
    });
  }

  /**
   * Moves the planned deployment (and so the close). A window not yet open keeps its length (its
   * opening moves with the deployment, never before now); an open window's opening stays.
   * Bringing deployment forward so that the window is shorter than HUB_REVIEW_WINDOW is
   * APPROVAL_REQUIRED: a RESCHEDULE_MODEL_REVIEW request another person decides.
   */
  async reschedule(viewer: Viewer, reviewId: string, plannedDeploymentAt: Date, reason: string): Promise<ModelReviewDoc> {
    const actor = assertManager(viewer, 'rescheduleModelReview');
    const why = requiredText(reason, 'reason', MODEL_REVIEW_LIMITS.reason);
    let pending: ModelReviewDoc | null = null;
    const done = await this.step(actor, reviewId, (doc, now) => {
      assertChangeable(doc, now, 'rescheduled');
      if (plannedDeploymentAt.getTime() <= now.getTime()) throw badInput('plannedDeploymentAt must be in the future', 'plannedDeploymentAt');
      if (plannedDeploymentAt.getTime() === doc.plannedDeploymentAt.getTime()) throw badInput('that is the planned deployment already', 'plannedDeploymentAt');
      const windowOpensAt = movedOpening(doc, plannedDeploymentAt, now);
      const forward = plannedDeploymentAt < doc.plannedDeploymentAt;
      if (forward && plannedDeploymentAt.getTime() - windowOpensAt.getTime() < this.deps.windowMs) {
        pending = doc;
        return null;
      }
      return this.rescheduling(doc, plannedDeploymentAt, windowOpensAt, 'LAB');
    });
    if (!pending) return done;
    const doc: ModelReviewDoc = pending;
    const now = this.now();
    const windowOpensAt = movedOpening(doc, plannedDeploymentAt, now);
    const request = await this.deps.approvals().requestModelReviewChange(
      actor,
      'RESCHEDULE_MODEL_REVIEW',
      doc,
      { plannedDeploymentAt, windowOpensAt },
      { plannedDeploymentAt: doc.plannedDeploymentAt, windowOpensAt: doc.windowOpensAt },
      why,
    );
    throw approvalRequired(
      `bringing deployment forward to ${plannedDeploymentAt.toISOString()} leaves a window shorter than ${days(this.deps.windowMs)}: request ${request._id} awaits another person of the lab holding approver (or a hub-admin)`,
      'plannedDeploymentAt',
      request._id,
    );
  }

  /** Closing before the planned deployment is always APPROVAL_REQUIRED (CLOSE_MODEL_REVIEW); at plannedDeploymentAt the hub closes it itself. */
  async close(viewer: Viewer, reviewId: string): Promise<never> {
    const actor = assertManager(viewer, 'closeModelReview');
    const doc = await this.manageable(actor, reviewId);
    assertChangeable(doc, this.now(), 'closed');
    const approvals = this.deps.approvals();
    const request =
      (await approvals.openModelReviewRequest('CLOSE_MODEL_REVIEW', doc._id)) ??
      (await approvals.requestModelReviewChange(actor, 'CLOSE_MODEL_REVIEW', doc, {}, { plannedDeploymentAt: doc.plannedDeploymentAt }, `close model review ${doc._id} before its planned deployment`));
    throw approvalRequired(
      `closing before the planned deployment (${doc.plannedDeploymentAt.toISOString()}) releases the findings early: request ${request._id} awaits another person of the lab holding approver (or a hub-admin)`,
      'reviewId',
      request._id,
    );
  }

  /** The model will not ship: cancelled for good; its findings stay restricted forever and its summary is never released. */
  async cancel(viewer: Viewer, reviewId: string, reason: string): Promise<ModelReviewDoc> {
    const actor = assertManager(viewer, 'cancelModelReview');
    const why = requiredText(reason, 'reason', MODEL_REVIEW_LIMITS.reason);
    return this.step(actor, reviewId, (doc, now) => {
      assertChangeable(doc, now, 'cancelled');
      return {
        set: { cancelledAt: now, cancelReason: why, closesAt: null },
        audit: { action: 'MODEL_REVIEW_CANCELLED', summary: `cancelled model review ${doc._id}`, details: { status: modelReviewStatus(doc, now) } },
        findings: true,
        touch: true,
      };
    });
  }

  /** Releases the summary to anonymous callers from the close on (they then see the closed review too). Never taken back. */
  async releaseSummary(viewer: Viewer, reviewId: string): Promise<ModelReviewDoc> {
    const actor = assertManager(viewer, 'releaseModelReviewSummary');
    return this.step(actor, reviewId, (doc, now) => {
      if (doc.cancelledAt !== null) throw hubError('INVALID_TRANSITION', 'the review is CANCELLED: its summary is never released', 'reviewId');
      if (doc.summaryPublic) return null;
      return {
        set: { summaryPublic: true },
        audit: { action: 'MODEL_REVIEW_SUMMARY_RELEASED', summary: `released the summary of model review ${doc._id} to anonymous callers`, details: { status: modelReviewStatus(doc, now) } },
        findings: false,
        touch: true,
      };
    });
  }

  // ---- approvals (ApprovalService.approve) ----

  /**
   * Applies an approved RESCHEDULE_MODEL_REVIEW or CLOSE_MODEL_REVIEW if the review is still as
   * the request found it (`expected`); null when it is not (then nothing was changed).
   */
  async applyApproved(request: ApprovalRequestDoc, approver: MemberViewer): Promise<{ before: ApprovalChange; after: ApprovalChange } | null> {
    const expected = request.expected;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const now = this.now();
      const [doc] = await this.deps.reviews.find({ _id: request.target.id });
      if (!doc || !['SCHEDULED', 'OPEN'].includes(modelReviewStatus(doc, now))) return null;
      if (doc.plannedDeploymentAt.getTime() !== expected.plannedDeploymentAt?.getTime()) return null;
      if (request.kind === 'RESCHEDULE_MODEL_REVIEW') {
        const planned = request.change.plannedDeploymentAt!;
        if (doc.windowOpensAt.getTime() !== expected.windowOpensAt?.getTime() || planned.getTime() <= now.getTime()) return null;
        // The opening is judged at the approval: a window that opened meanwhile keeps its opening.
        const windowOpensAt = movedOpening(doc, planned, now);
        const step = this.rescheduling(doc, planned, windowOpensAt, 'APPROVAL');
        const written = await this.write(doc, step, now, 'UPDATED');
        if (!written) continue;
        return {
          before: { plannedDeploymentAt: doc.plannedDeploymentAt, windowOpensAt: doc.windowOpensAt },
          after: { plannedDeploymentAt: written.plannedDeploymentAt, windowOpensAt: written.windowOpensAt },
        };
      }
      // CLOSE_MODEL_REVIEW: closes now, the findings' restriction with it (one commit). Neither
      // records an event of its own: the close's announcement (`announceClose`, the ReviewWatcher's,
      // right after; or the watcher's own after a crash in between, the review being due and
      // unannounced) records REVIEW_CLOSED and each finding's RELEASED, and the audit entry
      // MODEL_REVIEW_CLOSED with the approver as its actor.
      const step: Step = { set: { closesAt: now }, audit: { action: 'MODEL_REVIEW_CLOSED', summary: '', details: {} }, findings: true, touch: true };
      const written = await this.write(doc, step, now, null, false);
      if (!written) continue;
      const { reviews, notices, vulnerabilities, sequences, events, audit, schedule } = this.deps;
      await announceClose({ modelReviews: reviews, notices, vulnerabilities, sequences, events, audit, schedule }, written, now, { actor: approver });
      return { before: { plannedDeploymentAt: doc.plannedDeploymentAt }, after: { plannedDeploymentAt: written.plannedDeploymentAt } };
    }
    return null;
  }

  // ---- the findings ----

  /**
   * Brings every finding (the notices and cases filed under the review) in line with the review as
   * it is, in one commit with their RELEASED events: what each change of the review does in its own
   * commit (`write`), for a repair (an operator's tool, a test). Answers how many were rewritten.
   */
  async syncFindings(review: ModelReviewDoc): Promise<number> {
    return this.deps.events.recordingFacts('REVIEW', async () => {
      const changes = await this.rewriteFindings(review, true);
      return { value: changes.rewritten, changes: changes.events };
    });
  }

  // ---- internals ----

  private rescheduling(doc: ModelReviewDoc, plannedDeploymentAt: Date, windowOpensAt: Date, by: 'LAB' | 'APPROVAL'): Step {
    return {
      set: { plannedDeploymentAt, windowOpensAt, closesAt: plannedDeploymentAt },
      audit: {
        action: 'MODEL_REVIEW_RESCHEDULED',
        summary: `rescheduled model review ${doc._id} to ${plannedDeploymentAt.toISOString()}`,
        details: {
          plannedDeploymentAt: { from: iso(doc.plannedDeploymentAt), to: iso(plannedDeploymentAt) },
          windowOpensAt: { from: iso(doc.windowOpensAt), to: iso(windowOpensAt) },
          by,
        },
      },
      findings: true,
      touch: true,
    };
  }

  /**
   * One change by the lab: read the review as the viewer may see it (NOT_FOUND otherwise), check
   * the viewer manages it (FORBIDDEN), judge it, write it as a compare-and-set on its `seq` with its
   * event, rewrite its findings, audit it. A lost race re-reads and re-judges; `judge` answering
   * null writes nothing and returns the review as read.
   */
  private async step(viewer: MemberViewer, id: string, judge: (doc: ModelReviewDoc, now: Date) => Step | null | Promise<Step | null>): Promise<ModelReviewDoc> {
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      const doc = await this.manageable(viewer, id);
      const step = await judge(doc, now);
      if (!step) return doc;
      const written = await this.write(doc, step, now, 'UPDATED');
      if (written) {
        await this.deps.audit.modelReviewStep(step.audit.action, viewer, written, step.audit.summary, step.audit.details);
        return written;
      }
      if (attempt >= ATTEMPTS) {
        throw hubError('INVALID_TRANSITION', 'the review changed meanwhile, repeatedly: read it again and retry', 'reviewId');
      }
    }
  }

  /**
   * The compare-and-set, its event (none for `event` null), and, when the step moves the findings'
   * restriction, every finding rewritten with its RELEASED event (none for `findingEvents` false),
   * all in one commit; null, with nothing written, when the review moved on.
   *
   * A filing racing the change is settled by the filer (`ReviewFindings.settle` re-reads the review
   * after its insert): either this commit sees the new finding, or the filer's re-read sees this
   * commit's review.
   */
  private async write(doc: ModelReviewDoc, step: Step, now: Date, event: 'UPDATED' | null, findingEvents = true): Promise<ModelReviewDoc | null> {
    const seq = await this.nextSeq();
    return this.deps.events.recordingFacts('REVIEW', async () => {
      const after = await this.deps.reviews.updateOne({ _id: doc._id, seq: doc.seq }, { $set: { ...step.set, ...(step.touch ? { updatedAt: now } : {}), seq } });
      if (!after) return { value: null, changes: [] };
      const changes: FactsChange[] = event ? [{ type: event, recordId: doc._id, before: modelReviewFacts(doc), after: modelReviewFacts(after) }] : [];
      if (step.findings) changes.push(...(await this.rewriteFindings(after, findingEvents)).events);
      return { value: after, changes };
    });
  }

  /**
   * Inside a commit: rewrites the restriction of every finding of `review` that differs from
   * `findingRestriction(review)` (compare-and-set on its `seq`, a new `seq` as with every write),
   * each with a RELEASED event of its facts before and after when `events`: those the change newly
   * reaches hear of it (an invited reviewer, everyone at an approved earlier close), those who saw
   * it before hear nothing.
   *
   * A finding's `updatedAt` does not move: notices and cases are listed (and TAXII pages them) by
   * `updatedAt`, so moving it would reorder lists and skip or repeat items under open cursors, and
   * tell every viewer of a finding when its review's audience changed, which only the review's
   * insiders hear of.
   */
  private async rewriteFindings(review: ModelReviewDoc, events: boolean): Promise<{ rewritten: number; events: FactsChange[] }> {
    const restriction = findingRestriction(review);
    const findings = modelReviewFindingsFilter(review._id);
    const out: FactsChange[] = [];
    let rewritten = 0;
    const caseFactsOf = (d: VulnerabilityDoc) => caseFacts(d, 'ALL', this.pocOut(d));
    for (let doc of await this.deps.notices.find(findings)) {
      for (let attempt = 1; !sameRestriction(doc, restriction); attempt++) {
        const after = await this.deps.notices.updateOne({ _id: doc._id, seq: doc.seq }, { $set: { ...restriction, seq: await this.deps.sequences.next('notices') } });
        if (after) {
          rewritten++;
          if (events) out.push({ type: 'RELEASED', kind: 'NOTICE', recordId: doc._id, before: factsOf(doc), after: factsOf(after) });
          break;
        }
        // Its publisher changed it meanwhile (a store without transactions): judged again as it is.
        const [fresh] = await this.deps.notices.find({ _id: doc._id });
        if (!fresh || fresh.reviewId !== review._id) break;
        if (attempt >= ATTEMPTS) throw findingChanged(doc._id);
        doc = fresh;
      }
    }
    for (let doc of await this.deps.vulnerabilities.find(findings)) {
      for (let attempt = 1; !sameRestriction(doc, restriction); attempt++) {
        // A case's every write sets a new `seq` (VulnerabilityRepository.updateOne).
        const after = await this.deps.vulnerabilities.updateOne({ _id: doc._id, seq: doc.seq }, { $set: { ...restriction, seq: await this.deps.sequences.next('vulnerabilities') } });
        if (after) {
          rewritten++;
          if (events) out.push({ type: 'RELEASED', kind: 'VULNERABILITY', recordId: doc._id, before: caseFactsOf(doc), after: caseFactsOf(after) });
          break;
        }
        const [fresh] = await this.deps.vulnerabilities.find({ _id: doc._id });
        if (!fresh || fresh.reviewId !== review._id) break;
        if (attempt >= ATTEMPTS) throw findingChanged(doc._id);
        doc = fresh;
      }
    }
    return { rewritten, events: out };
  }

  /** The review when the viewer may see it (NOT_FOUND, as for a missing id, otherwise) and manage it (FORBIDDEN otherwise). */
  private async manageable(viewer: MemberViewer, id: string): Promise<ModelReviewDoc> {
    const doc = await this.get(viewer, id);
    if (!doc) throw hubError('NOT_FOUND', `no model review with id "${clip(id)}"`, 'reviewId');
    if (!mayManageReview(viewer, doc)) throw forbidden("only the lab's publishers and member-admins change a model review");
    return doc;
  }

  /** Refuses ids that are not members of the hub (a PENDING registration answers as an unknown id), and the lab itself. */
  private async assertInvitable(lab: string, ids: readonly string[], field: string): Promise<void> {
    if (ids.includes(lab)) throw badInput('the lab does not review its own model: it sees the review and its findings anyway', field);
    const known = new Set((await this.deps.members.getMany(ids)).map((m) => m._id));
    const unknown = ids.find((id) => !known.has(id));
    if (unknown !== undefined) throw badInput(`no member with id "${clip(unknown)}"`, field);
  }

  /** Every ACTIVE member at or above the default tier, the lab and peer hubs aside, in id order. */
  private async defaultReviewers(lab: string): Promise<string[]> {
    const tier = this.deps.defaultTier;
    if (tier === null) return [];
    const members = await this.deps.members.list();
    return members
      // Not a peer hub (kind HUB): another hub is no reviewer, and the policy shows it no review before its close.
      .filter((m) => m._id !== lab && m.kind !== 'HUB' && memberStatus(m) === 'ACTIVE' && atLeast(m.tier, tier))
      .map((m) => m._id)
      .sort();
  }

  private pocOut(doc: VulnerabilityDoc): boolean {
    const at = proofOfConceptReleaseAt(doc, this.deps.schedule);
    return at !== null && at <= this.now();
  }

  private nextSeq(): Promise<number> {
    return this.deps.sequences.next('modelReviews');
  }
}

/**
 * The caller, when it would manage a review of its own member (`mayManageReview`: its roles),
 * else UNAUTHENTICATED or FORBIDDEN: judged before anything is read, so that the refusal is the
 * same whether or not the review exists.
 */
function assertManager(viewer: Viewer, step: string): MemberViewer {
  if (viewer.kind === 'anonymous') throw unauthenticated(`${step} needs a token`);
  if (!mayManageReview(viewer, { lab: viewer.memberId })) throw forbidden(`${step} needs the publisher or member-admin role`);
  return viewer;
}

/** A review is changed (invited to, rescheduled, closed, cancelled) only while SCHEDULED or OPEN. */
function assertChangeable(doc: ModelReviewDoc, now: Date, verb: string): void {
  const status = modelReviewStatus(doc, now);
  if (status === 'CLOSED' || status === 'CANCELLED') throw hubError('INVALID_TRANSITION', `the review is ${status}: it can no longer be ${verb}`, 'reviewId');
}

/** Where a window opens when deployment moves to `planned`: an open window stays open from when it opened; one not open yet keeps its length, opening no earlier than now. */
export function movedOpening(doc: Pick<ModelReviewDoc, 'windowOpensAt' | 'plannedDeploymentAt'>, planned: Date, now: Date): Date {
  if (doc.windowOpensAt.getTime() <= now.getTime()) return doc.windowOpensAt;
  const moved = doc.windowOpensAt.getTime() + (planned.getTime() - doc.plannedDeploymentAt.getTime());
  return new Date(Math.max(moved, now.getTime()));
}

function sameRestriction(doc: { reviewId?: string | null; reviewAudience?: string[]; reviewReleaseAt?: Date | null }, r: FindingRestriction): boolean {
  const audience = doc.reviewAudience ?? [];
  return (
    doc.reviewId === r.reviewId &&
    audience.length === r.reviewAudience.length &&
    audience.every((m, i) => m === r.reviewAudience[i]) &&
    (doc.reviewReleaseAt?.getTime() ?? null) === (r.reviewReleaseAt?.getTime() ?? null)
  );
}

function checkModel(model: ModelReviewInput['model']): ModelReviewDoc['model'] {
  const name = model.name.trim();
  const developer = model.developer.trim();
  const version = model.version?.trim() || null;
  if (!name || !developer) throw badInput('model.name and model.developer must not be empty', 'input.model');
  if (name.length > RECORD_LIMITS.modelNameChars || developer.length > RECORD_LIMITS.modelNameChars || (version?.length ?? 0) > RECORD_LIMITS.modelVersionChars) {
    throw badInput(`model.name and model.developer must be at most ${RECORD_LIMITS.modelNameChars} characters, model.version ${RECORD_LIMITS.modelVersionChars}`, 'input.model');
  }
  return { name, developer, version };
}

function idList(ids: readonly string[]): string[] {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw badInput('memberIds must name at least one member', 'memberIds');
  if (unique.length > MODEL_REVIEW_LIMITS.invitesPerCall) throw badInput(`memberIds holds at most ${MODEL_REVIEW_LIMITS.invitesPerCall} ids (got ${unique.length})`, 'memberIds');
  return unique;
}

function requiredText(value: string | null | undefined, field: string, max: number): string {
  const text = value?.trim() ?? '';
  if (text.length < 1 || text.length > max) throw badInput(`${field} must be 1 to ${max} characters`, field);
  return text;
}

function optionalText(value: string | null | undefined, field: string, max: number): string | null {
  if (value == null || value.trim() === '') return null;
  if (value.trim().length > max) throw badInput(`${field.replace(/^input\./, '')} must be at most ${max} characters`, field);
  return value.trim();
}

function findingChanged(id: string) {
  return hubError('INVALID_TRANSITION', `a finding of the review (${id}) changed meanwhile, repeatedly: retry`, 'reviewId');
}

function approvalRequired(message: string, field: string, requestId: string) {
  const err = hubError('APPROVAL_REQUIRED', message, field);
  (err.extensions as Record<string, unknown>).requestId = requestId;
  return err;
}

const days = (ms: number): string => (ms % 86_400_000 === 0 ? `${ms / 86_400_000} days` : `${Math.round(ms / 1000)} s`);
const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
