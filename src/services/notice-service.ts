import { clip } from '../util/clip.js';
import { withId } from '../domain/with-id.js';
import type { EventRecorder } from './event-recorder.js';
import { createHash, randomUUID } from 'node:crypto';
import type { RecordOrigin } from '../domain/peer.js';
import { canTransition, isAtlasTechnique, isOwaspLlm2025 } from '../domain/notice-rules.js';
import { severityRank, TLPS, type NoticeDoc, type NoticeInput, type NoticeStatus, type Tlp } from '../domain/types.js';
import { badInput, forbidden, hubError } from '../errors.js';
import { RECORD_LIMITS } from '../domain/record-limits.js';
import { assertRole, noticeVisibility, ownsRecord, viewerId, type Viewer } from '../policy/policy.js';
import type { NoticeRepository, SequenceRepository } from '../store/ports.js';
import { and, noticeFilter, sortFor } from '../store/queries.js';
import type { QueryModelRiskNoticesArgs } from '../generated/graphql.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import type { AuditService } from './audit-service.js';
import type { IndicatorService } from './indicator-service.js';
import type { MemberService } from './member-service.js';
import { unknownRecipientMessage, type CommunityService } from './community-service.js';
import { paginate, type Connection } from './paginate.js';
import type { ReviewFindings } from './review-findings.js';

export interface NoticeServiceDeps {
  notices: NoticeRepository;
  sequences: SequenceRepository;
  members: MemberService;
  /** Which recipients a publisher may name (members, and its own communities). */
  communities: Pick<CommunityService, 'knownRecipients'>;
  indicators: IndicatorService;
  cursors: CursorCodec;
  /** Where publishes, updates and status changes are recorded. */
  audit: AuditService;
  /** Where subscribers hear of them. */
  events: EventRecorder;
  /** Files a notice published with `reviewId` under its model review (who may, the restriction it carries). */
  reviews: Pick<ReviewFindings, 'restrictionForFiling' | 'settle'>;
  now?: () => Date;
  /** Makes the UUIDs of new ids. Default `crypto.randomUUID` (tests make them deterministic). */
  randomUUID?: () => string;
}

/** A partial update of a notice: every field optional, null clears an optional field. */
export type NoticePatch = Partial<Omit<NoticeInput, 'status'>>;

const TEXT_LIMITS = { title: 200, summary: 4_000, mitigations: 20_000, technicalDetails: 50_000, evaluationEvidence: 50_000 } as const;
const tlpRank = (tlp: NoticeDoc['tlp']) => TLPS.indexOf(tlp);
/** Fields every notice has: an update may change them but not clear them with null. */
const REQUIRED_FIELDS = ['title', 'summary', 'model', 'category', 'severity', 'tlp'] as const;

/** Publishes, updates and moves model-risk notices through their review lifecycle. */
export class NoticeService {
  private readonly now: () => Date;
  private readonly uuid: () => string;

  constructor(private readonly deps: NoticeServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  async list(
    viewer: Viewer,
    args: QueryModelRiskNoticesArgs,
  ): Promise<Connection<NoticeDoc>> {
    const order = args.orderBy ?? { field: 'UPDATED_AT', direction: 'DESC' };
    const now = this.now();
    return paginate(this.deps.notices, {
      visibility: noticeVisibility(viewer, now),
      filter: noticeFilter(args.filter, now),
      sort: sortFor(order.field, order.direction),
      first: args.first,
      after: args.after,
      binding: `notices|${viewerId(viewer)}|${order.field}|${order.direction}`,
      codec: this.deps.cursors,
    });
  }

  async byIds(viewer: Viewer, ids: readonly string[]): Promise<NoticeDoc[]> {
    if (ids.length === 0) return [];
    return this.deps.notices.find(and({ _id: { $in: [...ids] } }, noticeVisibility(viewer, this.now())));
  }

  async publish(viewer: Viewer, input: NoticeInput): Promise<NoticeDoc> {
    assertRole(viewer, 'publisher');
    const now = this.now();
    const status = input.status ?? 'DRAFT';
    if (!['DRAFT', 'UNDER_REVIEW', 'PUBLISHED'].includes(status)) {
      throw badInput('a new notice starts as DRAFT, UNDER_REVIEW or PUBLISHED', 'input.status');
    }
    const fields = await this.validate(viewer, input, now);
    // A finding of a model review: restricted to the review's lab and reviewers until it closes.
    const restriction = input.reviewId != null ? await this.deps.reviews.restrictionForFiling(viewer, input.reviewId) : null;
    let doc: NoticeDoc = {
      ...withId(`x-model-risk-notice--${this.uuid()}`),
      ...fields,
      ...restriction,
      status,
      source: viewer.memberId,
      createdAt: now,
      updatedAt: now,
      seq: await this.deps.sequences.next('notices'),
    };
    // The notice and its PUBLISHED event commit together where the store can.
    await this.deps.events.recording('NOTICE', async () => {
      await this.deps.notices.insert(doc);
      return { value: undefined, changes: [{ type: 'PUBLISHED', doc }] };
    });
    if (restriction) doc = await this.deps.reviews.settle('NOTICE', doc);
    await this.deps.audit.noticePublished(viewer, doc);
    return doc;
  }

  /**
   * Changes a notice's content. Loosening its sharing (a lower TLP, fewer recipients, an earlier
   * end of embargo) is a sensitive action that needs a second person, so it is refused here.
   */
  async update(viewer: Viewer, id: string, patch: NoticePatch): Promise<NoticeDoc> {
    assertRole(viewer, 'publisher');
    const current = await this.owned(viewer, id);
    const now = this.now();
    for (const field of REQUIRED_FIELDS) {
      if ((patch as Record<string, unknown>)[field] === null) throw badInput(`${field} cannot be cleared; omit it to keep its value`, `input.${field}`);
    }
    const merged: NoticeInput = { ...current, ...stripUndefined(patch), status: current.status } as NoticeInput;
    const fields = await this.validate(viewer, merged, now, current);
    if (tlpRank(fields.tlp) < tlpRank(current.tlp)) {
      throw hubError('APPROVAL_REQUIRED', 'lowering a TLP needs a second person\'s approval: ask with requestTlpChange(recordId, tlp, reason)', 'input.tlp');
    }
    if (current.recipients.some((r) => !fields.recipients.includes(r)) && fields.tlp === 'RED') {
      throw hubError('APPROVAL_REQUIRED', 'removing recipients needs a second person\'s approval: ask with requestRecipientsChange(recordId, recipients, reason)', 'input.recipients');
    }
    if (current.embargoUntil && current.embargoUntil > now && (!fields.embargoUntil || fields.embargoUntil < current.embargoUntil)) {
      throw hubError('APPROVAL_REQUIRED', 'ending an embargo early needs a second person\'s approval: ask with requestEmbargoLift(noticeId, embargoUntil, reason)', 'input.embargoUntil');
    }
    const updated = await this.writeRecorded(id, viewer.memberId, { ...fields, updatedAt: now }, current);
    const changed = Object.keys(fields).filter(
      (k) => k !== 'severityRank' && JSON.stringify(fields[k as keyof typeof fields]) !== JSON.stringify(current[k as keyof NoticeDoc]),
    );
    await this.deps.audit.noticeUpdated(viewer, id, changed);
    return updated;
  }

  async changeStatus(viewer: Viewer, id: string, status: NoticeStatus): Promise<NoticeDoc> {
    assertRole(viewer, 'publisher');
    const current = await this.owned(viewer, id);
    if (current.status === status) return current;
    if (!canTransition(current.status, status)) {
      throw hubError('INVALID_TRANSITION', `a ${current.status} notice cannot become ${status}`, 'status');
    }
    const updated = await this.writeRecorded(id, viewer.memberId, { status, updatedAt: this.now() }, current);
    await this.deps.audit.noticeStatusChanged(viewer, id, current.status, status);
    return updated;
  }

  /**
   * For ApprovalService only (the approval is the authorisation): sets a notice's TLP,
   * recipients or embargo end if those still are `expected` (compare-and-set in one store call).
   * Returns the notice before and after, or null when it is gone or has moved on. The caller
   * records the UPDATED event (ApprovalService.approve: in the transaction that claims the approval).
   */
  async applyApprovedSharing(
    id: string,
    expected: { tlp?: Tlp; recipients?: string[]; embargoUntil?: Date | null },
    set: { tlp?: Tlp; recipients?: string[]; embargoUntil?: Date | null },
  ): Promise<{ before: NoticeDoc; after: NoticeDoc } | null> {
    const guard = { _id: id, ...stripUndefined(expected) };
    const [before] = await this.deps.notices.find(guard);
    if (!before) return null;
    const seq = await this.deps.sequences.next('notices');
    const after = await this.deps.notices.updateOne(guard, { $set: { ...stripUndefined(set), updatedAt: this.now(), seq } });
    return after ? { before, after } : null;
  }

  /**
   * Stores a notice a peer hub sent (src/federation/peer-puller.ts) as the peer member's
   * (`source`), validated as `publishModelRiskNotice` validates, with its provenance. Its id here
   * is derived from (peer, origin hub, origin id), so that a notice is one document however often
   * it arrives; idempotent on its origin version (a replay writes nothing). An embargo already
   * over when it arrives is stored as none (the peer sends a notice only once its embargo ended);
   * links to indicators are the origin's ids and are not kept. PUBLISHED when new, else UPDATED
   * (the alert verdict makes that RELEASED for viewers it newly reaches).
   */
  async receive(source: string, item: { input: NoticeInput; status: NoticeStatus; origin: RecordOrigin }): Promise<'CREATED' | 'UPDATED' | 'UNCHANGED'> {
    const now = this.now();
    const id = `x-model-risk-notice--${receivedUuid(source, item.origin.hub, item.origin.id)}`;
    const [current] = await this.deps.notices.find({ _id: id });
    if (current?.origin && current.origin.version >= item.origin.version) return 'UNCHANGED';
    const peer: Viewer = { kind: 'member', memberId: source, userId: `peer:${source}`, roles: ['publisher'], tier: 'COMMUNITY' };
    const embargoUntil = item.input.embargoUntil && item.input.embargoUntil > now ? item.input.embargoUntil : null;
    const fields = await this.validate(peer, { ...item.input, embargoUntil, relatedIndicatorIds: [], recipients: [] }, now, current);
    if (current) {
      await this.writeRecorded(id, source, { ...fields, status: item.status, origin: item.origin, updatedAt: now }, current);
      return 'UPDATED';
    }
    const doc: NoticeDoc = { ...withId(id), ...fields, status: item.status, source, origin: item.origin, createdAt: now, updatedAt: now, seq: await this.deps.sequences.next('notices') };
    await this.deps.events.recording('NOTICE', async () => {
      await this.deps.notices.insert(doc);
      return { value: undefined, changes: [{ type: 'PUBLISHED', doc }] };
    });
    return 'CREATED';
  }

  /** Writes the owner's change and its UPDATED event, committed together where the store can. */
  private async writeRecorded(id: string, source: string, set: Partial<NoticeDoc>, before: NoticeDoc): Promise<NoticeDoc> {
    const seq = await this.deps.sequences.next('notices');
    const updated = await this.deps.events.recording('NOTICE', async () => {
      const after = await this.deps.notices.updateOne({ _id: id, source }, { $set: { ...set, seq } });
      return { value: after, changes: after ? [{ type: 'UPDATED' as const, doc: after, before }] : [] };
    });
    if (!updated) throw notFound(id);
    return updated;
  }

  private async owned(viewer: Viewer, id: string): Promise<NoticeDoc> {
    const [doc] = await this.byIds(viewer, [id]);
    if (!doc) throw notFound(id);
    if (!ownsRecord(viewer, doc)) throw forbidden('only the member that published a notice can change it');
    return doc;
  }

  private async validate(viewer: Viewer, input: NoticeInput, now: Date, current?: NoticeDoc) {
    for (const [field, max] of Object.entries(TEXT_LIMITS)) {
      const value = (input as unknown as Record<string, string | null | undefined>)[field];
      if (value != null && value.length > max) throw badInput(`${field} must be at most ${max} characters`, `input.${field}`);
    }
    if (!input.title.trim()) throw badInput('title must not be empty', 'input.title');
    if (!input.summary.trim()) throw badInput('summary must not be empty', 'input.summary');
    if (!input.model.name.trim() || !input.model.developer.trim()) {
      throw badInput('model.name and model.developer must not be empty', 'input.model');
    }
    const atlas = input.atlasTechniques ?? [];
    const badAtlas = atlas.find((t) => !isAtlasTechnique(t));
    if (badAtlas !== undefined) throw badInput(`"${clip(badAtlas)}" is not an ATLAS technique id (AML.T#### or AML.T####.###)`, 'input.atlasTechniques');
    const owasp = input.owaspLlm ?? [];
    const badOwasp = owasp.find((t) => !isOwaspLlm2025(t));
    if (badOwasp !== undefined) throw badInput(`"${clip(badOwasp)}" is not an OWASP LLM Top 10 2025 id (LLM01:2025..LLM10:2025)`, 'input.owaspLlm');

    const model = input.model;
    if (model.name.length > RECORD_LIMITS.modelNameChars || model.developer.length > RECORD_LIMITS.modelNameChars || (model.version?.length ?? 0) > RECORD_LIMITS.modelVersionChars) {
      throw badInput(`model.name and model.developer must be at most ${RECORD_LIMITS.modelNameChars} characters, model.version ${RECORD_LIMITS.modelVersionChars}`, 'input.model');
    }
    tooMany(new Set(atlas).size, RECORD_LIMITS.atlasTechniques, 'atlasTechniques');
    const deployments = input.affectedDeployments ?? [];
    tooMany(deployments.length, RECORD_LIMITS.affectedDeployments, 'affectedDeployments');
    if (deployments.some((d) => d.trim().length === 0 || d.length > RECORD_LIMITS.affectedDeploymentChars)) {
      throw badInput(`each affected deployment must be 1 to ${RECORD_LIMITS.affectedDeploymentChars} characters`, 'input.affectedDeployments');
    }

    const recipients = [...new Set(input.recipients ?? [])];
    tooMany(recipients.length, RECORD_LIMITS.recipients, 'recipients');
    if (input.tlp === 'RED' && recipients.length === 0) throw badInput('TLP:RED needs a non-empty recipients list', 'input.recipients');
    if (input.tlp !== 'RED' && recipients.length > 0) throw badInput('recipients apply only to TLP:RED', 'input.recipients');
    const known = recipients.length ? await this.deps.communities.knownRecipients(viewer.kind === 'member' ? viewer.memberId : '', recipients) : new Set<string>();
    const unknown = recipients.find((r) => !known.has(r));
    if (unknown !== undefined) throw badInput(unknownRecipientMessage(clip(unknown)), 'input.recipients');

    const embargoUntil = input.embargoUntil ?? null;
    const embargoChanged = embargoUntil?.getTime() !== current?.embargoUntil?.getTime();
    if (embargoUntil && embargoChanged && embargoUntil <= now) throw badInput('embargoUntil must be in the future', 'input.embargoUntil');

    const related = [...new Set(input.relatedIndicatorIds ?? [])];
    // Only links this write adds are checked: one the notice already had may since have become
    // hidden from its publisher, and that must not block edits of other fields.
    const added = related.filter((id) => !current?.relatedIndicatorIds.includes(id));
    // A notice linked to more before the cap existed may keep (or shed) its links, not add any.
    if (added.length > 0) tooMany(related.length, RECORD_LIMITS.relatedIndicators, 'relatedIndicatorIds');
    const visible = new Set((await this.deps.indicators.byIds(viewer, added)).map((d) => d._id));
    const missing = added.find((id) => !visible.has(id));
    if (missing !== undefined) throw badInput(`no indicator with id "${clip(missing)}"`, 'input.relatedIndicatorIds');

    return {
      title: input.title.trim(),
      summary: input.summary.trim(),
      model: { name: input.model.name.trim(), developer: input.model.developer.trim(), version: input.model.version?.trim() || null },
      category: input.category,
      severity: input.severity,
      severityRank: severityRank(input.severity),
      tlp: input.tlp,
      recipients,
      embargoUntil,
      atlasTechniques: [...new Set(atlas)],
      owaspLlm: [...new Set(owasp)],
      mitigations: input.mitigations ?? null,
      technicalDetails: input.technicalDetails ?? null,
      evaluationEvidence: input.evaluationEvidence ?? null,
      affectedDeployments: input.affectedDeployments ?? [],
      relatedIndicatorIds: related,
    };
  }
}

/** Refuses a list over its cap (RECORD_LIMITS), naming the input field. */
function tooMany(count: number, max: number, field: string): void {
  if (count > max) throw badInput(`${field} holds at most ${max} items (got ${count})`, `input.${field}`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A UUID (version 8, RFC 9562 custom) from SHA-256 of a received notice's provenance: the same notice always gets the same id. */
function receivedUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function notFound(id: string) {
  return hubError('NOT_FOUND', `no model-risk notice with id "${clip(id)}"`, 'id');
}

