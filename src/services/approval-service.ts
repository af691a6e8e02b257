import { stringify as stableStringify } from 'safe-stable-stringify';
import { clip } from '../util/clip.js';
import { actorRefOf as actorOf } from '../domain/actor-ref-of.js';
import { randomUUID } from 'node:crypto';
import {
  TLPS,
  type ApprovalChange,
  type ApprovalKind,
  type ApprovalRequestDoc,
  type ApprovalStatus,
  type IndicatorDoc,
  type ActorRef,
  type MemberStatus,
  type MemberTier,
  type NoticeDoc,
  type Role,
  type Tier,
  type Tlp,
} from '../domain/types.js';
import { badInput, forbidden, hubError, unauthenticated } from '../errors.js';
import { RECORD_LIMITS } from '../domain/record-limits.js';
import { approvalVisibility, assertMayChangeMemberStanding, assertRole, isSamePerson, madeRequest, mayDecide, ownsRecord, personsOf, type Viewer } from '../policy/policy.js';
import type { ApprovalRepository, SequenceRepository } from '../store/ports.js';
import { approvalStatusFilter } from '../store/queries.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import type { AuditService } from './audit-service.js';
import type { EventRecorder, RecordedChange } from './event-recorder.js';
import type { HeldClaimState, HeldIndicator } from '../domain/held-indicator.js';
import { mayViewHeldIndicator } from '../policy/held-indicator-visibility.js';
import type { IdentityProviderInput, IdentityService } from './identity-service.js';
import type { IndicatorService } from './indicator-service.js';
import type { MemberService } from './member-service.js';
import { unknownRecipientMessage, type CommunityService } from './community-service.js';
import type { NoticeService } from './notice-service.js';
import type { PeopleService, PersonApprovals } from './people-service.js';
import type { PersonDoc, PersonIdentity } from '../domain/person.js';
import { paginate, type Connection } from './paginate.js';
import type { VulnerabilityWorkflow, WorkflowApprovals } from './vulnerability-workflow.js';
import type { ModelReviewApprovalKind, ModelReviewService, ReviewApprovals } from './model-review-service.js';

export interface ApprovalServiceDeps {
  approvals: ApprovalRepository;
  sequences: SequenceRepository;
  indicators: IndicatorService;
  notices: NoticeService;
  members: MemberService;
  /** Which recipients a publisher may name (members, and its own communities). */
  communities: Pick<CommunityService, 'knownRecipients'>;
  /** Checks identity provider requests and applies approved ones. */
  identity: IdentityService;
  /** Checks role grants and identity links, and applies approved ones. */
  people: PeopleService;
  audit: AuditService;
  /** Records the events of applied sharing changes (with the claim, in one commit where the store can). */
  events: EventRecorder;
  cursors: CursorCodec;
  /** The clearinghouse's workflow: checks and applies requests about cases (a getter: the two refer to each other). */
  vulnerabilities?: () => VulnerabilityWorkflow;
  /** Applies an approved REGISTER_PEER (src/federation/peer-service.ts); read when first used. */
  peers?: () => { applyApprovedRegistration(request: ApprovalRequestDoc, approver: ActorRef, now: Date): Promise<{ status: MemberStatus } | null> };
  /** How long a request stays open, ms (`HUB_APPROVAL_TTL`). */
  ttlMs: number;
  /** Model reviews: applies approved reschedules and early closes (a getter: the two refer to each other). */
  modelReviews?: () => ModelReviewService;
  now?: () => Date;
  /** Makes the UUIDs of new ids. Default `crypto.randomUUID` (tests make them deterministic). */
  randomUUID?: () => string;
}

/** The event-log kind of each request target that is a record (the others emit no alert event). */
const RECORD_KINDS = { INDICATOR: 'INDICATOR', MODEL_RISK_NOTICE: 'NOTICE' } as const;

/** An approved change as applied: the fields before and after, and a record's whole document. */
interface AppliedChange {
  before: ApprovalChange;
  after: ApprovalChange;
  record?: { before: IndicatorDoc | NoticeDoc; after: IndicatorDoc | NoticeDoc };
  /** The events to record with the claim, when the change says them itself (a held indicator published). */
  changes?: RecordedChange[];
}

/** The reason a held item's request carries: never the value, its TLP or its lists, which only some who see the request may see. */
const HOLD_REASON = 'held at publish: the value is on a false-positive warning list (HUB_WARNINGLIST_POLICY=hold)';

type MemberViewer = Extract<Viewer, { kind: 'member' }>;
type OwnRecord = { kind: 'INDICATOR'; doc: IndicatorDoc } | { kind: 'MODEL_RISK_NOTICE'; doc: NoticeDoc };

const MAX_REASON = 1_000;
/** Open requests `Person.pendingApprovals` shows at most (the cost analysis counts it by this). */
export const MAX_PENDING_SHOWN = 20;
const MEMBER_TIERS: readonly Tier[] = ['COMMUNITY', 'TRUSTED', 'CORE'];
const tlpRank = (tlp: Tlp) => TLPS.indexOf(tlp);

/**
 * Two-person changes: takes requests for the sensitive changes (lifting an embargo early,
 * lowering a TLP, removing recipients, changing a member's tier, registering a member,
 * reinstating one at TRUSTED or above, registering, replacing or removing a member's identity
 * provider), lets a second person approve
 * or reject them, and applies an approved change only if its target is still as the request
 * found it.
 */
export class ApprovalService implements PersonApprovals, WorkflowApprovals, ReviewApprovals {
  private readonly now: () => Date;
  private readonly uuid: () => string;

  constructor(private readonly deps: ApprovalServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  /** The requests the viewer made or may decide (`approvalVisibility`), newest first. */
  async list(viewer: Viewer, args: { status?: ApprovalStatus | null; first?: number | null; after?: string | null }): Promise<Connection<ApprovalRequestDoc>> {
    const visibility = approvalVisibility(viewer);
    const who = viewer.kind === 'member' ? `${viewer.memberId}|${viewer.userId}` : 'anonymous';
    return paginate(this.deps.approvals, {
      visibility,
      filter: approvalStatusFilter(args.status, this.now()),
      sort: [['seq', -1]],
      first: args.first,
      after: args.after,
      binding: `approvals|${who}`,
      codec: this.deps.cursors,
    });
  }

  /** One request, when the viewer may list it (`approvalVisibility`); else null, as for an unknown id. */
  async visible(viewer: Viewer, id: string): Promise<ApprovalRequestDoc | null> {
    if (viewer.kind === 'anonymous') return null;
    const [request] = await this.deps.approvals.find({ $and: [{ _id: id }, approvalVisibility(viewer)] }, { limit: 1 });
    return request ?? null;
  }

  /**
   * The decision on each of these requests as of now, and its target: for the TAXII status of
   * objects held at publish (src/taxii/taxii-writer.ts), which only the member that posted them,
   * the requests' own member, reads. Unknown ids are absent.
   */
  async decisionsOf(ids: readonly string[]): Promise<Map<string, { status: ApprovalStatus; indicatorId: string }>> {
    if (ids.length === 0) return new Map();
    const found = await this.deps.approvals.find({ _id: { $in: [...ids] } });
    return new Map(found.map((r) => [r._id, { status: this.statusOf(r), indicatorId: r.target.id }]));
  }

  /** The status as of now: a PENDING request past its `expiresAt` is EXPIRED. */
  statusOf(request: ApprovalRequestDoc): ApprovalStatus {
    return request.status === 'PENDING' && request.expiresAt.getTime() <= this.now().getTime() ? 'EXPIRED' : request.status;
  }

  /** Asks to end a notice's embargo early: at `embargoUntil`, or (null) when approved. */
  async requestEmbargoLift(viewer: Viewer, noticeId: string, embargoUntil: Date | null | undefined, reason: string): Promise<ApprovalRequestDoc> {
    if (noticeId.startsWith('vulnerability--')) {
      // A clearinghouse case: a coordinator of the case asks; another one decides (docs/clearinghouse.md).
      const { doc, endsAt } = await this.workflow().prepareEmbargoLift(viewer, noticeId, embargoUntil);
      const target = { kind: 'VULNERABILITY' as const, id: doc._id };
      return this.insert(asMember(viewer), 'LIFT_EMBARGO', target, doc.source, { embargoUntil: embargoUntil ?? null }, { embargoUntil: endsAt }, reason);
    }
    assertRole(viewer, 'publisher');
    const record = await this.ownRecord(viewer, noticeId, 'noticeId');
    if (record.kind !== 'MODEL_RISK_NOTICE') throw recordNotFound(noticeId, 'noticeId');
    const now = this.now();
    const current = record.doc.embargoUntil;
    if (!current || current <= now) throw badInput('the notice is not under embargo: there is nothing to lift', 'noticeId');
    if (embargoUntil && embargoUntil <= now) throw badInput('embargoUntil must be in the future; omit it to lift the embargo when the request is approved', 'embargoUntil');
    if (embargoUntil && embargoUntil >= current) {
      throw badInput('that does not end the embargo earlier; extending an embargo is a plain updateModelRiskNotice', 'embargoUntil');
    }
    return this.create(viewer, 'LIFT_EMBARGO', record, { embargoUntil: embargoUntil ?? null }, { embargoUntil: current }, reason);
  }

  /** A two-person request about a clearinghouse case, checked by the workflow (`VulnerabilityWorkflow.publish`). */
  requestVulnerabilityChange(
    viewer: MemberViewer,
    kind: 'PUBLISH_VULNERABILITY' | 'LIFT_EMBARGO',
    doc: { _id: string; source: string },
    change: ApprovalChange,
    expected: ApprovalChange,
    reason: string,
  ): Promise<ApprovalRequestDoc> {
    return this.insert(viewer, kind, { kind: 'VULNERABILITY', id: doc._id }, doc.source, change, expected, reason.slice(0, MAX_REASON));
  }

  /** The open request of `kind` about a case, if any (one publication request at a time). */
  async openVulnerabilityRequest(kind: 'PUBLISH_VULNERABILITY', caseId: string): Promise<ApprovalRequestDoc | null> {
    const [open] = await this.deps.approvals.find({ kind, 'target.kind': 'VULNERABILITY', 'target.id': caseId, ...approvalStatusFilter('PENDING', this.now()) }, { limit: 1 });
    return open ?? null;
  }

  /**
   * A two-person request about a model review, checked by the review service (bringing deployment
   * forward, closing early): decided by another person of the lab holding approver, or a hub-admin
   * (`mayDecide` by `ownerMemberId`, the lab).
   */
  requestModelReviewChange(
    viewer: MemberViewer,
    kind: ModelReviewApprovalKind,
    review: { _id: string; lab: string },
    change: ApprovalChange,
    expected: ApprovalChange,
    reason: string,
  ): Promise<ApprovalRequestDoc> {
    return this.insert(viewer, kind, { kind: 'MODEL_REVIEW', id: review._id }, review.lab, change, expected, reason.slice(0, MAX_REASON));
  }

  /** The open request of `kind` about a model review, if any (one early close asked at a time). */
  async openModelReviewRequest(kind: ModelReviewApprovalKind, reviewId: string): Promise<ApprovalRequestDoc | null> {
    const [open] = await this.deps.approvals.find({ kind, 'target.kind': 'MODEL_REVIEW', 'target.id': reviewId, ...approvalStatusFilter('PENDING', this.now()) }, { limit: 1 });
    return open ?? null;
  }

  private modelReviews(): ModelReviewService {
    const reviews = this.deps.modelReviews?.();
    if (!reviews) throw new Error('the model review service is not wired into the approval service');
    return reviews;
  }

  private workflow(): VulnerabilityWorkflow {
    const workflow = this.deps.vulnerabilities?.();
    if (!workflow) throw new Error('the clearinghouse workflow is not wired into the approval service');
    return workflow;
  }

  /** Asks to lower an indicator's or a notice's TLP (raising one is a plain update). */
  async requestTlpChange(viewer: Viewer, recordId: string, tlp: Tlp, reason: string): Promise<ApprovalRequestDoc> {
    assertRole(viewer, 'publisher');
    const record = await this.ownRecord(viewer, recordId, 'recordId');
    const current = record.doc.tlp;
    if (tlpRank(tlp) >= tlpRank(current)) {
      throw badInput(`TLP:${tlp} is not lower than the record's TLP:${current}; raising or keeping a TLP is a plain update`, 'tlp');
    }
    return this.create(viewer, 'LOWER_TLP', record, { tlp }, { tlp: current }, reason);
  }

  /** Asks to replace a TLP:RED record's recipients by a list that leaves at least one out. */
  async requestRecipientsChange(viewer: Viewer, recordId: string, recipients: readonly string[], reason: string): Promise<ApprovalRequestDoc> {
    assertRole(viewer, 'publisher');
    const record = await this.ownRecord(viewer, recordId, 'recordId');
    if (record.doc.tlp !== 'RED') throw badInput('recipients apply only to TLP:RED records', 'recordId');
    const wanted = [...new Set(recipients)];
    if (wanted.length === 0) throw badInput('a TLP:RED record needs at least one recipient', 'recipients');
    if (wanted.length > RECORD_LIMITS.recipients) throw badInput(`at most ${RECORD_LIMITS.recipients} recipients (got ${wanted.length})`, 'recipients');
    const known = await this.deps.communities.knownRecipients(viewer.memberId, wanted);
    const unknown = wanted.find((r) => !known.has(r));
    if (unknown !== undefined) throw badInput(unknownRecipientMessage(clip(unknown)), 'recipients');
    const current = record.doc.recipients;
    if (current.every((r) => wanted.includes(r))) {
      throw badInput('no current recipient is removed; adding recipients is a plain update', 'recipients');
    }
    return this.create(viewer, 'REMOVE_RECIPIENTS', record, { recipients: wanted }, { tlp: 'RED', recipients: [...current] }, reason);
  }

  /** Asks to change a member's tier (hub-admin only; a second hub-admin approves). */
  async requestTierChange(viewer: Viewer, memberId: string, tier: Tier, reason: string): Promise<ApprovalRequestDoc> {
    assertRole(viewer, 'hub-admin');
    if (!MEMBER_TIERS.includes(tier)) throw badInput('a member is COMMUNITY, TRUSTED or CORE', 'tier');
    const member = await this.deps.members.get(memberId);
    if (!member) throw hubError('NOT_FOUND', `no member with id "${clip(memberId)}"`, 'memberId');
    if (member.status !== 'ACTIVE') throw hubError('INVALID_TRANSITION', `the member is ${member.status}: only an ACTIVE member's tier changes`, 'memberId');
    if (member.tier === tier) throw badInput(`the member already is ${tier}`, 'tier');
    const target = { kind: 'MEMBER' as const, id: member._id };
    return this.insert(viewer, 'CHANGE_TIER', target, member._id, { tier: tier as MemberTier }, { tier: member.tier }, reason);
  }

  /**
   * Asks a second hub-admin to make a PENDING member ACTIVE (REGISTER_MEMBER). Called by
   * MemberService.registerMember, which checked the viewer and wrote the PENDING member.
   */
  async requestMemberRegistration(viewer: Viewer, memberId: string, reason: string): Promise<ApprovalRequestDoc> {
    assertMayChangeMemberStanding(viewer, null);
    const target = { kind: 'MEMBER' as const, id: memberId };
    return this.insert(viewer, 'REGISTER_MEMBER', target, memberId, { status: 'ACTIVE' }, { status: 'PENDING' }, reason);
  }

  /**
   * Asks a second hub-admin to make a PENDING peer hub ACTIVE at its tier (REGISTER_PEER): from
   * then this hub pulls it, and it receives what a member of its tier sees. Called by
   * PeerService.register (src/federation/peer-service.ts), which checked the viewer and wrote the PENDING member.
   */
  async requestPeerRegistration(viewer: Viewer, memberId: string, tier: MemberTier, status: MemberStatus, reason: string): Promise<ApprovalRequestDoc> {
    assertMayChangeMemberStanding(viewer, null);
    const target = { kind: 'MEMBER' as const, id: memberId };
    return this.insert(viewer, 'REGISTER_PEER', target, memberId, { status: 'ACTIVE', tier }, { status, tier }, reason);
  }

  /**
   * Asks a second hub-admin to reinstate a SUSPENDED member at `tier` (REINSTATE_MEMBER). Called by
   * MemberService.reinstate for members at TRUSTED or above.
   */
  async requestMemberReinstatement(viewer: Viewer, memberId: string, tier: MemberTier, reason: string): Promise<ApprovalRequestDoc> {
    assertMayChangeMemberStanding(viewer, memberId);
    const target = { kind: 'MEMBER' as const, id: memberId };
    return this.insert(viewer, 'REINSTATE_MEMBER', target, memberId, { status: 'ACTIVE' }, { status: 'SUSPENDED', tier }, reason);
  }

  /**
   * Opens the PUBLISH_WARNED_INDICATOR request of an item held at publish (IndicatorService, under
   * HUB_WARNINGLIST_POLICY=hold): decided by another person of the member holding approver, or a
   * hub-admin (`mayDecide`), never the publisher (`isSamePerson`). `targetId` is the claim the item
   * will write; `found` the member's claim on the value as it is now (null: none).
   */
  async requestWarnedPublication(viewer: MemberViewer, targetId: string, held: HeldIndicator, found: HeldClaimState | null): Promise<ApprovalRequestDoc> {
    // The same person holding the same item again while its request is open (a second publish of
    // it under another idempotency key, a client's retry after a lost answer): the open request
    // answers it, so approvers are not asked twice. Another item, claim state or person: a new one.
    // (Two such publishes at the same instant may still open two: no unique index holds them apart.)
    const open = await this.deps.approvals.find({
      kind: 'PUBLISH_WARNED_INDICATOR',
      ownerMemberId: viewer.memberId,
      'requestedBy.userId': viewer.userId,
      // The value, not the claim id: without a claim, each hold names a fresh id for the one it would write.
      'change.heldIndicator.value': held.value,
      status: 'PENDING',
      expiresAt: { $gt: this.now() },
    });
    // validFrom aside: left out of an item, it is the instant of each publish.
    const itemOf = (h: HeldIndicator | null | undefined) => stableStringify(h ? { ...h, validFrom: null } : null);
    const same = open.find((r) => itemOf(r.change.heldIndicator) === itemOf(held) && stableStringify(r.expected.claim ?? null) === stableStringify(found));
    if (same) return same;
    return this.insert(viewer, 'PUBLISH_WARNED_INDICATOR', { kind: 'INDICATOR', id: targetId }, viewer.memberId, { heldIndicator: held }, { claim: found }, HOLD_REASON);
  }

  /** Whether a request is still open: PENDING and not expired. */
  async isOpen(id: string): Promise<boolean> {
    const [request] = await this.deps.approvals.find({ _id: id });
    return request !== undefined && this.statusOf(request) === 'PENDING';
  }

  /**
   * Asks to register an identity provider for a member, or to replace the member's registration
   * of that issuer (hub-admin, or member-admin of the member; another person decides). The input
   * is checked now, exactly as it will be stored.
   */
  async requestIdentityProviderRegistration(viewer: Viewer, input: IdentityProviderInput, reason: string): Promise<ApprovalRequestDoc> {
    const { registration, existing } = await this.deps.identity.prepareRegistration(viewer, input);
    const target = { kind: 'IDENTITY_PROVIDER' as const, id: registration.issuer };
    return this.insert(asMember(viewer), 'REGISTER_IDENTITY_PROVIDER', target, registration.memberId, { identityProvider: registration }, { identityProvider: existing }, reason);
  }

  /** Asks to remove a member's identity provider (hub-admin, or member-admin of the member; another person decides). */
  async requestIdentityProviderRemoval(viewer: Viewer, memberId: string, issuer: string, reason: string): Promise<ApprovalRequestDoc> {
    const existing = await this.deps.identity.prepareRemoval(viewer, memberId, issuer);
    const target = { kind: 'IDENTITY_PROVIDER' as const, id: existing.issuer };
    return this.insert(asMember(viewer), 'REMOVE_IDENTITY_PROVIDER', target, existing.memberId, {}, { identityProvider: existing }, reason);
  }

  /**
   * Asks to grant a role to a person (member-admin of the person's member or hub-admin; hub-admin
   * for the hub-admin role). A different person, neither the requester nor the grantee, decides.
   */
  async requestRoleGrant(viewer: Viewer, personId: string, role: string, reason: string): Promise<ApprovalRequestDoc> {
    const person = await this.deps.people.prepareRoleGrant(viewer, personId, role);
    const target = { kind: 'PERSON' as const, id: person._id };
    const expected = { person: { memberId: person.memberId, status: person.status } };
    return this.insert(asMember(viewer), 'GRANT_ROLE', target, person.memberId, { role: role as Role }, expected, reason);
  }

  /** Records a LINK_IDENTITY request that PeopleService.linkIdentity checked (a privileged person's new identity). */
  async requestIdentityLink(viewer: MemberViewer, person: PersonDoc, identity: PersonIdentity, reason: string): Promise<ApprovalRequestDoc> {
    const target = { kind: 'PERSON' as const, id: person._id };
    const expected = { person: { memberId: person.memberId, status: person.status } };
    return this.insert(viewer, 'LINK_IDENTITY', target, person.memberId, { identity: { issuer: identity.issuer, subject: identity.subject } }, expected, reason);
  }

  /** The open requests about a person that the viewer made or may decide, newest first (at most MAX_PENDING_SHOWN). */
  pendingFor(viewer: Viewer, personId: string): Promise<ApprovalRequestDoc[]> {
    if (viewer.kind === 'anonymous') return Promise.resolve([]);
    const open = { 'target.kind': 'PERSON', 'target.id': personId, status: 'PENDING', expiresAt: { $gt: this.now() } };
    return this.deps.approvals.find({ $and: [approvalVisibility(viewer), open] }, { sort: [['seq', -1]], limit: MAX_PENDING_SHOWN });
  }

  /**
   * Approves a request and applies its change. The request is claimed first (PENDING ->
   * APPROVED, a compare-and-set that also checks expiry), then the change is applied with a
   * compare-and-set on the fields the request found; if those moved on, the claim is undone and
   * the approver gets INVALID_TRANSITION with nothing changed.
   */
  async approve(anyViewer: Viewer, id: string, reason: string | null | undefined): Promise<ApprovalRequestDoc> {
    const viewer = asMember(anyViewer);
    const request = await this.decidable(viewer, id);
    if (isSamePerson(viewer, request.requestedBy)) {
      throw forbidden(
        'nobody approves their own request, nor with an identity from an identity provider they requested or approved: another person holding approver for the publishing member (member-admin for an identity provider), or hub-admin, must',
      );
    }
    if (request.target.kind === 'PERSON' && isSamePerson(viewer, { userId: request.target.id })) {
      throw forbidden('nobody approves a change to their own roles or identities: another person with the right must');
    }
    if (request.target.kind === 'VULNERABILITY') await this.workflow().assertMayDecide(viewer, request);
    if (request.kind === 'PUBLISH_WARNED_INDICATOR' && !mayViewHeldIndicator(viewer, request)) {
      // A hub-admin the item is not shared with may reject it, not publish what it cannot see.
      throw forbidden("approving a held indicator needs a decider who could see it once stored: another person of the publishing member holding approver, or a hub-admin it is shared with (its TLP and recipients)");
    }
    const now = this.now();
    assertOpen(request, now);
    const decision = { status: 'APPROVED', decidedBy: actorOf(viewer), decidedAt: now, decisionReason: optionalReason(reason) };
    const claimAndApply = async () => {
      const claimed = await this.deps.approvals.updateOne({ _id: id, status: 'PENDING', expiresAt: { $gt: now } }, { $set: decision });
      if (!claimed) return { claimed, applied: null };
      const applied = await this.apply(claimed, now, viewer);
      if (!applied) {
        await this.deps.approvals.updateOne(
          { _id: id, status: 'APPROVED', decidedAt: now, 'decidedBy.userId': viewer.userId },
          { $set: { status: 'PENDING', decidedBy: null, decidedAt: null, decisionReason: null } },
        );
      }
      return { claimed, applied };
    };
    // A record's sharing change commits with the claim and its UPDATED event where the store can:
    // never an APPROVED request whose change was lost, nor a change without its alert.
    const recordKind = RECORD_KINDS[request.target.kind as keyof typeof RECORD_KINDS];
    const { claimed, applied } = recordKind
      ? await this.deps.events.recording(recordKind, async () => {
          const out = await claimAndApply();
          const record = out.applied?.record;
          return { value: out, changes: out.applied?.changes ?? (record ? [{ type: 'UPDATED' as const, doc: record.after, before: record.before }] : []) };
        })
      : await claimAndApply();
    if (!claimed) throw await this.lostRace(id, now);
    if (!applied && request.kind === 'PUBLISH_WARNED_INDICATOR') {
      throw hubError(
        'INVALID_TRANSITION',
        'the held indicator was not published: since it was held, its member published or revoked the same value (or overrode its score), left the hub, or a recipient is gone; nothing was stored: publish it again if it is still wanted',
        'id',
      );
    }
    if (!applied) {
      throw hubError(
        'INVALID_TRANSITION',
        `the ${describeTarget(request)} is no longer as the request found it (changed since, or the embargo already ended); nothing was changed: make a new request if it is still needed`,
        'id',
      );
    }
    await this.deps.audit.approved(viewer, claimed);
    await this.deps.audit.changeApplied(viewer, claimed, applied.before, applied.after);
    return claimed;
  }

  /** Rejects a request (nothing changes). Its requester may reject it too: a withdrawal. */
  async reject(anyViewer: Viewer, id: string, reason: string): Promise<ApprovalRequestDoc> {
    const viewer = asMember(anyViewer);
    const request = await this.decidable(viewer, id);
    const withdrawn = madeRequest(viewer, request);
    if (!withdrawn && !mayDecide(viewer, request)) throw cannotDecide(id);
    const now = this.now();
    assertOpen(request, now);
    const decision = { status: 'REJECTED', decidedBy: actorOf(viewer), decidedAt: now, decisionReason: requiredReason(reason) };
    const rejected = await this.deps.approvals.updateOne({ _id: id, status: 'PENDING', expiresAt: { $gt: now } }, { $set: decision });
    if (!rejected) throw await this.lostRace(id, now);
    await this.deps.audit.rejected(viewer, rejected, withdrawn);
    return rejected;
  }

  /**
   * Applies an approved change with a compare-and-set on `expected`; null when it no longer holds.
   * A record's change also answers the record before and after (for its UPDATED event).
   */
  private async apply(request: ApprovalRequestDoc, now: Date, approver: MemberViewer): Promise<AppliedChange | null> {
    const { expected, change, target } = request;
    if (target.kind === 'VULNERABILITY') return this.workflow().applyApproved(request, now);
    if (target.kind === 'MODEL_REVIEW') return this.modelReviews().applyApproved(request, approver);
    if (request.kind === 'REGISTER_IDENTITY_PROVIDER') {
      // Whoever asked and whoever approved: identities this provider vouches for count as both.
      const persons = [...new Set([...personsOf(request.requestedBy), ...personsOf(approver)])];
      const registeredBy = { requestId: request._id, requestedBy: request.requestedBy, approvedBy: actorOf(approver), persons };
      const r = await this.deps.identity.applyRegistration(change.identityProvider!, expected.identityProvider ?? null, registeredBy);
      return r && { before: { identityProvider: r.before }, after: { identityProvider: r.after } };
    }
    if (request.kind === 'REMOVE_IDENTITY_PROVIDER') {
      const removed = await this.deps.identity.applyRemoval(expected.identityProvider!);
      return removed && { before: { identityProvider: removed }, after: { identityProvider: null } };
    }
    if (request.kind === 'GRANT_ROLE') {
      const r = await this.deps.people.applyRoleGrant(target.id, change.role!, { memberId: expected.person!.memberId });
      return r && { before: {}, after: { role: change.role! } };
    }
    if (request.kind === 'LINK_IDENTITY') {
      const r = await this.deps.people.applyIdentityLink(target.id, change.identity!, { memberId: expected.person!.memberId });
      return r && { before: {}, after: { identity: change.identity! } };
    }
    if (request.kind === 'PUBLISH_WARNED_INDICATOR') {
      const r = await this.deps.indicators.applyHeldPublication(request, now);
      // The audit names the claim by id only (whether it was new or re-published); no version is kept after.
      return r && { before: { claim: request.expected.claim ?? null }, after: { claim: { id: r.after._id, version: '' } }, changes: r.changes };
    }
    if (request.kind === 'REGISTER_PEER') {
      const was = this.deps.peers ? await this.deps.peers().applyApprovedRegistration(request, actorOf(approver), now) : null;
      return was ? { before: { status: was.status, tier: change.tier! }, after: { status: 'ACTIVE', tier: change.tier! } } : null;
    }
    if (request.kind === 'REGISTER_MEMBER' || request.kind === 'REINSTATE_MEMBER') {
      const was = await this.deps.members.applyApprovedStatus(request, actorOf(approver), now);
      return was ? { before: { status: was.status }, after: { status: 'ACTIVE' } } : null;
    }
    if (request.kind === 'CHANGE_TIER') {
      const was = await this.deps.members.changeTier(target.id, expected.tier!, change.tier!);
      return was ? { before: { tier: was.tier }, after: { tier: change.tier! } } : null;
    }
    if (request.kind === 'LIFT_EMBARGO') {
      if (!expected.embargoUntil || expected.embargoUntil <= now) return null;
      const r = await this.deps.notices.applyApprovedSharing(target.id, { embargoUntil: expected.embargoUntil }, { embargoUntil: change.embargoUntil ?? now });
      return r && { before: { embargoUntil: r.before.embargoUntil }, after: { embargoUntil: r.after.embargoUntil }, record: r };
    }
    const guard = request.kind === 'LOWER_TLP' ? { tlp: expected.tlp! } : { tlp: expected.tlp!, recipients: expected.recipients! };
    // A lower TLP is never RED, so a record leaving RED leaves its recipients list behind too.
    const set = request.kind === 'LOWER_TLP' ? { tlp: change.tlp!, recipients: [] } : { recipients: change.recipients! };
    const r = target.kind === 'INDICATOR'
      ? await this.deps.indicators.applyApprovedSharing(target.id, guard, set)
      : await this.deps.notices.applyApprovedSharing(target.id, guard, set);
    if (!r) return null;
    const pick = (d: { tlp: Tlp; recipients: string[] }): ApprovalChange =>
      request.kind === 'LOWER_TLP' ? { tlp: d.tlp } : { recipients: d.recipients };
    return { before: pick(r.before), after: pick(r.after), record: r };
  }

  /** The record the viewer's member published, for a request about it. */
  private async ownRecord(viewer: MemberViewer, id: string, field: string): Promise<OwnRecord> {
    let record: OwnRecord | undefined;
    if (id.startsWith('indicator--')) {
      const [doc] = await this.deps.indicators.byIds(viewer, [id]);
      if (doc) record = { kind: 'INDICATOR', doc };
    } else if (id.startsWith('x-model-risk-notice--')) {
      const [doc] = await this.deps.notices.byIds(viewer, [id]);
      if (doc) record = { kind: 'MODEL_RISK_NOTICE', doc };
    }
    if (!record) throw recordNotFound(id, field);
    if (!ownsRecord(viewer, record.doc)) throw forbidden('only the member that published a record can ask to change its sharing');
    return record;
  }

  private create(viewer: MemberViewer, kind: ApprovalKind, record: OwnRecord, change: ApprovalChange, expected: ApprovalChange, reason: string) {
    return this.insert(viewer, kind, { kind: record.kind, id: record.doc._id }, record.doc.source, change, expected, reason);
  }

  private async insert(
    viewer: MemberViewer,
    kind: ApprovalKind,
    target: ApprovalRequestDoc['target'],
    ownerMemberId: string,
    change: ApprovalChange,
    expected: ApprovalChange,
    reason: string,
  ): Promise<ApprovalRequestDoc> {
    const text = requiredReason(reason);
    const now = this.now();
    const doc: ApprovalRequestDoc = {
      _id: `approval--${this.uuid()}`,
      kind,
      target,
      ownerMemberId,
      change,
      expected,
      requestedBy: actorOf(viewer),
      reason: text,
      status: 'PENDING',
      decidedBy: null,
      decidedAt: null,
      decisionReason: null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.deps.ttlMs),
      seq: await this.deps.sequences.next('approvals'),
    };
    await this.deps.approvals.insert(doc);
    await this.deps.audit.requested(viewer, doc);
    return doc;
  }

  /**
   * The request, when the viewer made it or may decide it. Otherwise, whether or not it exists,
   * the same FORBIDDEN: a request id tells nothing to someone who may not act on it.
   */
  private async decidable(viewer: MemberViewer, id: string): Promise<ApprovalRequestDoc> {
    const [request] = await this.deps.approvals.find({ _id: id });
    if (!request || !(mayDecide(viewer, request) || madeRequest(viewer, request))) throw cannotDecide(id);
    return request;
  }

  /** The claim found the request no longer PENDING: say why, as of now. */
  private async lostRace(id: string, now: Date) {
    const [fresh] = await this.deps.approvals.find({ _id: id });
    if (fresh) assertOpen(fresh, now);
    return hubError('INVALID_TRANSITION', 'the request was decided meanwhile', 'id');
  }
}

function asMember(viewer: Viewer): MemberViewer {
  if (viewer.kind === 'anonymous') throw unauthenticated('Deciding an approval request needs a token');
  return viewer;
}

function assertOpen(request: ApprovalRequestDoc, now: Date): void {
  if (request.status !== 'PENDING') throw hubError('INVALID_TRANSITION', `the request was already ${request.status.toLowerCase()}`, 'id');
  if (request.expiresAt.getTime() <= now.getTime()) {
    throw hubError('INVALID_TRANSITION', `the request expired at ${request.expiresAt.toISOString()}; make a new request`, 'id');
  }
}

function requiredReason(reason: string | null | undefined): string {
  const text = reason?.trim() ?? '';
  if (text.length < 1 || text.length > MAX_REASON) throw badInput(`reason must be 1 to ${MAX_REASON} characters`, 'reason');
  return text;
}

function optionalReason(reason: string | null | undefined): string | null {
  return reason == null || reason.trim() === '' ? null : requiredReason(reason);
}

function describeTarget(request: ApprovalRequestDoc): string {
  if (request.kind === 'REGISTER_MEMBER') return 'registration';
  if (request.kind === 'REGISTER_PEER') return "peer hub's registration";
  if (request.kind === 'REINSTATE_MEMBER') return "suspended member (its status or tier)";
  const names = { MEMBER: "member's tier", INDICATOR: 'indicator', MODEL_RISK_NOTICE: 'notice', IDENTITY_PROVIDER: 'identity provider', PERSON: 'person', VULNERABILITY: 'case (its status or embargo)', MODEL_REVIEW: 'model review (its deployment or status)' } as const;
  return names[request.target.kind];
}

function cannotDecide(id: string) {
  return hubError('FORBIDDEN', `no approval request "${clip(id)}" that you may decide`);
}

/** The same answer for a record that does not exist and one the viewer may not see. */
function recordNotFound(id: string, field: string) {
  return hubError('NOT_FOUND', `no record with id "${clip(id)}"`, field);
}

