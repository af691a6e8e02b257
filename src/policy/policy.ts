/**
 * The hub's one policy module: who sees which records, and who may do what.
 *
 * If you are adding a new way for data to leave the hub, this is the place to ask. Record
 * visibility is expressed as MongoDB filter documents, so every store adapter (MongoDB itself,
 * or mingo in memory) applies the very same rule before it sorts, pages or counts.
 *
 * | record                       | who sees it                                              |
 * |------------------------------|----------------------------------------------------------|
 * | TLP:CLEAR                    | everyone (anonymous callers too, when anonymous reads on) |
 * | TLP:GREEN                    | COMMUNITY and above                                      |
 * | TLP:AMBER, TLP:AMBER_STRICT  | TRUSTED and above                                        |
 * | TLP:RED                      | its publisher and the members listed as recipients       |
 * | notice under embargo         | additionally restricted to CORE members                  |
 * | notice in DRAFT              | its publisher only                                       |
 * | any record                   | always its publisher                                     |
 * | over TAXII                   | never TLP:RED or TLP:AMBER_STRICT (`taxiiExclusion`)     |
 *
 * Fields: the SDL marks gated fields, input fields and enum values with `@minTier(tier: ...)`
 * (what is gated); `canSeeField` and `canUseGatedInput` below decide who passes (who).
 */
import type { MemberTier, Role, Tier, Tlp } from '../domain/types.js';
import { forbidden, unauthenticated } from '../errors.js';

/** Who is asking. The tier always comes from the hub's member registry, never from a token. */
export type Viewer =
  | { readonly kind: 'anonymous'; readonly tier: 'PUBLIC' }
  | {
      readonly kind: 'member';
      readonly memberId: string;
      readonly userId: string;
      readonly roles: readonly Role[];
      readonly tier: MemberTier;
      /** When the credential this viewer presented expires (ms since epoch), if it does. */
      readonly tokenExpiresAt?: number;
    };

export type Filter = Record<string, unknown>;

export const ANONYMOUS: Viewer = Object.freeze({ kind: 'anonymous', tier: 'PUBLIC' });

const TIER_RANK: Record<Tier, number> = { PUBLIC: 0, COMMUNITY: 1, TRUSTED: 2, CORE: 3 };

export const tierRank = (tier: Tier): number => TIER_RANK[tier];
export const atLeast = (tier: Tier, min: Tier): boolean => TIER_RANK[tier] >= TIER_RANK[min];

/** The TLPs a tier may read without being a named recipient. */
const TLP_FOR_TIER: Record<Tier, readonly Tlp[]> = {
  PUBLIC: ['CLEAR'],
  COMMUNITY: ['CLEAR', 'GREEN'],
  TRUSTED: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT'],
  CORE: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT'],
};

/** Records of these TLPs name their recipients; recipients see them whatever their tier. */
const RECIPIENT_TLP: Tlp = 'RED';

function tlpClause(viewer: Viewer): Filter {
  const byTier: Filter = { tlp: { $in: [...TLP_FOR_TIER[viewer.tier]] } };
  if (viewer.kind === 'anonymous') return byTier;
  return { $or: [byTier, { tlp: RECIPIENT_TLP, recipients: viewer.memberId }] };
}

/** The filter selecting exactly the indicators `viewer` may see. */
export function indicatorVisibility(viewer: Viewer): Filter {
  if (viewer.kind === 'anonymous') return tlpClause(viewer);
  return { $or: [{ source: viewer.memberId }, tlpClause(viewer)] };
}

/** Whether embargoes hold for `viewer` on others' notices (everyone below CORE). */
export function embargoApplies(viewer: Viewer): boolean {
  return viewer.tier !== 'CORE';
}

/** The filter selecting exactly the model-risk notices `viewer` may see at instant `now`. */
export function noticeVisibility(viewer: Viewer, now: Date): Filter {
  const clauses: Filter[] = [{ status: { $ne: 'DRAFT' } }, tlpClause(viewer)];
  if (embargoApplies(viewer)) {
    clauses.push({ $or: [{ embargoUntil: null }, { embargoUntil: { $lte: now } }] });
  }
  const others: Filter = { $and: clauses };
  if (viewer.kind === 'anonymous') return others;
  return { $or: [{ source: viewer.memberId }, others] };
}

/**
 * What TAXII never serves, to anyone (the publisher and named recipients included), ANDed to the
 * visibility filters above: TLP:RED and TLP:AMBER+STRICT records. A feed is polled into SIEMs and
 * shared tooling, where "named recipients only" and "your organisation only" cannot be held.
 */
export function taxiiExclusion(): Filter {
  return { tlp: { $nin: ['RED', 'AMBER_STRICT'] } };
}

/**
 * A key shared by exactly the viewers who see the same records: equal keys mean equal
 * visibility filters. Used to cache compiled filters and to group subscribers.
 */
export function visibilityKey(viewer: Viewer): string {
  return viewer.kind === 'anonymous' ? 'PUBLIC' : `${viewer.tier}:${viewer.memberId}`;
}

/** Who a cursor or token is bound to: the member, or `anonymous`. */
export function viewerId(viewer: Viewer): string {
  return viewer.kind === 'anonymous' ? 'anonymous' : viewer.memberId;
}

export interface ReadPolicyOptions {
  /** Whether callers without a token may read at all. */
  anonymousReads: boolean;
}

/** Throws UNAUTHENTICATED unless the viewer may read at all. */
export function assertCanRead(viewer: Viewer, options: ReadPolicyOptions): void {
  if (viewer.kind === 'anonymous' && !options.anonymousReads) {
    throw unauthenticated('Anonymous reads are disabled on this hub: send Authorization: Bearer <token>');
  }
}

/**
 * Whose rate-limit bucket a viewer draws from: a member's (all its users, keys and sockets share
 * it, whatever the transport), else the caller's address (every anonymous caller behind one
 * address shares one).
 */
export function rateLimitBucket(viewer: Viewer, remoteAddress: string | undefined): string {
  return viewer.kind === 'member' ? `member:${viewer.memberId}` : `ip:${remoteAddress ?? 'unknown'}`;
}

/**
 * Throws unless the viewer may introspect the schema (`__schema`, `__type`; `__typename` is not
 * introspection): FORBIDDEN for everyone when the hub turned it off, UNAUTHENTICATED for anonymous callers.
 */
export function assertCanIntrospect(viewer: Viewer, options: { introspection: boolean }): void {
  if (!options.introspection) throw forbidden('Introspection is turned off on this hub');
  if (viewer.kind === 'anonymous') throw unauthenticated('Introspection needs a token: send Authorization: Bearer <token>');
}

/** Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN when the role is missing. */
export function assertRole(viewer: Viewer, role: Role): asserts viewer is Extract<Viewer, { kind: 'member' }> {
  if (viewer.kind === 'anonymous') throw unauthenticated(`This operation needs a token with the ${role} role`);
  if (!viewer.roles.includes(role)) {
    throw forbidden(`This operation needs the ${role} role`);
  }
}

/** Whether the viewer may act on a record as its owner (revoke, report on behalf of, update). */
export function ownsRecord(viewer: Viewer, record: { source: string }): boolean {
  return viewer.kind === 'member' && viewer.memberId === record.source;
}

/**
 * Whether the viewer may administer a member's settings (its identity providers and API keys):
 * a hub-admin for any member, a member-admin for its own member only.
 */
export function canAdministerMember(viewer: Viewer, memberId: string): boolean {
  if (viewer.kind === 'anonymous') return false;
  return viewer.roles.includes('hub-admin') || (viewer.roles.includes('member-admin') && viewer.memberId === memberId);
}

/** Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN unless `canAdministerMember`. */
export function assertCanAdministerMember(viewer: Viewer, memberId: string): asserts viewer is Extract<Viewer, { kind: 'member' }> {
  if (viewer.kind === 'anonymous') throw unauthenticated('Administering a member needs a token');
  if (!canAdministerMember(viewer, memberId)) {
    throw forbidden('This operation needs the hub-admin role, or member-admin of this member');
  }
}

/** The roles an API key gets when its creator names none: read-only. */
export const API_KEY_DEFAULT_ROLES: readonly Role[] = ['reader'];

/**
 * Roles no API key may carry, whoever creates it. hub-admin: hub administration needs a token the
 * hub signed. member-admin: a key able to create keys could leave successors behind that outlive
 * its own revocation. approver: approving is a second *person's* decision, and a key acts as its
 * own user (`api-key:<id>`), so the requester could approve with a key they made themselves.
 */
export const API_KEY_EXCLUDED_ROLES: readonly Role[] = ['hub-admin', 'member-admin', 'approver'];

/**
 * What is wrong with the roles asked for a member's API key, or null: at least one, none of
 * API_KEY_EXCLUDED_ROLES, all among the roles the hub allows the member. Refused rather than
 * trimmed, so that a creator never holds a key weaker than they think. The authenticator
 * intersects the key's roles with the member's allowed roles again on every request.
 */
export function apiKeyRolesProblem(roles: readonly Role[], allowedRoles: readonly Role[]): string | null {
  if (roles.length === 0) return 'Give at least one role (omit roles for the default, reader)';
  const excluded = roles.filter((r) => API_KEY_EXCLUDED_ROLES.includes(r));
  if (excluded.length) return `An API key cannot hold ${excluded.join(' or ')}: administering and approving need a person's token`;
  const beyond = roles.filter((r) => !allowedRoles.includes(r));
  if (beyond.length) return `The hub does not allow this member the role(s) ${beyond.join(', ')}`;
  return null;
}

/**
 * Whether the viewer sees a field gated at `minTier` on `record`. A member sees every field of
 * its own records; everyone else (a named recipient of a RED record included) sees the fields
 * of its own tier.
 */
export function canSeeField(viewer: Viewer, record: unknown, minTier: Tier): boolean {
  if (atLeast(viewer.tier, minTier)) return true;
  const source = (record as { source?: unknown } | null)?.source;
  return viewer.kind === 'member' && typeof source === 'string' && source === viewer.memberId;
}

/**
 * Whether the viewer may filter or sort on a gated field. Ownership does not count here: the
 * answer must not depend on the data, or the refusal itself would tell something.
 */
export function canUseGatedInput(viewer: Viewer, minTier: Tier): boolean {
  return atLeast(viewer.tier, minTier);
}

/**
 * Which audit entries a viewer may read, as a filter: a hub-admin every entry; a member-admin
 * the entries of its own member (`memberId`), never hub-level ones (`memberId: null`); anyone
 * else is refused. Entries carry ids and enum values only, never record content, so an entry a
 * member-admin reads names only its own member's records, tokens, logins and requests.
 */
export function auditVisibility(viewer: Viewer): Filter {
  if (viewer.kind === 'anonymous') throw unauthenticated('The audit log needs a token with the hub-admin or member-admin role');
  if (viewer.roles.includes('hub-admin')) return {};
  if (viewer.roles.includes('member-admin')) return { memberId: viewer.memberId };
  throw forbidden('The audit log needs the hub-admin or member-admin role');
}

/** Whether the viewer made the request (the same member and user). */
export function madeRequest(viewer: Viewer, request: { requestedBy: { memberId: string; userId: string } }): boolean {
  return viewer.kind === 'member' && viewer.memberId === request.requestedBy.memberId && viewer.userId === request.requestedBy.userId;
}

/**
 * Whether the viewer may approve or reject a request: a hub-admin any request; an approver of
 * the record's publishing member a request about that member's records (never a tier change).
 * Approving one's own request is refused separately (`isSamePerson`).
 */
export function mayDecide(viewer: Viewer, request: { kind: string; ownerMemberId: string }): boolean {
  if (viewer.kind === 'anonymous') return false;
  if (viewer.roles.includes('hub-admin')) return true;
  return request.kind !== 'CHANGE_TIER' && viewer.roles.includes('approver') && viewer.memberId === request.ownerMemberId;
}

/**
 * "A different person" means a different user id: the same user acting for another member (or
 * with other roles) is still the same person and may not approve their own request.
 */
export function isSamePerson(viewer: Viewer, actor: { userId: string }): boolean {
  return viewer.kind === 'member' && viewer.userId === actor.userId;
}

/** The approval requests a viewer may list: those it made and those it may decide (`mayDecide`). */
export function approvalVisibility(viewer: Viewer): Filter {
  if (viewer.kind === 'anonymous') throw unauthenticated('Approval requests need a token');
  if (viewer.roles.includes('hub-admin')) return {};
  const mine: Filter = { 'requestedBy.memberId': viewer.memberId, 'requestedBy.userId': viewer.userId };
  if (!viewer.roles.includes('approver')) return mine;
  return { $or: [mine, { ownerMemberId: viewer.memberId, kind: { $ne: 'CHANGE_TIER' } }] };
}
