import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import { clip } from '../util/clip.js';
import { createHash, randomUUID } from 'node:crypto';
import type { IssuedToken } from '../auth/token-issuer.js';
import { MEMBER_STANDING_KINDS } from '../domain/types.js';
import type { ApiKeyDoc } from '../domain/api-key.js';
import type { CommunityDoc } from '../domain/community.js';
import type {
  ActorRef,
  ApprovalChange,
  ApprovalRequestDoc,
  AuditAction,
  AuditCheckpoint,
  AuditEntry,
  AuditJson,
  IdentityProviderRegistration,
  IndicatorType,
  NoticeDoc,
  NoticeStatus,
} from '../domain/types.js';
import type { JWK } from 'jose';
import { badInput } from '../errors.js';
import { auditVisibility, seesAuditChain, vulnerabilityAuditMember, type Viewer } from '../policy/policy.js';
import type { AuditRepository, SequenceRepository } from '../store/ports.js';
import { CHAIN_VERSION, entryHash, GENESIS_HASH } from './audit-chain.js';
import { auditFilter } from '../store/queries.js';
import type { QueryAuditLogArgs } from '../generated/graphql.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import type { CliAuditLog, CliTokenLine } from './cli-audit-log.js';
import type { MemberService } from './member-service.js';
import { paginate, type Connection } from './paginate.js';

export interface AuditServiceDeps {
  audit: AuditRepository;
  sequences: SequenceRepository;
  members: MemberService;
  cursors: CursorCodec;
  /** The CLI's token file, read at start and before each `auditLog` answer. Default: none. */
  cliLog?: CliAuditLog;
  /** Told how many malformed CLI lines a read skipped (for the log). Default: nothing. */
  onInvalidCliLines?: (count: number) => void;
  now?: () => Date;
  /** Makes the UUIDs of new ids. Default `crypto.randomUUID` (tests make them deterministic). */
  randomUUID?: () => string;
  /** The hub's public key (JWK) that checks checkpoints, shown to hub-admins with the chain. Default: none (`chain` answers without a key). */
  verificationKey?: JWK;
}

/** Checkpoints an `auditLog` answer lists at most. */
export const MAX_CHECKPOINTS_LISTED = 100;

/** What `AuditEntryConnection.chain` answers. */
export interface AuditChainInfo {
  algorithm: string;
  verificationKey: JWK | null;
  checkpoints: (first: number | null | undefined) => Promise<AuditCheckpoint[]>;
}

type MemberViewer = Extract<Viewer, { kind: 'member' }>;

/** Details of a failed login, as the Authenticator reports them (all unverified). */
export interface LoginFailureDetails {
  issuer?: string;
  claimedMember?: string;
  /** The id of the API key presented (its public part; never the secret). */
  apiKeyId?: string;
}

/** How much of each caller-supplied string a refused-login entry keeps (under `details.untrusted`). */
const UNTRUSTED_CHARS = 100;

const KIND_NAMES: Record<ApprovalRequestDoc['target']['kind'], string> = {
  INDICATOR: 'indicator',
  MODEL_RISK_NOTICE: 'model-risk notice',
  MEMBER: 'member',
  IDENTITY_PROVIDER: 'identity provider',
  PERSON: 'person',
  VULNERABILITY: 'clearinghouse case',
  MODEL_REVIEW: 'model review',
};

/**
 * Writes and reads the append-only audit log. There is one method per kind of event, and each
 * builds its summary and details from ids, counts and enum values only: record content (values,
 * descriptions, notice text) and free-text reasons never enter the log.
 */
export class AuditService {
  private readonly now: () => Date;
  private readonly uuid: () => string;
  private ingesting: Promise<void> = Promise.resolve();
  private appending: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: AuditServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  /**
   * The entries the viewer may read (`auditVisibility`), newest first. Without `details` (when
   * the request reads neither `details` nor `canonical`), the store may leave each entry's
   * details out: a publish's entry lists every id it created (thousands).
   */
  async list(viewer: Viewer, args: QueryAuditLogArgs, { details = true }: { details?: boolean } = {}): Promise<Connection<AuditEntry>> {
    const visibility = auditVisibility(viewer);
    await this.ingestCliLog();
    const who = viewer.kind === 'member' ? `${viewer.memberId}|${viewer.userId}` : 'anonymous';
    return paginate(this.deps.audit, {
      visibility,
      filter: auditFilter(args.filter),
      sort: [['seq', -1]],
      first: args.first,
      after: args.after,
      binding: `audit|${who}`,
      codec: this.deps.cursors,
      ...(details ? {} : { omit: ['details'] }),
    });
  }

  /** The chain's checkpoints and key, for a viewer who may see the chain (`seesAuditChain`); else null. */
  chain(viewer: Viewer): AuditChainInfo | null {
    if (!seesAuditChain(viewer)) return null;
    return {
      algorithm: `sha256/canonical-v${CHAIN_VERSION}`,
      verificationKey: this.deps.verificationKey ?? null,
      checkpoints: async (first) => {
        const n = first ?? 10;
        if (!Number.isInteger(n) || n < 0 || n > MAX_CHECKPOINTS_LISTED) {
          throw badInput(`checkpoints(first:) must be between 0 and ${MAX_CHECKPOINTS_LISTED}`, 'first');
        }
        return this.deps.audit.checkpoints(n);
      },
    };
  }

  /**
   * Appends the tokens the CLI issued since the last read. Calls run one after another. Each
   * token's entry has an id made from its `jti`, so a line read again (another instance sharing
   * the data directory, a restart reading the file from its start) is not audited twice.
   */
  ingestCliLog(): Promise<void> {
    const run = this.ingesting.then(async () => {
      if (!this.deps.cliLog) return;
      const { lines, invalid } = await this.deps.cliLog.readNew();
      if (invalid > 0) this.deps.onInvalidCliLines?.(invalid);
      for (const line of lines) await this.cliTokenIssued(line);
    });
    this.ingesting = run.catch(() => undefined);
    return run;
  }

  indicatorsPublished(actor: MemberViewer, outcome: { created: string[]; updated: string[]; rejected: Array<{ index: number; code: string }> }) {
    const { created, updated, rejected } = outcome;
    return this.append('PUBLISH', actor, actor.memberId, null, `published indicators: ${created.length} created, ${updated.length} updated, ${rejected.length} rejected`, {
      created,
      updated,
      rejected: rejected.map((r) => ({ index: r.index, code: r.code })),
    });
  }

  /**
   * A clearinghouse case submitted, in the reporter's log. Nothing of the possible-duplicate check
   * is written here: the reporter's member-admin reads this log, and the reporter must not learn
   * that a case it cannot see exists.
   */
  vulnerabilitySubmitted(actor: MemberViewer, doc: VulnerabilityDoc) {
    return this.append('VULNERABILITY_SUBMITTED', actor, actor.memberId, { kind: 'VULNERABILITY', id: doc._id }, `submitted vulnerability ${doc._id}`, {
      severity: doc.severity,
      cvssVersion: doc.cvss?.version ?? null,
      discovery: doc.discovery.method,
      exploited: doc.exploited,
      affected: doc.affected.length,
      vendors: doc.vendorIds,
      ...(doc.reviewId ? { reviewId: doc.reviewId } : {}),
    });
  }

  indicatorRevoked(actor: MemberViewer, id: string) {
    return this.append('REVOKE', actor, actor.memberId, { kind: 'INDICATOR', id }, `revoked indicator ${id}`, {});
  }

  /** A member published or replaced one of its warning lists (its own log; names and counts, never entries). */
  warningListPublished(actor: MemberViewer, list: { _id: string; name: string; version: number; tlp: string; entries: readonly string[] }) {
    return this.append('WARNING_LIST_PUBLISHED', actor, actor.memberId, { kind: 'WARNING_LIST', id: list._id }, `published warning list ${list._id} version ${list.version}, TLP:${list.tlp}`, {
      name: list.name,
      version: list.version,
      tlp: list.tlp,
      entries: list.entries.length,
    });
  }

  /** A member withdrew one of its warning lists (its own log). */
  warningListRevoked(actor: MemberViewer, id: string, reason: string) {
    return this.append('WARNING_LIST_REVOKED', actor, actor.memberId, { kind: 'WARNING_LIST', id }, `revoked warning list ${id}`, { reason: clip(reason, 500) });
  }

  noticePublished(actor: MemberViewer, notice: NoticeDoc) {
    return this.append('PUBLISH', actor, actor.memberId, { kind: 'MODEL_RISK_NOTICE', id: notice._id }, `published model-risk notice ${notice._id} as ${notice.status}, TLP:${notice.tlp}`, {
      status: notice.status,
      tlp: notice.tlp,
      embargoUntil: iso(notice.embargoUntil),
      ...(notice.reviewId ? { reviewId: notice.reviewId } : {}),
    });
  }

  /** `fields` are the names of the fields that changed, never their values. */
  noticeUpdated(actor: MemberViewer, id: string, fields: string[]) {
    return this.append('UPDATE', actor, actor.memberId, { kind: 'MODEL_RISK_NOTICE', id }, `updated model-risk notice ${id}: ${fields.join(', ') || 'no field changed'}`, { fields });
  }

  noticeStatusChanged(actor: MemberViewer, id: string, from: NoticeStatus, to: NoticeStatus) {
    return this.append('STATUS_CHANGE', actor, actor.memberId, { kind: 'MODEL_RISK_NOTICE', id }, `moved model-risk notice ${id} from ${from} to ${to}`, { from, to });
  }

  requested(actor: MemberViewer, request: ApprovalRequestDoc) {
    return this.append('REQUEST', actor, entryMember(request), requestTarget(request), `requested ${describe(request)} (${request._id})`, {
      ...requestDetails(request),
      expiresAt: iso(request.expiresAt),
    });
  }

  approved(actor: MemberViewer, request: ApprovalRequestDoc) {
    return this.append('APPROVE', actor, entryMember(request), requestTarget(request), `approved ${request._id}: ${describe(request)}`, requestDetails(request));
  }

  rejected(actor: MemberViewer, request: ApprovalRequestDoc, withdrawn: boolean) {
    const verb = withdrawn ? 'withdrew' : 'rejected';
    return this.append('REJECT', actor, entryMember(request), requestTarget(request), `${verb} ${request._id}: ${describe(request)}`, { ...requestDetails(request), withdrawn });
  }

  /** The change an approval applied: an UPDATE of the record, or a TIER_CHANGE of the member. */
  changeApplied(actor: MemberViewer, request: ApprovalRequestDoc, before: ApprovalChange, after: ApprovalChange) {
    const { kind, id } = request.target;
    const details = { requestId: request._id, kind: request.kind, requestedBy: actorJson(request.requestedBy), ...changeDetails(request.kind, before, after) };
    if (request.kind === 'REGISTER_IDENTITY_PROVIDER' || request.kind === 'REMOVE_IDENTITY_PROVIDER') {
      const issuer = clip(id, 200);
      const registered = request.kind === 'REGISTER_IDENTITY_PROVIDER';
      const verb = registered ? (before.identityProvider ? 'replaced' : 'registered') : 'removed';
      return this.append(
        registered ? 'IDENTITY_PROVIDER_REGISTERED' : 'IDENTITY_PROVIDER_REMOVED',
        actor,
        request.ownerMemberId,
        { kind: 'IDENTITY_PROVIDER', id: issuer },
        `${verb} identity provider ${issuer} of member ${request.ownerMemberId} (${request._id})`,
        details,
      );
    }
    if (request.kind === 'GRANT_ROLE' || request.kind === 'LINK_IDENTITY') {
      const granted = request.kind === 'GRANT_ROLE';
      const what = granted ? `granted ${request.change.role} to` : `linked an identity of ${clip(request.change.identity?.issuer ?? '', 200)} to`;
      return this.append(granted ? 'ROLE_GRANTED' : 'IDENTITY_LINKED', actor, request.ownerMemberId, { kind: 'PERSON', id }, `${what} person ${clip(id, 200)} (${request._id})`, details);
    }
    if (request.kind === 'REGISTER_PEER') {
      return this.append('PEER_REGISTERED', actor, id, { kind: 'MEMBER', id }, `registered peer hub ${id}: ${before.status} to ${after.status} (${request._id})`, details);
    }
    if (request.kind === 'REGISTER_MEMBER' || request.kind === 'REINSTATE_MEMBER') {
      const action = request.kind === 'REGISTER_MEMBER' ? 'MEMBER_REGISTERED' : 'MEMBER_REINSTATED';
      const verb = request.kind === 'REGISTER_MEMBER' ? 'registered' : 'reinstated';
      return this.append(action, actor, id, { kind: 'MEMBER', id }, `${verb} member ${id}: ${before.status} to ${after.status} (${request._id})`, details);
    }
    if (kind === 'VULNERABILITY') {
      const published = request.kind === 'PUBLISH_VULNERABILITY';
      const what = published ? `published clearinghouse case ${id}` : `ended the embargo of clearinghouse case ${id} at ${iso(after.embargoUntil)}`;
      return this.append(published ? 'VULNERABILITY_PUBLISHED' : 'EMBARGO_ENDED', actor, actor.memberId, { kind, id }, `${what} (${request._id})`, { ...details, by: 'APPROVAL' });
    }
    if (request.kind === 'CLOSE_MODEL_REVIEW') {
      // The close's announcement wrote its entry (MODEL_REVIEW_CLOSED, `announceClose`, the
      // approver its actor); the APPROVE entry beside it names the request.
      return Promise.resolve();
    }
    if (request.kind === 'RESCHEDULE_MODEL_REVIEW') {
      return this.append('MODEL_REVIEW_RESCHEDULED', actor, request.ownerMemberId, { kind, id }, `rescheduled model review ${id} to ${iso(after.plannedDeploymentAt)} (${request._id})`, { ...details, by: 'APPROVAL' });
    }
    if (request.kind === 'PUBLISH_WARNED_INDICATOR') {
      // The publish the approval made, in the publisher's log as publishIndicators logs one (the approver its actor).
      return this.append('PUBLISH', actor, request.ownerMemberId, { kind, id }, `published held indicator ${id} (${request._id})`, { ...details, by: 'APPROVAL' });
    }
    if (request.kind === 'CHANGE_TIER') {
      return this.append('TIER_CHANGE', actor, id, { kind: 'MEMBER', id }, `changed the tier of member ${id} from ${before.tier} to ${after.tier} (${request._id})`, details);
    }
    return this.append('UPDATE', actor, request.ownerMemberId, { kind, id }, `${appliedVerb(request, before, after)} of ${KIND_NAMES[kind]} ${id} (${request._id})`, details);
  }

  /**
   * A member's status changed on one hub-admin's word (suspension, offboarding, reinstatement
   * below TRUSTED, a registration awaiting its second hub-admin). The reason stays on the member
   * (hub-admins read it there), never here; `details` counts what offboarding revoked.
   */
  memberStatusChanged(
    actor: MemberViewer | null,
    action: 'MEMBER_REGISTERED' | 'MEMBER_SUSPENDED' | 'MEMBER_REINSTATED' | 'MEMBER_OFFBOARDED',
    member: { _id: string; tier: string },
    from: string | null,
    to: string,
    extra: Record<string, AuditJson> = {},
  ) {
    const id = member._id;
    return this.append(action, actor, id, { kind: 'MEMBER', id }, `member ${id} (${member.tier}): ${from ?? 'new'} to ${to}`, { status: { from, to }, tier: member.tier, ...extra });
  }

  /**
   * A step of a clearinghouse case's workflow (src/services/vulnerability-workflow.ts), in the
   * acting person's member's log when that member is a party to the case, else hub-level
   * (`vulnerabilityAuditMember`: a coordinator's steps); the hub's own steps (the disclosure
   * watcher) are hub-level (`actor` null). Ids and enum values only: never a reason, a title or a note.
   */
  vulnerabilityStep(action: AuditAction, actor: MemberViewer | null, doc: Pick<VulnerabilityDoc, '_id' | 'source' | 'participants' | 'vendorStatuses'>, summary: string, details: Record<string, AuditJson>) {
    const memberId = actor ? vulnerabilityAuditMember(actor.memberId, doc) : null;
    return this.append(action, actor, memberId, { kind: 'VULNERABILITY', id: doc._id }, summary, details);
  }

  /** A token was issued: by the hub itself (`hub`) or by the CLI (`cli`, read from its file). */
  /** A CLI line, once: skipped when its entry exists, and a lost race to append it is no error. */
  private async cliTokenIssued(line: CliTokenLine): Promise<void> {
    const id = `audit--cli-${line.jti}`;
    const exists = async () => (await this.deps.audit.count({ _id: id })) > 0;
    if (await exists()) return;
    try {
      await this.tokenIssued(line, 'cli', id);
    } catch (err) {
      if (!(await exists())) throw err;
    }
  }

  tokenIssued(token: IssuedToken | CliTokenLine, via: 'hub' | 'cli', id?: string) {
    const at = 'at' in token ? new Date(token.at) : token.issuedAt;
    const expiresAt = typeof token.expiresAt === 'string' ? token.expiresAt : token.expiresAt.toISOString();
    return this.append(
      'TOKEN_ISSUED',
      null,
      token.memberId,
      { kind: 'TOKEN', id: token.jti },
      `issued a token for ${clip(token.userId)} of ${clip(token.memberId)} (roles: ${token.roles.join(', ') || 'none'}) via the ${via === 'cli' ? 'CLI' : 'hub'}`,
      { userId: clip(token.userId), roles: [...token.roles], expiresAt, via },
      at,
      id,
    );
  }

  /** An API key was created. Its id, roles and expiry only: never the key, its hash or its (free-text) name. */
  apiKeyCreated(actor: MemberViewer, key: ApiKeyDoc) {
    return this.append('API_KEY_CREATED', actor, key.memberId, { kind: 'API_KEY', id: key._id }, `created API key ${key._id} for ${clip(key.memberId)} (roles: ${key.roles.join(', ')}; expires ${iso(key.expiresAt) ?? 'never'})`, {
      roles: [...key.roles],
      expiresAt: iso(key.expiresAt),
    });
  }

  apiKeyRevoked(actor: MemberViewer, key: ApiKeyDoc) {
    return this.append('API_KEY_REVOKED', actor, key.memberId, { kind: 'API_KEY', id: key._id }, `revoked API key ${key._id} of ${clip(key.memberId)}`, {});
  }

  /** A community was created (its id only: its name and description are free text). In the owning member's log. */
  communityCreated(actor: MemberViewer, community: CommunityDoc) {
    return this.append('COMMUNITY_CREATED', actor, community.ownerMemberId, { kind: 'COMMUNITY', id: community._id }, `created community ${community._id}`, {});
  }

  /** A member joined a community's roster. In the owning member's log: the roster is its administrators' to know. */
  communityMemberAdded(actor: MemberViewer, community: CommunityDoc, memberId: string) {
    return this.append('COMMUNITY_MEMBER_ADDED', actor, community.ownerMemberId, { kind: 'COMMUNITY', id: community._id }, `added member ${clip(memberId)} to community ${community._id}`, { memberId: clip(memberId) });
  }

  /** A member left a community's roster (owning member's log, as for additions). */
  communityMemberRemoved(actor: MemberViewer, community: CommunityDoc, memberId: string) {
    return this.append('COMMUNITY_MEMBER_REMOVED', actor, community.ownerMemberId, { kind: 'COMMUNITY', id: community._id }, `removed member ${clip(memberId)} from community ${community._id}`, { memberId: clip(memberId) });
  }

  /** A hub-admin paused, resumed or removed a peer hub (docs/federation.md): hub-level and the peer member's; ids only. */
  peerChanged(action: 'PEER_PAUSED' | 'PEER_RESUMED' | 'PEER_REMOVED', actor: MemberViewer, peerId: string) {
    const verb = { PEER_PAUSED: 'paused', PEER_RESUMED: 'resumed', PEER_REMOVED: 'removed' }[action];
    return this.append(action, actor, peerId, { kind: 'MEMBER', id: peerId }, `${verb} pulling from peer hub ${clip(peerId, 200)}`, {});
  }

  /** A hub-admin set an indicator type's decay model (src/domain/decay-model.ts): a hub-wide entry. */
  decayModelSet(actor: MemberViewer, type: IndicatorType, model: { lifetimeDays: number; speed: number; threshold: number }) {
    return this.append('DECAY_MODEL_SET', actor, null, null, `set the decay model of ${type}: lifetime ${model.lifetimeDays} days, speed ${model.speed}, threshold ${model.threshold}`, { type, ...model });
  }

  /** The publisher's person set an indicator's score by hand (until its next re-publication). */
  scoreOverridden(actor: MemberViewer, id: string, score: number, reason: string) {
    return this.append('SCORE_OVERRIDDEN', actor, actor.memberId, { kind: 'INDICATOR', id }, `set the score of indicator ${id} to ${score}`, { score, reason: clip(reason, 500) });
  }

  /**
   * Several members reported one of the publisher's indicators as a false positive: an entry
   * the publisher's member-admins read. It counts the reporters and never names them.
   */
  falsePositivesReported(publisher: string, id: string, reporters: number) {
    return this.append('FALSE_POSITIVES_REPORTED', null, publisher, { kind: 'INDICATOR', id }, `${reporters} members reported indicator ${id} as a false positive`, { reporters });
  }

  /**
   * A change to a person made at once (added, a role revoked, an identity linked or unlinked,
   * removed), or by the hub itself (`actor` null: seeding, just-in-time provisioning). The entry
   * belongs to the person's member; details hold ids and enum values only.
   */
  personChanged(action: AuditAction, actor: MemberViewer | null, person: { _id: string; memberId: string }, summary: string, details: Record<string, AuditJson>) {
    return this.append(action, actor, person.memberId, { kind: 'PERSON', id: person._id }, summary, details);
  }

  /**
   * A change of a model review (src/services/model-review-service.ts), in its lab's log: by a
   * person of the lab, or by the hub itself (`actor` null: a close on schedule). Ids, enum values
   * and dates only: never the model's name, the description or a reason.
   */
  modelReviewStep(action: AuditAction, actor: MemberViewer | null, review: { _id: string; lab: string }, summary: string, details: Record<string, AuditJson>) {
    return this.append(action, actor, review.lab, { kind: 'MODEL_REVIEW', id: review._id }, summary, details);
  }

  /**
   * A token or API key was refused. Refusals are aggregated: one entry per claimed member, reason
   * and minute, whose `details.count` counts them, so the log grows with what members do, not with
   * what anonymous callers send. The entry belongs to the member the credential claimed when that
   * member exists (its member-admin sees attempts in its name), otherwise to the hub. What the
   * caller wrote (the issuer, member and key id it claimed) is kept, clipped, under
   * `details.untrusted`, from the first refusal of the minute only.
   */
  async loginFailed(reason: string, details: LoginFailureDetails = {}) {
    const at = this.now();
    const claimed = details.claimedMember ? await this.deps.members.get(details.claimedMember) : null;
    const memberId = claimed?._id ?? null;
    const why = clip(reason, 200);
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const key = createHash('sha256').update(JSON.stringify([memberId, why, minute.toISOString()])).digest('hex').slice(0, 32);
    const id = `audit--login-failed-${key}`;
    if (await this.deps.audit.incrementCount(id, at)) return;
    const untrusted: Record<string, AuditJson> = {};
    if (details.issuer) untrusted.issuer = clip(details.issuer, UNTRUSTED_CHARS);
    if (details.claimedMember) untrusted.claimedMember = clip(details.claimedMember, UNTRUSTED_CHARS);
    if (details.apiKeyId) untrusted.apiKeyId = clip(details.apiKeyId, UNTRUSTED_CHARS);
    const json: Record<string, AuditJson> = { reason: why, minute: minute.toISOString(), count: 1, firstAt: at.toISOString(), lastAt: at.toISOString(), untrusted };
    try {
      await this.append('LOGIN_FAILED', null, memberId, null, `refused credentials: ${why} (details.count counts them in this minute)`, json, at, id);
    } catch (err) {
      // Another request (or instance) created the minute's entry first: count this one there.
      if (!(await this.deps.audit.incrementCount(id, at))) throw err;
    }
  }

  private async append(
    action: AuditAction,
    actor: MemberViewer | null,
    memberId: string | null,
    target: AuditEntry['target'],
    summary: string,
    details: Record<string, AuditJson>,
    at = this.now(),
    id = `audit--${this.uuid()}`,
  ): Promise<void> {
    const entry: Omit<AuditEntry, 'seq'> = {
      _id: id,
      // A member-admin reads its own member's entries only: their order must not count anyone else's.
      memberSeq: await this.deps.sequences.next(`audit:${memberId ?? 'hub'}`),
      at,
      action,
      actor: actor ? { memberId: actor.memberId, userId: actor.userId } : null,
      memberId,
      target,
      summary,
      // What an API key did is its person's act; the key is named beside it.
      details: actor?.apiKeyId ? { ...details, apiKeyId: actor.apiKeyId } : details,
    };
    // One append at a time in this process, so that its own appends never race for the head;
    // other instances still may, and lose to the unique `seq` (appendToChain retries).
    const run = this.appending.then(() => appendToChain(this.deps.audit, entry));
    this.appending = run.catch(() => undefined);
    await run;
  }
}

/** How often an append retries after another instance took the position it linked to. */
const CHAIN_ATTEMPTS = 50;

/**
 * Links `entry` to the chain's head and appends it at the next position: read the head, hash,
 * compare-and-set through the unique `seq` (`AuditRepository.append`), and on a lost race read
 * the new head and try again. The chain stays one line however many instances append.
 */
export async function appendToChain(audit: AuditRepository, entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry> {
  for (let attempt = 0; attempt < CHAIN_ATTEMPTS; attempt++) {
    const [head] = await audit.find({}, { sort: [['seq', -1]], limit: 1 });
    const linked: AuditEntry = { ...entry, seq: (head?.seq ?? 0) + 1, prevHash: head?.hash ?? GENESIS_HASH };
    linked.hash = entryHash(linked);
    if (await audit.append(linked)) return linked;
    // Another writer took the position: back off a little (more with each loss) and relink.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new Error(`could not append audit entry ${entry._id}: the chain's head kept moving`);
}

/** Deliberation about a member's standing (tier, registration, reinstatement) is hub-level; requests about a record belong to its publisher. */
function entryMember(request: ApprovalRequestDoc): string | null {
  return MEMBER_STANDING_KINDS.includes(request.kind) ? null : request.ownerMemberId;
}

function requestTarget(request: ApprovalRequestDoc): AuditEntry['target'] {
  // The request, not its target: an identity provider's issuer is only named in the details.
  return { kind: 'APPROVAL_REQUEST', id: request._id };
}

function describe(request: ApprovalRequestDoc): string {
  return `${request.kind} of ${KIND_NAMES[request.target.kind]} ${clip(request.target.id, 200)}`;
}

function requestDetails(request: ApprovalRequestDoc): Record<string, AuditJson> {
  return {
    requestId: request._id,
    kind: request.kind,
    target: { kind: request.target.kind, id: clip(request.target.id, 200) },
    requestedBy: actorJson(request.requestedBy),
    ...changeDetails(request.kind, request.expected, request.change),
  };
}

/** From/to of the one field a request changes; recipients as counts (the list is the publisher's). */
function changeDetails(kind: ApprovalRequestDoc['kind'], before: ApprovalChange, after: ApprovalChange): Record<string, AuditJson> {
  switch (kind) {
    case 'LIFT_EMBARGO':
      return { embargoUntil: { from: iso(before.embargoUntil), to: iso(after.embargoUntil) } };
    case 'LOWER_TLP':
      return { tlp: { from: before.tlp ?? null, to: after.tlp ?? null } };
    case 'REMOVE_RECIPIENTS': {
      const was = before.recipients ?? [];
      const now = after.recipients ?? [];
      return { recipientsRemoved: was.filter((r) => !now.includes(r)).length, recipientsAdded: now.filter((r) => !was.includes(r)).length };
    }
    case 'CHANGE_TIER':
      return { tier: { from: before.tier ?? null, to: after.tier ?? null } };
    case 'REGISTER_IDENTITY_PROVIDER':
    case 'REMOVE_IDENTITY_PROVIDER':
      return { identityProvider: { from: providerJson(before.identityProvider), to: providerJson(after.identityProvider) } };
    case 'GRANT_ROLE':
      return { role: after.role ?? null };
    case 'LINK_IDENTITY':
      return { identity: after.identity ? { issuer: clip(after.identity.issuer, 200), subject: clip(after.identity.subject, 200) } : null };
    case 'REGISTER_MEMBER':
    case 'REINSTATE_MEMBER':
      return { status: { from: before.status ?? null, to: after.status ?? null } };
    case 'REGISTER_PEER':
      return { status: { from: before.status ?? null, to: after.status ?? null }, tier: after.tier ?? null };
    case 'PUBLISH_VULNERABILITY':
      return { status: { from: before.vulnerabilityStatus ?? null, to: after.vulnerabilityStatus ?? null } };
    case 'RESCHEDULE_MODEL_REVIEW':
      return {
        plannedDeploymentAt: { from: iso(before.plannedDeploymentAt), to: iso(after.plannedDeploymentAt) },
        windowOpensAt: { from: iso(before.windowOpensAt), to: iso(after.windowOpensAt) },
      };
    case 'CLOSE_MODEL_REVIEW':
      return { plannedDeploymentAt: { from: iso(before.plannedDeploymentAt), to: iso(after.plannedDeploymentAt) } };
    case 'PUBLISH_WARNED_INDICATOR': {
      // Ids only: the held value, its TLP and its lists stay on the request, where who may see
      // the held item is decided (mayViewHeldIndicator); a hub-admin reads every entry.
      const had = before.claim?.id ?? null;
      const stored = after.claim?.id ?? null;
      if (!stored) return { existingClaim: had };
      return { created: had ? [] : [stored], updated: had ? [stored] : [], rejected: [] };
    }
  }
}

function appliedVerb(request: ApprovalRequestDoc, before: ApprovalChange, after: ApprovalChange): string {
  switch (request.kind) {
    case 'LOWER_TLP':
      return `lowered the TLP from ${before.tlp} to ${after.tlp}`;
    case 'REMOVE_RECIPIENTS':
      return 'changed the recipients';
    default:
      return `ended the embargo at ${iso(after.embargoUntil)}`;
  }
}

const actorJson = (a: ActorRef): Record<string, AuditJson> => ({ memberId: a.memberId, userId: clip(a.userId, 200) });

/** What the log keeps of a registration: how its keys are found and checked, never the keys themselves. */
function providerJson(r: IdentityProviderRegistration | null | undefined): AuditJson {
  if (!r) return null;
  return {
    issuer: clip(r.issuer, 200),
    keys: r.jwks ? 'INLINE' : 'URI',
    keyIds: r.jwks ? r.jwks.keys.map((k) => clip(k.kid ?? '', 64)) : [],
    allowedAlgorithms: [...r.allowedAlgorithms],
  };
}
const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

