import { clip } from '../util/clip.js';
import {
  MEMBER_KINDS,
  memberStatus,
  ROLES,
  type ActorRef,
  type ApprovalRequestDoc,
  type Member,
  type MemberKind,
  type MemberStatus,
  type MemberTier,
  type Role,
} from '../domain/types.js';
import { badInput, hubError, unauthenticated } from '../errors.js';
import { assertMayChangeMemberStanding, canSeeMember, isPartOfHub, reinstatementNeedsSecondPerson, type Viewer } from '../policy/policy.js';
import type { MemberGuard, MemberRepository, MemberUpdate } from '../store/ports.js';
import type { ApiKeyService } from './api-key-service.js';
import type { ApprovalService } from './approval-service.js';
import type { AuditService } from './audit-service.js';
import type { IdentityService } from './identity-service.js';
import type { PeopleService } from './people-service.js';

/** Members the registry holds (the cost analysis counts the `members` directory by it). */
export const MAX_MEMBERS = 1_000;

/** A member as `register` takes it: `status` may be left out (then read from the old `suspended` flag, else ACTIVE). */
export type NewMember = Omit<Member, 'status'> & { status?: MemberStatus };

/** What `registerMember` takes (GraphQL `RegisterMemberInput`). */
export interface RegisterMemberInput {
  /** Lowercase letters, digits and inner hyphens, 1 to 64 characters; never reused once it named a member. */
  id: string;
  name: string;
  kind: string;
  sector: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  allowedRoles: readonly string[];
  /** Why, for the second hub-admin (kept on the request). Default: "register member <id>". */
  reason?: string | null;
}

/**
 * The services the lifecycle calls, read when first needed: each of them is built with this
 * service (they look members up), so the composition root hands them over as getters.
 */
export interface MemberLifecycleDeps {
  audit: () => AuditService;
  approvals: () => ApprovalService;
  apiKeys: () => ApiKeyService;
  identity: () => IdentityService;
  people: () => PeopleService;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /**
   * Told when a member's tier may have changed (`changeTier`, `register`): rewrites the score
   * bases of its claims (ScoreBaseService.rewriteMember). `changeTier` does not wait for it (a
   * member's claims may be many: the approval answers at once); `register` (seeding) does. It
   * reports its own failures (a rewrite cut short is finished at the next start). Default: nothing.
   */
  onTierChanged?: (memberId: string) => Promise<void>;
}

/** A status change, and the approval request it opened when it needs a second hub-admin (else null). */
export interface MemberChange {
  member: Member;
  request: ApprovalRequestDoc | null;
}

/** What offboarding did besides the status: the API keys it revoked, the identity providers and the people it removed. */
export interface Offboarding {
  member: Member;
  revokedApiKeys: string[];
  removedIdentityProviders: string[];
  removedPersons: string[];
}

const ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const MAX_NAME = 200;
const MAX_SECTOR = 64;
const MAX_REASON = 1_000;
const CONTROL = /\p{Cc}/u;
const REGIONS = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** The member with its status read as `memberStatus` reads it (documents written before `status` are migrated on read). */
function current(member: Member): Member {
  if (member.status && member.suspended === undefined) return member;
  const { suspended: _legacy, ...rest } = member;
  return { ...rest, status: memberStatus(member) };
}

/**
 * The member registry: organisations, their kind, sector, (authoritative) tier and lifecycle
 * (docs/members.md). Every change announces `onChanged`, so that every instance re-checks the
 * member's live connections.
 */
export class MemberService {
  /**
   * `onChanged` hears of every change to a member (tier, status, roles): live connections are
   * re-checked. `lifecycle` is needed by the lifecycle methods (register, suspend, reinstate, offboard).
   */
  constructor(
    private readonly members: MemberRepository,
    private readonly onChanged: (memberId: string) => void = () => {},
    private readonly lifecycle?: MemberLifecycleDeps,
  ) {}

  /** Any member, PENDING ones too (the authenticator and the hub's own checks); null when unknown. */
  async get(id: string): Promise<Member | null> {
    const [member] = await this.members.findByIds([id]);
    return member ? current(member) : null;
  }

  /**
   * The members of the hub among `ids`: never a PENDING one, which is not part of the hub yet
   * (recipients are checked against these, so naming a pending id answers as an unknown one).
   */
  async getMany(ids: readonly string[]): Promise<Member[]> {
    // Not a PENDING or withdrawn one either (`isPartOfHub`).
    if (!ids.length) return [];
    return (await this.members.findByIds(ids)).map(current).filter(isPartOfHub);
  }

  /** The directory, for members only: anonymous callers do not learn who belongs to the hub (`canSeeMember`). */
  async directory(viewer: Viewer): Promise<Member[]> {
    if (viewer.kind === 'anonymous') throw unauthenticated('The member directory is for members: send a token');
    return (await this.members.list()).map(current).filter((m) => canSeeMember(viewer, m));
  }

  /** One member, when the viewer may know of it (`canSeeMember`); null otherwise, as for an unknown id. */
  async visible(viewer: Viewer, id: string): Promise<Member | null> {
    if (viewer.kind === 'anonymous') throw unauthenticated('The member directory is for members: send a token');
    const member = await this.get(id);
    return member && canSeeMember(viewer, member) ? member : null;
  }

  /** Ids of the members in any of these sectors. */
  async idsInSectors(sectors: readonly string[]): Promise<string[]> {
    const wanted = new Set(sectors);
    return (await this.members.list()).filter((m) => wanted.has(m.sector)).map((m) => m._id);
  }

  /**
   * Writes a member as given, with no check and no approval: for seeding (demo data, tests) and
   * the operator's `init`. Everything else registers through `registerMember`.
   */
  async register(member: NewMember): Promise<void> {
    if (!(await this.get(member._id)) && (await this.members.list()).length >= MAX_MEMBERS) {
      throw badInput(`The registry holds at most ${MAX_MEMBERS} members`, 'id');
    }
    const { suspended: _legacy, ...rest } = member;
    await this.members.put({ ...rest, status: memberStatus(member) });
    this.onChanged(member._id);
    await this.lifecycle?.onTierChanged?.(member._id);
  }

  /**
   * Registers a new member (hub-admin): it starts PENDING at COMMUNITY, and a REGISTER_MEMBER
   * request asks a second hub-admin (another person) to make it ACTIVE; until then none of its
   * credentials work. An id whose registration was rejected or expired, never approved, may be
   * registered again (nothing ever acted under it); any other id that named a member is never
   * reused. Returns the member as it now is (PENDING) and the request.
   */
  async registerMember(viewer: Viewer, input: RegisterMemberInput): Promise<MemberChange> {
    assertMayChangeMemberStanding(viewer, null);
    const deps = this.deps();
    const fields = validateRegistration(input);
    const reason = input.reason == null || input.reason.trim() === '' ? `register member ${fields.id}` : requiredReason(input.reason);
    const now = deps.now();
    const by = actorOf(viewer);
    const existing = await this.get(fields.id);
    let guard: MemberGuard;
    if (existing) {
      guard = await this.reusable(existing);
      const updated = await this.members.update(fields.id, guard, {
        name: fields.name, kind: fields.kind, sector: fields.sector, country: fields.country, allowedRoles: fields.allowedRoles,
        tier: 'COMMUNITY', status: 'PENDING', statusChange: { at: now, by, reason },
      });
      if (!updated) throw registeredMeanwhile(fields.id);
      // Whatever the earlier, never-approved registration collected does not carry over.
      await deps.apiKeys().revokeAllOf(viewer, fields.id);
      await deps.identity().removeAllOf(fields.id);
      await deps.people().removeAllOf(viewer, fields.id, 'registered again');
    } else {
      if ((await this.members.list()).length >= MAX_MEMBERS) throw badInput(`The registry holds at most ${MAX_MEMBERS} members`, 'input.id');
      const member: Member = { _id: fields.id, name: fields.name, kind: fields.kind, tier: 'COMMUNITY', sector: fields.sector, country: fields.country, allowedRoles: fields.allowedRoles, status: 'PENDING', statusChange: { at: now, by, reason }, createdAt: now };
      if (!(await this.members.insert(member))) throw registeredMeanwhile(fields.id);
    }
    const request = await deps.approvals().requestMemberRegistration(viewer, fields.id, reason);
    // The registration names its request: only this request can make the member ACTIVE.
    const member = await this.members.update(fields.id, { status: 'PENDING' }, { statusChange: { at: now, by, reason, requestId: request._id } });
    this.onChanged(fields.id);
    return { member: current(member ?? (await this.get(fields.id))!), request };
  }

  /** Suspends an ACTIVE member at once (hub-admin of another member): every credential it holds is refused from the next request, its sockets close. */
  async suspend(viewer: Viewer, id: string, reason: string): Promise<Member> {
    assertMayChangeMemberStanding(viewer, id);
    const text = requiredReason(reason);
    const member = await this.existing(id);
    if (member.status !== 'ACTIVE') throw notFrom(member, 'suspended', 'only an ACTIVE member can be suspended');
    return this.move(viewer, member, 'SUSPENDED', 'MEMBER_SUSPENDED', text);
  }

  /**
   * Reinstates a SUSPENDED member (hub-admin of another member). Below TRUSTED at once; at
   * TRUSTED or above (`reinstatementNeedsSecondPerson`) it opens a REINSTATE_MEMBER request for a
   * second hub-admin and returns the member still SUSPENDED, with the request.
   */
  async reinstate(viewer: Viewer, id: string, reason: string): Promise<MemberChange> {
    assertMayChangeMemberStanding(viewer, id);
    const text = requiredReason(reason);
    const member = await this.existing(id);
    if (member.status !== 'SUSPENDED') throw notFrom(member, 'reinstated', 'only a SUSPENDED member can be reinstated');
    if (reinstatementNeedsSecondPerson(member)) {
      const request = await this.deps().approvals().requestMemberReinstatement(viewer, member._id, member.tier, text);
      return { member, request };
    }
    return { member: await this.move(viewer, member, 'ACTIVE', 'MEMBER_REINSTATED', text), request: null };
  }

  /**
   * Offboards a member for good (hub-admin of another member), from any status but OFFBOARDED:
   * its credentials are refused at once, every API key of it is revoked, every identity
   * provider of it removed and every person of it removed (their identities stay theirs). Its
   * records stay, with their markings, attributed to it.
   */
  async offboard(viewer: Viewer, id: string, reason: string): Promise<Offboarding> {
    assertMayChangeMemberStanding(viewer, id);
    const text = requiredReason(reason);
    const member = await this.existing(id);
    if (member.status === 'OFFBOARDED') throw notFrom(member, 'offboarded', 'offboarding is final');
    const deps = this.deps();
    // A registration withdrawn before approval never was part of the hub: it stays out of sight.
    const after = await this.write(viewer, member, 'OFFBOARDED', text, member.status === 'PENDING' ? { withdrawn: true } : {});
    // The status alone already refuses every credential; revoking and removing makes it final.
    const revoked = await deps.apiKeys().revokeAllOf(viewer, id);
    const removed = await deps.identity().removeAllOf(id);
    const removedPersons = await deps.people().removeAllOf(viewer, id, 'offboarded');
    const revokedApiKeys = revoked.map((k) => k._id);
    const removedIdentityProviders = removed.map((r) => r.issuer);
    await deps.audit().memberStatusChanged(viewer, 'MEMBER_OFFBOARDED', after, member.status, 'OFFBOARDED', {
      revokedApiKeys,
      removedIdentityProviders: removedIdentityProviders.map((i) => clip(i, 200)),
      removedPersons,
    });
    return { member: after, revokedApiKeys, removedIdentityProviders, removedPersons };
  }

  /**
   * Applies an approved REGISTER_MEMBER or REINSTATE_MEMBER request: ACTIVE, only while the member
   * is still as the request found it (PENDING under this very request; SUSPENDED at the same tier).
   * Returns the member as it was, or null with nothing written. Called by ApprovalService.
   */
  async applyApprovedStatus(request: ApprovalRequestDoc, approver: ActorRef, now: Date): Promise<Member | null> {
    const id = request.target.id;
    const before = await this.get(id);
    const guard: MemberGuard =
      request.kind === 'REGISTER_MEMBER' || request.kind === 'REGISTER_PEER' ? { status: 'PENDING', statusRequestId: request._id } : { status: 'SUSPENDED', tier: request.expected.tier! };
    const statusChange = { at: now, by: approver, reason: request.reason, requestId: request._id };
    const after = await this.members.update(id, guard, { status: 'ACTIVE', statusChange });
    if (!after) return null;
    this.onChanged(id);
    return before;
  }

  /**
   * Sets a member's tier, only if it still is `expected` and the member is ACTIVE (an approved
   * request's re-check), as one compare-and-set in the store. Returns the member as it was, or
   * null when it is missing, no longer ACTIVE or its tier has moved on. Called by ApprovalService
   * once a second hub-admin approved; the new tier applies from the member's next request, as the
   * Authenticator reads the registry on every request.
   */
  async changeTier(id: string, expected: MemberTier, tier: MemberTier): Promise<Member | null> {
    const before = await this.get(id);
    const after = await this.members.update(id, { tier: expected, status: 'ACTIVE' }, { tier });
    if (!after) return null;
    this.onChanged(id);
    void this.lifecycle?.onTierChanged?.(id);
    return before && { ...before, tier: expected };
  }

  /** The id may be registered again only when its registration was never approved and is no longer open. */
  private async reusable(existing: Member): Promise<MemberGuard> {
    if (existing.status !== 'PENDING') {
      throw hubError('BAD_USER_INPUT', `the id "${existing._id}" already names a member (${existing.status}); a member's id is never reused`, 'input.id');
    }
    const requestId = existing.statusChange?.requestId;
    if (requestId && (await this.deps().approvals().isOpen(requestId))) {
      throw hubError('INVALID_TRANSITION', `the registration of "${existing._id}" awaits its second hub-admin (request ${requestId}): approve or reject it first`, 'input.id');
    }
    return requestId ? { status: 'PENDING', statusRequestId: requestId } : { status: 'PENDING' };
  }

  private async existing(id: string): Promise<Member> {
    const member = await this.get(id);
    if (!member) throw hubError('NOT_FOUND', `no member with id "${clip(id)}"`, 'id');
    return member;
  }

  /** One hub-admin's status change: written, audited, announced. */
  private async move(viewer: Extract<Viewer, { kind: 'member' }>, member: Member, to: MemberStatus, action: 'MEMBER_SUSPENDED' | 'MEMBER_REINSTATED', reason: string) {
    const after = await this.write(viewer, member, to, reason);
    await this.deps().audit().memberStatusChanged(viewer, action, after, member.status, to);
    return after;
  }

  /** Compare-and-set from the status read; INVALID_TRANSITION when another change landed first. */
  private async write(viewer: Extract<Viewer, { kind: 'member' }>, member: Member, to: MemberStatus, reason: string, extra: MemberUpdate = {}): Promise<Member> {
    const statusChange = { at: this.deps().now(), by: actorOf(viewer), reason };
    const after = await this.members.update(member._id, { status: member.status }, { ...extra, status: to, statusChange });
    if (!after) throw hubError('INVALID_TRANSITION', `member "${member._id}" changed meanwhile; nothing was changed: read it again`, 'id');
    this.onChanged(member._id);
    return current(after);
  }

  private deps(): Required<Omit<MemberLifecycleDeps, 'onTierChanged'>> {
    if (!this.lifecycle) throw new Error('MemberService: the member lifecycle needs its services (MemberLifecycleDeps)');
    return { now: () => new Date(), ...this.lifecycle };
  }
}

const actorOf = (viewer: Extract<Viewer, { kind: 'member' }>): ActorRef => ({ memberId: viewer.memberId, userId: viewer.userId });

function requiredReason(reason: string | null | undefined): string {
  const text = reason?.trim() ?? '';
  if (text.length < 1 || text.length > MAX_REASON) throw badInput(`reason must be 1 to ${MAX_REASON} characters`, 'reason');
  return text;
}

function notFrom(member: Member, verb: string, rule: string) {
  return hubError('INVALID_TRANSITION', `member "${member._id}" is ${member.status} and cannot be ${verb}: ${rule}`, 'id');
}

function registeredMeanwhile(id: string) {
  return hubError('INVALID_TRANSITION', `member "${id}" was registered meanwhile; nothing was changed`, 'input.id');
}

function text(value: unknown, field: string, max: number): string {
  const s = typeof value === 'string' ? value.trim() : '';
  if (s.length < 1 || s.length > max || CONTROL.test(s)) throw badInput(`${field.slice(6)} must be 1 to ${max} characters, without control characters`, field);
  return s;
}

/** Every field checked, each refusal naming its field (`input.<name>`). */
export function validateRegistration(input: RegisterMemberInput): Pick<Member, 'name' | 'kind' | 'sector' | 'country' | 'allowedRoles'> & { id: string } {
  const id = typeof input.id === 'string' ? input.id : '';
  if (!ID_PATTERN.test(id)) {
    throw badInput('id must be 1 to 64 lowercase letters, digits and hyphens, starting and ending with a letter or digit', 'input.id');
  }
  const name = text(input.name, 'input.name', MAX_NAME);
  if (!(MEMBER_KINDS as readonly string[]).includes(input.kind)) throw badInput(`kind must be one of ${MEMBER_KINDS.join(', ')}`, 'input.kind');
  const sector = text(input.sector, 'input.sector', MAX_SECTOR);
  const country = typeof input.country === 'string' ? input.country : '';
  if (!/^[A-Z]{2}$/.test(country) || REGIONS.of(country) === undefined) {
    throw badInput('country must be an ISO 3166-1 alpha-2 code in capitals, such as NL or US', 'input.country');
  }
  const roles = [...new Set(input.allowedRoles ?? [])];
  if (roles.length === 0) throw badInput(`allowedRoles needs at least one of ${ROLES.join(', ')}`, 'input.allowedRoles');
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length) throw badInput(`not a hub role: ${unknown.map((r) => JSON.stringify(clip(r, 40))).join(', ')} (roles are ${ROLES.join(', ')})`, 'input.allowedRoles');
  return { id, name, kind: input.kind as MemberKind, sector, country, allowedRoles: roles as Role[] };
}
