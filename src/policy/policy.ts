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
 * | TLP:RED                      | its publisher, the members listed as recipients, and the |
 * |                              | current members of the communities listed there          |
 * | notice under embargo         | additionally restricted to CORE members                  |
 * | notice in DRAFT              | its publisher only                                       |
 * | any record                   | always its publisher                                     |
 * | over TAXII                   | never TLP:RED or TLP:AMBER_STRICT (`taxiiExclusion`)     |
 *
 * Fields: the SDL marks gated fields, input fields and enum values with `@minTier(tier: ...)`
 * (what is gated); `canSeeField` and `canUseGatedInput` below decide who passes (who).
 */
import type { AlertEventType, EventDoc, RecordKind, VisibilityFacts } from '../domain/events.js';
import { ADDABLE_ROLES, type PersonDoc } from '../domain/person.js';
import { IDENTITY_PROVIDER_KINDS, MEMBER_STANDING_KINDS, memberStatus, NOTICE_STATUSES, ROLES, type Member, type MemberTier, type NoticeStatus, type Role, type Tier, type Tlp } from '../domain/types.js';
import type { Filter } from '../domain/filter.js';
import { forbidden, unauthenticated } from '../errors.js';
import type { DisclosureStage, VulnerabilityDoc } from '../domain/vulnerability.js';
import { disclosureStage, stageRank, type DisclosureSchedule, type StoredStage } from '../domain/vulnerability-stage.js';
import type { VendorStatusView, VulnerabilityAudience, VulnerabilityView } from '../domain/vulnerability-view.js';
import { modelReviewStatus, type ModelReviewDoc, type ModelReviewView } from '../domain/model-review.js';
import { DEFAULT_MAX_HOPS } from '../domain/peer.js';

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
      /**
       * Every person this viewer counts as for "a different person", when more than `userId`: a
       * federated identity also counts as whoever requested and approved its identity provider
       * (`UNKNOWN_PERSON` when that is not recorded). Absent means just `userId`.
       */
      readonly persons?: readonly string[];
      /** When the credential is an API key: its id, kept with what it did (audit details). `userId` is the key's person. */
      readonly apiKeyId?: string;
      /**
       * The ids of the communities the viewer's member belongs to now, sorted: a TLP:RED record
       * naming one of them is shared with the viewer. Read from the store on every request (and
       * every alert dispatch round), never from a token, so joining grants and leaving revokes
       * at once. Absent means none.
       */
      readonly communities?: readonly string[];
      /**
       * Present when the viewer's member is a peer hub (kind HUB), as the member registry says (the
       * authenticator and `viewerNow` set it from the member, never from a credential's claims):
       * what leaves this hub for it passes `peerExclusion` too, with this hub's `HUB_MAX_HOPS`.
       */
      readonly peer?: { readonly maxHops: number };
    };

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
  return { $or: [byTier, { tlp: RECIPIENT_TLP, recipients: recipientMatch(viewer) }] };
}

/**
 * What a record's `recipients` must hold for the viewer to be one: its member id, or the id of
 * a community its member belongs to now (recipients are expanded at read time, never stored
 * expanded). A plain equality when the viewer is in no community, so the indexes on `recipients`
 * answer it as before.
 */
function recipientMatch(viewer: Extract<Viewer, { kind: 'member' }>): string | Filter {
  const communities = viewer.communities ?? [];
  return communities.length === 0 ? viewer.memberId : { $in: [viewer.memberId, ...communities] };
}

/** The filter selecting exactly the indicators `viewer` may see. */
export function indicatorVisibility(viewer: Viewer): Filter {
  if (viewer.kind === 'anonymous') return tlpClause(viewer);
  const seen: Filter = { $or: [{ source: viewer.memberId }, tlpClause(viewer)] };
  return viewer.peer ? { $and: [seen, peerExclusion(viewer, 'INDICATOR', null)] } : seen;
}

/**
 * The filter selecting exactly the member warning lists (`publishWarningList`) `viewer` may see: a
 * list is shared exactly as an indicator of the same source, TLP and recipients would be (its
 * publisher always; CLEAR to all, GREEN from COMMUNITY, AMBER and AMBER_STRICT from TRUSTED; RED
 * to its recipients, members or current members of a named community; a peer hub never RED or
 * AMBER_STRICT). A viewer a list does not reach is warned by nothing in it, anywhere.
 */
export function warningListVisibility(viewer: Viewer): Filter {
  return indicatorVisibility(viewer);
}

/**
 * The FALSE_POSITIVE warning lists whose matches `excludeWarned` leaves out for `viewer`
 * (IndicatorFilter, TAXII's `match[x_hub_warned]`, AlertFilter), by id: every vendored list
 * (`misp:<name>`: public, they say nothing about any member). Members' lists (`warning-list--<uuid>`)
 * join here for the viewers each reaches, and only those: a list a viewer may not see must never
 * change what it is served (src/warninglists/warned-by-computer.ts calls this).
 */
export function warningListsApplying(
  _viewer: Viewer,
  vendored: readonly string[],
  /** The ids of the members' FALSE_POSITIVE lists `warningListVisibility` lets this viewer see (MemberWarningLists.falsePositiveIds). */
  seenMemberLists: Iterable<string> = [],
): string[] {
  return [...vendored, ...seenMemberLists];
}

/** Whether embargoes hold for `viewer` on others' notices (everyone below CORE). */
export function embargoApplies(viewer: Viewer): boolean {
  return viewer.tier !== 'CORE';
}

/** Every notice status but DRAFT: the notices others may see. */
const PUBLIC_NOTICE_STATUSES: readonly NoticeStatus[] = NOTICE_STATUSES.filter((s) => s !== 'DRAFT');

/** The filter selecting exactly the model-risk notices `viewer` may see at instant `now`. */
export function noticeVisibility(viewer: Viewer, now: Date): Filter {
  // Listed, not `$ne: 'DRAFT'`: an equality that indexes answer, so a lookup by id never reads a DRAFT.
  const clauses: Filter[] = [{ status: { $in: PUBLIC_NOTICE_STATUSES } }, tlpClause(viewer)];
  const restricted = reviewRestriction(viewer, now);
  if (Object.keys(restricted).length > 0) clauses.push(restricted);
  if (embargoApplies(viewer)) {
    clauses.push({ $or: [{ embargoUntil: null }, { embargoUntil: { $lte: now } }] });
  }
  const others: Filter = { $and: clauses };
  if (viewer.kind === 'anonymous') return others;
  const seen: Filter = { $or: [{ source: viewer.memberId }, others] };
  return viewer.peer ? { $and: [seen, peerExclusion(viewer, 'NOTICE', now)] } : seen;
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
 * Whether the viewer may add objects to TAXII's indicators collection (its `can_write`): a
 * credential with the publisher role, exactly as `publishIndicators` asks (src/taxii/taxii-writer.ts).
 */
export function mayWriteTaxii(viewer: Viewer): boolean {
  return viewer.kind === 'member' && viewer.roles.includes('publisher');
}

/**
 * Whether the viewer may read a TAXII status resource: only the member whose request made it.
 * Anyone else gets the answer an unknown id gets.
 */
export function mayReadTaxiiStatus(viewer: Viewer, status: { memberId: string }): boolean {
  return viewer.kind === 'member' && viewer.memberId === status.memberId;
}

/**
 * `taxiiExclusion` for clearinghouse cases, whose TLP is their stage's (`tlpOfStage`): a case
 * still at RECEIVED is TLP:RED, so TAXII never serves it, even to its reporter and coordinators.
 * Stages only widen (`stageReached`), so a case once served stays served.
 */
export function taxiiVulnerabilityExclusion(): Filter {
  return { stageReached: { $ne: 'RECEIVED' } };
}

/**
 * A key shared by exactly the viewers who see the same records: equal keys mean equal
 * visibility filters. Used to cache compiled filters and to group subscribers.
 */
export function visibilityKey(viewer: Viewer): string {
  if (viewer.kind === 'anonymous') return 'PUBLIC';
  const communities = viewer.communities ?? [];
  const key = communities.length === 0 ? `${viewer.tier}:${viewer.memberId}` : `${viewer.tier}:${viewer.memberId}:${communities.join(',')}`;
  // A coordinator sees every clearinghouse case, a hub-admin every model review and its findings:
  // neither shares visibility with its member's other people. A peer hub sees less than its tier.
  return `${key}${isCoordinator(viewer) ? '|coordinator' : ''}${isHubAdmin(viewer) ? '|hub-admin' : ''}${viewer.peer ? `|peer:${viewer.peer.maxHops}` : ''}`;
}

/**
 * Who a cursor or token is bound to: the member, or `anonymous`. Not the person, nor the tier:
 * every person and API key of a member sees the same records, and a cursor must survive a fresh
 * token and the reconnect that follows a tier change (docs/alerts.md).
 */
export function viewerId(viewer: Viewer): string {
  return viewer.kind === 'anonymous' ? 'anonymous' : viewer.memberId;
}

/**
 * The viewer as the member registry has it now: the registry's current tier, the roles it
 * presented still allowed to its member, the communities its member belongs to now (`communities`,
 * when the caller read them; see `withCommunities`); null when the member is gone or suspended
 * (it may see nothing). Long-lived deliveries (alerts) ask this instead of trusting what was true
 * when the viewer connected.
 */
export function viewerNow(viewer: Viewer, member: Member | null, communities?: readonly string[]): Viewer | null {
  if (viewer.kind === 'anonymous') return viewer;
  if (!member || memberRefusal(member) !== null) return null;
  const roles = viewer.roles.filter((r) => member.allowedRoles.includes(r));
  const listed = communities === undefined ? viewer : memberWithCommunities(viewer, communities);
  const current = asPeerIfHub(listed, member);
  if (member.tier === current.tier && roles.length === current.roles.length) return current;
  return { ...current, tier: member.tier, roles };
}

/**
 * The viewer with the communities its member belongs to now (ids, in any order): the same
 * object when they are the ones it already carries, so that equal viewers stay equal.
 */
export function withCommunities(viewer: Viewer, communities: readonly string[]): Viewer {
  return viewer.kind === 'anonymous' ? viewer : memberWithCommunities(viewer, communities);
}

type MemberViewer = Extract<Viewer, { kind: 'member' }>;

function memberWithCommunities(viewer: MemberViewer, communities: readonly string[]): MemberViewer {
  const sorted = [...new Set(communities)].sort();
  const had = viewer.communities ?? [];
  if (sorted.length === had.length && sorted.every((c, i) => c === had[i])) return viewer;
  if (sorted.length === 0) {
    const { communities: _dropped, ...rest } = viewer;
    return rest;
  }
  return { ...viewer, communities: sorted };
}

/**
 * Why a member's credentials (tokens, API keys, federated tokens, open sockets) are refused, or
 * null when they work: only an ACTIVE member acts. The Authenticator asks on every request, so a
 * suspension or offboarding applies from the next one.
 */
export function memberRefusal(member: { status?: Member['status'] | undefined; suspended?: boolean | undefined }): string | null {
  switch (memberStatus(member)) {
    case 'ACTIVE':
      return null;
    case 'SUSPENDED':
      return 'the member is suspended';
    case 'OFFBOARDED':
      return 'the member was offboarded';
    case 'PENDING':
      return "the member's registration is not approved yet";
  }
}

/**
 * Whether the viewer learns that a member exists (directory, `member(id)`, a record's source): a
 * hub-admin every member; any other member those `isPartOfHub`. A registration nobody approved
 * is not part of the hub, and a rejected or withdrawn one must leave no trace outside the hub-admins.
 * SUSPENDED and OFFBOARDED members stay listed, with their status: their records stay readable
 * and attributed, and readers weigh them by whether their source still stands behind them.
 */
export function canSeeMember(viewer: Viewer, member: ListedFacts): boolean {
  if (viewer.kind === 'anonymous') return false;
  return viewer.roles.includes('hub-admin') || isPartOfHub(member);
}

type ListedFacts = { status?: Member['status'] | undefined; suspended?: boolean | undefined; withdrawn?: boolean | undefined };

/**
 * Whether a member is, or was, part of the hub: it was approved (ACTIVE, SUSPENDED, or OFFBOARDED
 * after being ACTIVE). A PENDING registration, and one withdrawn by offboarding it while PENDING,
 * never was: to members it is as an id nobody registered (directory, `member(id)`, recipients).
 */
export function isPartOfHub(member: ListedFacts): boolean {
  return memberStatus(member) !== 'PENDING' && member.withdrawn !== true;
}

/** Whether the viewer reads why and when a member's status last changed, and who changed it: hub-admins only. */
export function seesMemberStatusChange(viewer: Viewer): boolean {
  return viewer.kind === 'member' && viewer.roles.includes('hub-admin');
}

/**
 * Throws unless the viewer may register, suspend, reinstate or offboard a member: a hub-admin,
 * and (but for registering) not of that very member: suspending or offboarding one's own member
 * locks out every credential it holds, the acting hub-admin's own included, and nobody could
 * then undo it through the API.
 */
export function assertMayChangeMemberStanding(viewer: Viewer, memberId: string | null): asserts viewer is Extract<Viewer, { kind: 'member' }> {
  assertRole(viewer, 'hub-admin');
  if (memberId !== null && viewer.memberId === memberId) {
    throw forbidden("A hub-admin cannot change its own member's standing: a hub-admin of another member must");
  }
}

/**
 * Whether reinstating a suspended member takes a second hub-admin (REINSTATE_MEMBER): at TRUSTED
 * or above, where the member reads AMBER records again, as raising a tier does; below, a
 * reinstatement restores no more than any new member gets, and one hub-admin decides.
 */
export function reinstatementNeedsSecondPerson(member: Pick<Member, 'tier'>): boolean {
  return atLeast(member.tier, 'TRUSTED');
}

/** Whether a policy filter document selects some visibility facts (mingo in practice; `cacheKey` names the filter). */
export type FactsTest = (filter: Filter, facts: VisibilityFacts, cacheKey?: string) => boolean;

/**
 * What `viewer` is told of a logged change, the RELEASED verdict: null when it may not see the
 * record after the change or now (`current`, at `now`); RELEASED when the change made the record
 * visible to it (it could not see the sharing before the change: an embargo ended, a TLP was
 * lowered, it became a recipient, a draft was published); else the change's own type. A
 * RELEASED change tells those who could already see the record nothing.
 */
export function alertVerdict(
  viewer: Viewer,
  change: Pick<EventDoc, 'type' | 'kind' | 'occurredAt' | 'before' | 'after'>,
  current: VisibilityFacts,
  now: Date,
  test: FactsTest,
): AlertEventType | null {
  const sees = (kind: RecordKind, facts: VisibilityFacts, at: Date) =>
    kind === 'INDICATOR'
      ? test(indicatorVisibility(viewer), facts, `i|${visibilityKey(viewer)}`)
      : kind === 'VULNERABILITY'
        ? test(vulnerabilityVisibility(viewer, at), facts)
        : kind === 'REVIEW'
          ? test(modelReviewVisibility(viewer, at), facts)
          : test(noticeVisibility(viewer, at), facts);
  if (!sees(change.kind, current, now)) return null;
  if (!sees(change.kind, change.after, change.occurredAt)) return null;
  const before = change.before ? sees(change.kind, change.before, new Date(change.occurredAt.getTime() - 1)) : false;
  if (change.kind === 'REVIEW') return reviewVerdict(change, before);
  if (change.kind === 'VULNERABILITY') return caseVerdict(viewer, change, before);
  if (change.type === 'RELEASED') return before ? null : 'RELEASED';
  if (change.before && !before) return 'RELEASED';
  return change.type;
}

/**
 * The rest of `alertVerdict` for a clearinghouse case that the viewer sees after the change
 * (`seenBefore`: it saw the case before it). Those a step newly reaches hear RELEASED: the case
 * itself (a vendor notified, CORE at validation, TRUSTED at FIX_AVAILABLE, everyone at
 * publication, a duplicate's reporter joining), or its proof of concept (everyone without a tie
 * to the case, HUB_POC_DELAY after publication). Otherwise the change's `audience` decides: ALL
 * (absent) everyone who sees the case, PARTIES those tied to it (reporter, participants, notified
 * vendors, coordinators), COORDINATORS coordinators only: a step that changed only what its
 * parties read tells nobody else that anything happened.
 */
function caseVerdict(viewer: Viewer, change: Pick<EventDoc, 'type' | 'before' | 'after'>, seenBefore: boolean): AlertEventType | null {
  if (change.before && !seenBefore) return 'RELEASED';
  const tiedAfter = tiedToCase(viewer, change.after);
  if (change.before && change.after.pocReleased && !change.before.pocReleased && !tiedToCase(viewer, change.before)) return 'RELEASED';
  if (change.type === 'RELEASED') return null;
  const audience = change.after.audience ?? 'ALL';
  if (audience === 'PARTIES' && !tiedAfter) return null;
  if (audience === 'COORDINATORS' && !isCoordinator(viewer)) return null;
  return change.type;
}

/** Whether the viewer sees a case by a tie to it rather than by its tier: a coordinator, its reporter or a participant, a notified vendor. */
function tiedToCase(viewer: Viewer, facts: VisibilityFacts): boolean {
  if (viewer.kind !== 'member') return false;
  if (isCoordinator(viewer)) return true;
  const m = viewer.memberId;
  return facts.source === m || (facts.participants ?? []).includes(m) || (facts.notifiedVendorIds ?? []).includes(m);
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

/** What the policy needs of a community: who owns it and who is in it. */
export interface CommunityFacts {
  ownerMemberId: string;
  members: readonly string[];
}

/**
 * Whether the viewer administers a community (changes and sees its roster): a hub-admin any
 * community, a member-admin of the member that owns it.
 */
export function canAdministerCommunity(viewer: Viewer, community: CommunityFacts): boolean {
  return canAdministerMember(viewer, community.ownerMemberId);
}

/**
 * Whether the viewer may know that a community exists: its administrators, and the persons of
 * the members in it (who see its id, name and description, never its roster). To everyone else a
 * community is exactly an id that does not exist: the same NOT_FOUND, whatever it holds.
 */
export function canSeeCommunity(viewer: Viewer, community: CommunityFacts): boolean {
  if (viewer.kind === 'anonymous') return false;
  return community.members.includes(viewer.memberId) || canAdministerCommunity(viewer, community);
}

/** Whether the viewer may see a community's owner and roster: its administrators only. */
export const canSeeCommunityRoster = canAdministerCommunity;

/**
 * Whether a publishing member may name a community among a TLP:RED record's recipients: one its member
 * belongs to, or owns. Any other community id is refused exactly as an unknown member id is, so
 * that publishing never tells whether a community exists.
 */
export function canNameCommunity(memberId: string, community: CommunityFacts): boolean {
  return community.members.includes(memberId) || community.ownerMemberId === memberId;
}

/** Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN unless the viewer may create a community (member-admin or hub-admin). */
export function assertCanCreateCommunity(viewer: Viewer): asserts viewer is Extract<Viewer, { kind: 'member' }> {
  if (viewer.kind === 'anonymous') throw unauthenticated('Creating a community needs a token with the member-admin or hub-admin role');
  if (!viewer.roles.includes('member-admin') && !viewer.roles.includes('hub-admin')) {
    throw forbidden('Creating a community needs the member-admin or hub-admin role');
  }
}

/**
 * Whether the viewer may see who a record (or a request to change its sharing) names as
 * recipients: its publishing member only. A named recipient sees the record, not who else was
 * named; everyone else gets null.
 */
export function canSeeRecipients(viewer: Viewer, record: { source: string }): boolean {
  return ownsRecord(viewer, record);
}

/** Which sighting objects a TAXII caller gets (see `taxiiSightingScope`). */
export type TaxiiSightingScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  /** Only the sightings of indicators this member published. */
  | { readonly kind: 'own-indicators'; readonly memberId: string };

/**
 * TAXII's sightings rule. Sighting objects carry their reporters, so they follow the
 * `Indicator.sightings` gate (`sightingsTier`, from the SDL): a viewer at that tier gets every
 * sighting of the indicators it is served; a member below it gets the sightings of its own
 * indicators only (a member sees every field of its own records); an anonymous caller none.
 */
export function taxiiSightingScope(viewer: Viewer, sightingsTier: Tier): TaxiiSightingScope {
  if (atLeast(viewer.tier, sightingsTier)) return { kind: 'all' };
  if (viewer.kind === 'anonymous') return { kind: 'none' };
  return { kind: 'own-indicators', memberId: viewer.memberId };
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
 * coordinator: it reads every clearinghouse case, proofs of concept included, and validates and
 * publishes them: a person's decision, never a machine's standing credential.
 */
export const API_KEY_EXCLUDED_ROLES: readonly Role[] = ['hub-admin', 'member-admin', 'approver', 'coordinator'];

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

/** The stored base of an indicator's score (IndicatorDoc.scoreBase or scoreBaseOpen). */
export type ScoreBaseField = 'scoreBase' | 'scoreBaseOpen';

/**
 * Which stored base a viewer's scores are read from, the same for every indicator it reads, so
 * that one indexed column answers its score filters and order and they agree with the scores it
 * is shown (docs/intel-quality.md, "The base"). Viewers allowed to filter on who published
 * (tier TRUSTED and above, as for `source`) read the base weighed by the publisher's tier; every
 * other viewer reads the base without it, its own indicators included: the tier, next to what it
 * sees, would narrow down who published, and a per-record exception for its own would need a
 * second column per query. Decided by the viewer's tier alone, never by the record.
 */
export function scoreBaseField(viewer: Viewer): ScoreBaseField {
  return canUseGatedInput(viewer, 'TRUSTED') ? 'scoreBase' : 'scoreBaseOpen';
}

/**
 * Which audit entries a viewer may read, as a filter: a hub-admin every entry; a member-admin
 * the entries of its own member (`memberId`), never hub-level ones (`memberId: null`); anyone
 * else is refused. Entries carry ids and enum values only, never record content, so an entry a
 * member-admin reads names only its own member's records, tokens, logins and requests (a
 * coordinator's clearinghouse steps are hub-level for that reason: `vulnerabilityAuditMember`).
 */
export function auditVisibility(viewer: Viewer): Filter {
  if (viewer.kind === 'anonymous') throw unauthenticated('The audit log needs a token with the hub-admin or member-admin role');
  if (viewer.roles.includes('hub-admin')) return {};
  if (viewer.roles.includes('member-admin')) return { memberId: viewer.memberId };
  throw forbidden('The audit log needs the hub-admin or member-admin role');
}

/**
 * Whether the viewer may see the audit log's global order (`AuditEntry.seq` across all members):
 * only a hub-admin, who reads every entry. Anyone else sees the entry's number in its member's
 * own log, since gaps in a global count would tell how much the other members did.
 */
export function seesGlobalAuditOrder(viewer: Viewer): boolean {
  return viewer.kind === 'member' && viewer.roles.includes('hub-admin');
}

/**
 * Whether the viewer may see the audit log's hash chain (entry hashes, links, checkpoints): only
 * a hub-admin. A link names the entry before it in the whole log, so a member-admin given its own
 * entries' links would learn that hidden entries exist between them, and when; it gets nothing of
 * the chain (not a per-member chain: one signed chain is what the verifier checks).
 */
export function seesAuditChain(viewer: Viewer): boolean {
  return seesGlobalAuditOrder(viewer);
}

/** Whether the viewer made the request (the same member and user). */
export function madeRequest(viewer: Viewer, request: { requestedBy: { memberId: string; userId: string } }): boolean {
  return viewer.kind === 'member' && viewer.memberId === request.requestedBy.memberId && viewer.userId === request.requestedBy.userId;
}

/**
 * Whether the viewer may approve or reject a request: a hub-admin any request; a member-admin of
 * the member a request about that member's identity providers; an approver of the record's
 * publishing member a request about that member's records (never a tier change, registration or
 * reinstatement, never an identity provider). Approving one's own request is refused separately (`isSamePerson`).
 */
export function mayDecide(
  viewer: Viewer,
  request: { kind: string; ownerMemberId: string; change?: { role?: Role | undefined }; target?: { kind: string } },
): boolean {
  if (viewer.kind === 'anonymous') return false;
  if (viewer.roles.includes('hub-admin')) return true;
  // A clearinghouse case's requests: a coordinator of another member than the reporter's (the
  // approval re-checks `mayCoordinateCase` against the case as it is then).
  if (request.target?.kind === 'VULNERABILITY') return viewer.roles.includes('coordinator') && viewer.memberId !== request.ownerMemberId;
  if (viewer.memberId !== request.ownerMemberId || isMemberStandingKind(request.kind)) return false;
  if (isIdentityProviderKind(request.kind)) return viewer.roles.includes('member-admin');
  // A person's roles and identities: a member-admin of the person's member; hub-admin only for hub-admin.
  if (isPersonKind(request.kind)) return request.change?.role !== 'hub-admin' && viewer.roles.includes('member-admin');
  return viewer.roles.includes('approver');
}

const isIdentityProviderKind = (kind: string): boolean => (IDENTITY_PROVIDER_KINDS as readonly string[]).includes(kind);
const isPersonKind = (kind: string): boolean => (PERSON_KINDS as readonly string[]).includes(kind);
/** Tier changes, registrations and reinstatements: decided by hub-admins only, never by the member's own people. */
const isMemberStandingKind = (kind: string): boolean => (MEMBER_STANDING_KINDS as readonly string[]).includes(kind);

/**
 * Stands for "anyone": the persons behind an identity provider registered before registrations
 * recorded who made them. An identity counting as `UNKNOWN_PERSON` is the same person as everyone.
 */
export const UNKNOWN_PERSON = '*';

/** The persons a viewer or an actor counts as: its `persons`, or else just its user id. */
export function personsOf(actor: { userId: string; persons?: readonly string[] | undefined }): readonly string[] {
  return actor.persons && actor.persons.length > 0 ? actor.persons : [actor.userId];
}

/**
 * "A different person" means no person in common: not the same user id (the same user acting
 * for another member, or with other roles, is still the same person), and not an identity whose
 * provider the other one requested or approved (a provider's key holder can mint any subject, so
 * every identity it vouches for counts as the persons who put it in place). Conservative: an
 * identity whose provider's registrants are unknown counts as everyone.
 */
export function isSamePerson(viewer: Viewer, actor: { userId: string; persons?: readonly string[] | undefined }): boolean {
  if (viewer.kind !== 'member') return false;
  const mine = personsOf(viewer);
  const theirs = personsOf(actor);
  if (mine.includes(UNKNOWN_PERSON) || theirs.includes(UNKNOWN_PERSON)) return true;
  return mine.some((p) => theirs.includes(p));
}

/**
 * The roles a token from a member's own identity provider may carry: any the hub knows except
 * `hub-admin`. Hub administration needs a token the hub signed, because a member's key holder
 * can write any claim.
 */
export function federatedTokenRoles(roles: readonly Role[]): Role[] {
  return roles.filter((r) => r !== 'hub-admin');
}

/** The approval requests a viewer may list: those it made and those it may decide (`mayDecide`). */
export function approvalVisibility(viewer: Viewer): Filter {
  if (viewer.kind === 'anonymous') throw unauthenticated('Approval requests need a token');
  if (viewer.roles.includes('hub-admin')) return {};
  const mine: Filter = { 'requestedBy.memberId': viewer.memberId, 'requestedBy.userId': viewer.userId };
  const decidable: Filter[] = [];
  if (viewer.roles.includes('approver')) {
    decidable.push({ ownerMemberId: viewer.memberId, kind: { $nin: [...MEMBER_STANDING_KINDS, ...IDENTITY_PROVIDER_KINDS, ...PERSON_KINDS] }, 'target.kind': { $ne: 'VULNERABILITY' } });
  }
  if (viewer.roles.includes('coordinator')) {
    decidable.push({ 'target.kind': 'VULNERABILITY', ownerMemberId: { $ne: viewer.memberId } });
  }
  if (viewer.roles.includes('member-admin')) {
    decidable.push({ ownerMemberId: viewer.memberId, kind: { $in: [...IDENTITY_PROVIDER_KINDS] } });
    decidable.push({ ownerMemberId: viewer.memberId, kind: { $in: [...PERSON_KINDS] }, 'change.role': { $ne: 'hub-admin' } });
  }
  return decidable.length === 0 ? mine : { $or: [mine, ...decidable] };
}

/** The kinds about a person (roles, identities): decided by a member-admin of the person's member or a hub-admin. */
export const PERSON_KINDS = ['GRANT_ROLE', 'LINK_IDENTITY'] as const;

/**
 * Roles that let a person decide or administer (`approver`, `member-admin`, `hub-admin`,
 * `coordinator`, who reads every clearinghouse case and decides its steps): granted
 * only through a two-person request, and a person holding one gets new identities only that way
 * too, since whoever links an identity to a person can act as them.
 */
export const PRIVILEGED_ROLES: readonly Role[] = ['approver', 'member-admin', 'hub-admin', 'coordinator'];

/**
 * Which people a viewer may list, as the member to list (null: every member). A hub-admin: the
 * member asked for, or all; a member-admin: its own member only (FORBIDDEN for another); anyone
 * else FORBIDDEN (UNAUTHENTICATED without a token). The directory of people is an administrator's
 * tool: who works where is not shared with the federation.
 */
export function peopleScope(viewer: Viewer, memberId: string | null | undefined): string | null {
  if (viewer.kind === 'anonymous') throw unauthenticated('The people directory needs a token with the hub-admin or member-admin role');
  if (viewer.roles.includes('hub-admin')) return memberId ?? null;
  if (!viewer.roles.includes('member-admin')) throw forbidden('The people directory needs the hub-admin or member-admin role');
  if (memberId != null && memberId !== viewer.memberId) throw forbidden('A member-admin lists the people of its own member only');
  return viewer.memberId;
}

/** Whether the viewer sees a person and may change it: `canAdministerMember` of the person's member. */
export function canAdministerPerson(viewer: Viewer, person: Pick<PersonDoc, 'memberId'>): boolean {
  return canAdministerMember(viewer, person.memberId);
}

/**
 * What is wrong with the roles given to a new person, or null: `addPerson` gives reader and
 * publisher only (the others need a second person: `requestRoleGrant`), and only roles the hub
 * allows the member.
 */
export function addPersonRolesProblem(roles: readonly string[], allowedRoles: readonly Role[]): string | null {
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length) return `Unknown role(s): ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`;
  const privileged = roles.filter((r) => !ADDABLE_ROLES.includes(r as Role));
  if (privileged.length) return `A new person gets ${ADDABLE_ROLES.join(' and ')} only; ${privileged.join(', ')} must be granted with requestRoleGrant (a two-person change)`;
  const beyond = roles.filter((r) => !allowedRoles.includes(r as Role));
  if (beyond.length) return `The hub does not allow this member the role(s) ${beyond.join(', ')}`;
  return null;
}

/**
 * Whether the viewer may ask for, or revoke, `role` of a person of `memberId`: hub-admin is
 * granted and revoked by hub-admins only; every other role by a member-admin of that member or a
 * hub-admin. Deciding a grant is `mayDecide`.
 */
export function mayChangeRole(viewer: Viewer, memberId: string, role: Role): boolean {
  if (role === 'hub-admin') return viewer.kind === 'member' && viewer.roles.includes('hub-admin');
  return canAdministerMember(viewer, memberId);
}

/** Whether linking an identity to this person is a two-person change: when it holds a PRIVILEGED_ROLES role. */
export function identityLinkNeedsApproval(person: Pick<PersonDoc, 'roles'>): boolean {
  return person.roles.some((r) => PRIVILEGED_ROLES.includes(r));
}

/**
 * Whether a person may act for a member now: it exists, belongs to that member and is ACTIVE.
 * Every credential (hub token, linked identity, API key) passes this on every request.
 */
export function personMayAct(person: Pick<PersonDoc, 'memberId' | 'status'> | null, memberId: string): boolean {
  return person !== null && person.memberId === memberId && person.status === 'ACTIVE';
}

/**
 * A credential's roles: the person's, capped by what the hub allows the member, narrowed by what
 * the credential itself names (a token's role claim, an API key's roles) when it names any (null:
 * no narrowing), minus `excluded`. In ROLES order.
 */
export function effectiveRoles(
  personRoles: readonly Role[],
  allowedRoles: readonly Role[],
  credentialRoles: readonly Role[] | null,
  excluded: readonly Role[] = [],
): Role[] {
  return ROLES.filter(
    (r) => personRoles.includes(r) && allowedRoles.includes(r) && (credentialRoles === null || credentialRoles.includes(r)) && !excluded.includes(r),
  );
}

// ---------------------------------------------------------------------------------------------
// The clearinghouse (issue 13, docs/clearinghouse.md, docs/visibility.md "Clearinghouse cases")
// ---------------------------------------------------------------------------------------------

/** Whether the viewer is a clearinghouse coordinator: a person holding the role `coordinator`, at any member. */
export function isCoordinator(viewer: Viewer): boolean {
  return viewer.kind === 'member' && viewer.roles.includes('coordinator');
}

/**
 * The stages at which a tier sees a case with no other tie to it: CORE from VALIDATED, TRUSTED
 * from FIX_AVAILABLE, everyone (anonymous callers too) from PUBLISHED.
 */
const STAGES_FOR_TIER: Record<Tier, readonly StoredStage[]> = {
  PUBLIC: ['PUBLISHED'],
  COMMUNITY: ['PUBLISHED'],
  TRUSTED: ['FIX_AVAILABLE', 'PUBLISHED'],
  CORE: ['VALIDATED', 'FIX_AVAILABLE', 'PUBLISHED'],
};

/**
 * The filter selecting exactly the clearinghouse cases `viewer` may see: every case for a
 * coordinator; else its member's own reports and those it joined as the reporter of a duplicate
 * (`participants`), the cases it was notified of as an affected vendor (`notifiedVendorIds`: a
 * vendor still waiting in the pacing queue does not see the case yet), and those whose stage its
 * tier reaches (`stageReached`, which never narrows). Time plays no part: the stage after
 * publication (the proof of concept's release) widens fields, not who sees the case.
 */
export function vulnerabilityVisibility(viewer: Viewer, now: Date): Filter {
  // A peer hub: published cases only, nothing tied to it (the clearinghouse's workflow stays on its hub).
  if (viewer.kind === 'member' && viewer.peer) return { $and: [{ stageReached: 'PUBLISHED' }, { $or: [{ reviewId: null }, { reviewReleaseAt: { $lte: now } }] }] };
  const byStage: Filter = { stageReached: { $in: [...STAGES_FOR_TIER[viewer.tier]] } };
  const restricted = reviewRestriction(viewer, now);
  const restrict = (f: Filter): Filter => (Object.keys(restricted).length === 0 ? f : Object.keys(f).length === 0 ? restricted : { $and: [f, restricted] });
  if (viewer.kind === 'anonymous') return restrict(byStage);
  const m = viewer.memberId;
  // Its reporter always sees its own case, restricted or not (as any publisher its own record).
  if (isCoordinator(viewer)) return Object.keys(restricted).length === 0 ? {} : { $or: [{ source: m }, restricted] };
  return { $or: [{ source: m }, restrict({ $or: [{ participants: m }, { notifiedVendorIds: m }, byStage] })] };
}

/** How the viewer stands to a case at `now`, or null when it may not see it (`vulnerabilityVisibility`, on one case). */
export function vulnerabilityAudience(
  viewer: Viewer,
  doc: Pick<VulnerabilityDoc, 'source' | 'participants' | 'vendorStatuses' | 'stageReached' | 'reviewId' | 'reviewAudience' | 'reviewReleaseAt'>,
  now: Date,
): VulnerabilityAudience | null {
  const ownCase = viewer.kind === 'member' && doc.source === viewer.memberId;
  if (!ownCase && !passesReviewRestriction(viewer, doc, now)) return null;
  if (isCoordinator(viewer)) return 'COORDINATOR';
  if (viewer.kind === 'member') {
    if (doc.source === viewer.memberId || doc.participants.includes(viewer.memberId)) return 'REPORTER';
    if (doc.vendorStatuses.some((v) => v.vendorId === viewer.memberId && v.notifiedAt !== null)) return 'VENDOR';
  }
  return STAGES_FOR_TIER[viewer.tier].includes(doc.stageReached) ? 'TIER' : null;
}

/**
 * The `Vulnerability` fields `redactVulnerability` withholds from an audience at a stage, whatever
 * the case holds: named in a response's `extensions.redacted` (as `@minTier` gates are), so that a
 * `null` there reads as "not for you" rather than "none". Decided by the audience and the stage
 * only, never by a field's value: the list says nothing of what the case holds.
 */
export function vulnerabilityFieldsWithheld(audience: VulnerabilityAudience, stage: Parameters<typeof stageRank>[0]): readonly string[] {
  switch (audience) {
    case 'COORDINATOR':
      return [];
    case 'REPORTER':
      return ['possibleDuplicates'];
    case 'VENDOR':
      return ['validation', 'duplicateOf', 'possibleDuplicates'];
    case 'TIER': {
      const below = (min: Parameters<typeof stageRank>[0]) => stageRank(stage) < stageRank(min);
      return [
        ...(below('FIX_AVAILABLE') ? ['technicalDetails', 'suggestedFix', 'vendorStatuses'] : []),
        ...(below('PROOF_OF_CONCEPT_RELEASED') ? ['proofOfConcept'] : []),
        ...(below('PUBLISHED') ? ['credits'] : []),
        'validation',
        'duplicateOf',
        'possibleDuplicates',
        'reporter',
      ];
    }
  }
}

/** Whether the viewer may see the case at all. */
export function canSeeVulnerability(viewer: Viewer, doc: VulnerabilityDoc, now: Date): boolean {
  return vulnerabilityAudience(viewer, doc, now) !== null;
}

/**
 * The case as `viewer` may see it at `now`: the one place that decides its fields, used by every
 * channel (queries, alerts, exports, TAXII, STIX). Null when the viewer may not see the case.
 *
 * | field                                   | coordinators | reporter | notified vendor | everyone else who sees it (by tier) |
 * |-----------------------------------------|--------------|----------|-----------------|--------------------------------------|
 * | title, summary, severity, cvss, cwes, cveId, affected, discovery, exploited, status, disclosure, dates | yes | yes | yes | yes |
 * | technicalDetails, suggestedFix          | yes | yes | yes | from FIX_AVAILABLE |
 * | proofOfConcept                          | yes | yes | yes | from PROOF_OF_CONCEPT_RELEASED (HUB_POC_DELAY after publication) |
 * | credits                                 | yes | yes | yes | from PUBLISHED |
 * | vendorStatuses                          | all, queue times too | all | its own entry | status and fixedIn of each, from FIX_AVAILABLE |
 * | embargo reason, acceptances             | yes | no | the reason, its own acceptance | no (state and end only) |
 * | reporter (source)                       | yes | yes | yes | no |
 * | reportedBy (the person), validation, duplicateOf | yes | yes | no | no |
 * | participants, possibleDuplicates        | yes | no | no | no |
 *
 * Member ids (an affected product's vendor, a vendor entry's vendor) are withheld from viewers
 * who may not learn which members exist (anonymous callers): `vendorName` names them instead.
 */
export function redactVulnerability(doc: VulnerabilityDoc, viewer: Viewer, now: Date, schedule: DisclosureSchedule): VulnerabilityView | null {
  const audience = vulnerabilityAudience(viewer, doc, now);
  if (audience === null) return null;
  const stage = disclosureStage(doc, now, schedule);
  const coordinator = audience === 'COORDINATOR';
  const tied = audience !== 'TIER';
  const reporterView = coordinator || audience === 'REPORTER';
  const reached = (min: Parameters<typeof stageRank>[0]) => tied || stageRank(stage) >= stageRank(min);
  const seesMembers = viewer.kind === 'member';
  const nameOf = (vendorId: string) => doc.affected.find((a) => a.vendorId === vendorId)?.vendorName ?? '';
  const own = viewer.kind === 'member' ? viewer.memberId : null;

  let vendorStatuses: VendorStatusView[];
  if (coordinator) vendorStatuses = doc.vendorStatuses.map((v) => ({ ...v, vendorName: nameOf(v.vendorId) }));
  else if (audience === 'REPORTER' || audience === 'VENDOR') {
    vendorStatuses = doc.vendorStatuses
      .filter((v) => audience === 'REPORTER' || v.vendorId === own)
      .map((v) => ({ ...v, vendorName: nameOf(v.vendorId), queuedAt: null, escalatedAt: null }));
  } else if (reached('FIX_AVAILABLE')) {
    vendorStatuses = doc.vendorStatuses.map((v) => ({
      vendorId: seesMembers ? v.vendorId : null,
      vendorName: nameOf(v.vendorId),
      status: v.status,
      fixedIn: v.fixedIn,
      notifiedAt: null,
      queuedAt: null,
      acknowledgedAt: null,
      escalatedAt: null,
      note: null,
      // The entry's own updatedAt moves with the parties' steps too (an acknowledgement, a note, a
      // notification from the queue); the case's moves only with changes everyone who sees it hears
      // of. The CSAF remediation date is this (test/clearinghouse-leaks.test.ts).
      updatedAt: doc.updatedAt,
    }));
  } else vendorStatuses = [];

  // Every field named, none spread: a field added to the case later reaches no viewer until it is
  // given a rule here.
  return {
    _id: doc._id,
    dateAddedOffset: doc.dateAddedOffset,
    title: doc.title,
    summary: doc.summary,
    severity: doc.severity,
    severityRank: doc.severityRank,
    cvss: doc.cvss,
    cwes: doc.cwes,
    cveId: doc.cveId,
    affected: seesMembers ? doc.affected : doc.affected.map((a) => ({ ...a, vendorId: null })),
    discovery: doc.discovery,
    credits: reached('PUBLISHED') ? doc.credits : [],
    proofOfConcept: reached('PROOF_OF_CONCEPT_RELEASED') ? doc.proofOfConcept : null,
    technicalDetails: reached('FIX_AVAILABLE') ? doc.technicalDetails : null,
    suggestedFix: reached('FIX_AVAILABLE') ? doc.suggestedFix : null,
    exploited: doc.exploited,
    relatedNoticeIds: doc.relatedNoticeIds,
    source: tied ? doc.source : null,
    reportedBy: reporterView ? doc.reportedBy : null,
    participants: coordinator ? doc.participants : [],
    status: doc.status,
    validation: reporterView ? doc.validation : null,
    vendorStatuses,
    embargo: coordinator
      ? doc.embargo
      : {
          state: doc.embargo.state,
          endsAt: doc.embargo.endsAt,
          proposedBy: null,
          reason: audience === 'VENDOR' ? doc.embargo.reason : null,
          // A vendor accepts or rejects the proposal: it must read what end it asks for.
          proposedEndsAt: audience === 'VENDOR' ? (doc.embargo.proposedEndsAt ?? null) : null,
          acceptedBy: audience === 'VENDOR' && own ? doc.embargo.acceptedBy.filter((id) => id === own) : [],
        },
    // The deadline runs from a vendor's notification, which only the case's parties see (a vendor
    // may wait in its pacing queue): a tier viewer reading it would learn when, and whether, that happened.
    deadlineAt: tied ? doc.deadlineAt : null,
    publishedAt: doc.publishedAt,
    duplicateOf: reporterView ? doc.duplicateOf : null,
    ...(doc.duplicateReason !== undefined ? { duplicateReason: reporterView ? doc.duplicateReason : null } : {}),
    possibleDuplicateIds: coordinator ? doc.possibleDuplicateIds : [],
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    seq: doc.seq,
    stageReached: doc.stageReached,
    tlp: doc.tlp,
    vendorIds: seesMembers ? doc.vendorIds : [],
    // Which vendors were notified, as vendorStatuses shows it: all for the reporter, its own for a vendor.
    notifiedVendorIds: reporterView ? doc.notifiedVendorIds : audience === 'VENDOR' && own ? [own] : [],
    products: doc.products,
    productKeys: doc.productKeys,
    stage,
    audience,
  };
}

/**
 * A case's `disclosure` as the viewer may see it. The case's parties see the schedule as it is;
 * a tier viewer of an open case learns that publication comes next but not when, since that time
 * is the deadline (from a vendor's notification) or an embargo's end compared with it. So what a
 * tier viewer reads does not change when a vendor leaves its pacing queue.
 */
export function disclosureAsSeen(
  view: Pick<VulnerabilityView, 'audience' | 'deadlineAt' | 'status'>,
  stage: DisclosureStage,
  next: { nextStage: DisclosureStage | null; nextStageAt: Date | null },
): { stage: DisclosureStage; nextStage: DisclosureStage | null; nextStageAt: Date | null; deadlineAt: Date | null } {
  const open = view.status !== 'INVALID' && view.status !== 'CLOSED';
  if (view.audience === 'TIER' && open && (stage === 'VALIDATED' || stage === 'FIX_AVAILABLE')) {
    return { stage, nextStage: 'PUBLISHED', nextStageAt: null, deadlineAt: null };
  }
  return { stage, ...next, deadlineAt: view.deadlineAt };
}

/**
 * Clearinghouse workflow (docs/clearinghouse.md, "Who may do what"). Who may *see* a case is its
 * stage's business (the visibility filter and redaction); these say who may act on one.
 */
type CaseStake = { source: string; participants: readonly string[]; vendorStatuses: ReadonlyArray<{ vendorId: string }> };

/** The members with a stake in a case: its reporter, the reporters of its duplicates, its affected member vendors. */
export function caseStakeholders(c: CaseStake): string[] {
  return [...new Set([c.source, ...c.participants, ...c.vendorStatuses.map((v) => v.vendorId)])];
}

/**
 * Whose log a person's clearinghouse step is entered in (`AuditEntry.memberId`): the acting
 * person's member when that member is a party who sees the whole case as a member (its reporter,
 * a participant, a notified affected vendor), else `null`, the hub-level log that hub-admins read,
 * the actor kept. A coordinator acts for the clearinghouse, not for its member: its member's
 * other people may not see the case (a COMMUNITY agency, an INVALID verdict, CORE before
 * validation), and its entries name what only coordinators read (queued vendors, proposed
 * embargo ends, duplicates), so a member-admin must not read them in its member's log.
 */
export function vulnerabilityAuditMember(actorMemberId: string, c: Pick<VulnerabilityDoc, 'source' | 'participants' | 'vendorStatuses'>): string | null {
  if (c.source === actorMemberId || c.participants.includes(actorMemberId)) return actorMemberId;
  if (c.vendorStatuses.some((v) => v.vendorId === actorMemberId && v.notifiedAt !== null)) return actorMemberId;
  return null;
}

/**
 * Whether the viewer may coordinate a case: validate it, propose embargoes, publish it, mark it a
 * duplicate, ask for and decide its two-person requests. A coordinator of a member with no stake
 * in it: not the reporter's (nobody validates their own member's report), not a participant's,
 * not an affected vendor's (a vendor does not decide its own embargo or deadline alone).
 */
export function mayCoordinateCase(viewer: Viewer, c: CaseStake): boolean {
  return viewer.kind === 'member' && isCoordinator(viewer) && !caseStakeholders(c).includes(viewer.memberId);
}

/** Whether the viewer speaks for an affected vendor of a case: its own people holding publisher or coordinator. */
export function mayActForVendor(viewer: Viewer, vendorId: string): boolean {
  return viewer.kind === 'member' && viewer.memberId === vendorId && (viewer.roles.includes('publisher') || viewer.roles.includes('coordinator'));
}

/** Whether the viewer may set an affected vendor's position on a case: the vendor's own people, or a coordinator of the case. */
export function maySetVendorStatus(viewer: Viewer, c: CaseStake, vendorId: string): boolean {
  return mayActForVendor(viewer, vendorId) || mayCoordinateCase(viewer, c);
}

/**
 * Throws unless the viewer could take some workflow step (data-independent, so the refusal tells
 * nothing about any case): UNAUTHENTICATED without a token, FORBIDDEN without `role`.
 */
export function assertWorkflowRole(viewer: Viewer, roles: readonly Role[], step: string): asserts viewer is MemberViewer {
  if (viewer.kind === 'anonymous') throw unauthenticated(`${step} needs a token`);
  if (!roles.some((r) => viewer.roles.includes(r))) throw forbidden(`${step} needs the ${roles.join(' or ')} role`);
}

// ---------------------------------------------------------------------------------------------
// Pre-deployment model reviews (issue 14, docs/model-reviews.md, docs/visibility.md "Model reviews")
// ---------------------------------------------------------------------------------------------

/** Whether the viewer holds hub-admin: it sees every model review, its reviewers and its findings' restriction lifted. */
export function isHubAdmin(viewer: Viewer): boolean {
  return viewer.kind === 'member' && viewer.roles.includes('hub-admin');
}

/**
 * The audience restriction on a model review's findings, ANDed to the notice and case visibility
 * filters (on top of TLP, tier, embargo and stage): a record filed under a review (`reviewId`) is
 * seen only by the review's lab and reviewers (`reviewAudience`) and hub-admins until the review
 * closes (`reviewReleaseAt`, its `closesAt`; null for a cancelled review: never). `{}` (nothing to
 * add) for hub-admins. The record's own publisher is exempted by the callers, as everywhere.
 */
export function reviewRestriction(viewer: Viewer, now: Date): Filter {
  if (isHubAdmin(viewer)) return {};
  const open: Filter[] = [{ reviewId: null }, { reviewReleaseAt: { $lte: now } }];
  if (viewer.kind === 'member') open.push({ reviewAudience: viewer.memberId });
  return { $or: open };
}

/** `reviewRestriction` on one record. */
export function passesReviewRestriction(viewer: Viewer, doc: { reviewId?: string | null; reviewAudience?: readonly string[]; reviewReleaseAt?: Date | null }, now: Date): boolean {
  if (doc.reviewId == null || isHubAdmin(viewer)) return true;
  if (doc.reviewReleaseAt != null && doc.reviewReleaseAt.getTime() <= now.getTime()) return true;
  return viewer.kind === 'member' && (doc.reviewAudience ?? []).includes(viewer.memberId);
}

/**
 * The filter selecting exactly the model reviews `viewer` may see at `now`: a hub-admin every
 * review; a member the reviews of its own lab and those it reviews, and every closed one (not a
 * cancelled one); a peer hub (kind HUB) only the closed ones, even if invited; an anonymous
 * caller the closed reviews whose lab released the summary to the public. A review nobody may
 * see is, to them, an id that does not exist.
 */
export function modelReviewVisibility(viewer: Viewer, now: Date): Filter {
  const closed: Filter = { cancelledAt: null, closesAt: { $lte: now } };
  if (viewer.kind === 'anonymous') return { ...closed, summaryPublic: true };
  // A peer hub is never an insider (invited or not): what it sees leaves this hub for another one.
  if (viewer.peer) return closed;
  if (isHubAdmin(viewer)) return {};
  const m = viewer.memberId;
  return { $or: [{ lab: m }, { reviewers: m }, closed] };
}

/** How the viewer stands to a review: the lab, a reviewer, a hub-admin, or anyone else who sees it (closed); null when it may not see it. */
export type ModelReviewAudience = 'LAB' | 'REVIEWER' | 'HUB_ADMIN' | 'OTHER';

export function modelReviewAudience(viewer: Viewer, doc: Pick<ModelReviewDoc, 'lab' | 'reviewers' | 'closesAt' | 'cancelledAt' | 'summaryPublic'>, now: Date): ModelReviewAudience | null {
  if (viewer.kind === 'member' && !viewer.peer) {
    if (doc.lab === viewer.memberId) return 'LAB';
    // Before REVIEWER: a hub-admin reads the summary before the close, whether or not its member reviews.
    if (isHubAdmin(viewer)) return 'HUB_ADMIN';
    if (doc.reviewers.includes(viewer.memberId)) return 'REVIEWER';
  }
  const closed = doc.cancelledAt === null && doc.closesAt !== null && doc.closesAt.getTime() <= now.getTime();
  if (!closed) return null;
  return viewer.kind === 'member' || doc.summaryPublic ? 'OTHER' : null;
}

/**
 * The review as `viewer` may see it at `now`, or null when it may not see it: the one place that
 * decides its fields, on every channel (queries, alerts, STIX, TAXII).
 *
 * | field                                   | lab | reviewer | hub-admin | other members (closed) | anonymous (closed, summary released) |
 * |-----------------------------------------|-----|----------|-----------|------------------------|--------------------------------------|
 * | model, description, lab, dates, status  | yes | yes      | yes       | yes                    | yes                                  |
 * | reviewers                               | yes | yes      | yes       | no                     | no                                   |
 * | cancelReason                            | yes | yes      | yes       | (never closed)         | (never closed)                       |
 * | summary                                 | yes | once closed | yes    | yes                    | yes                                  |
 *
 * The summary counts every finding, whatever this viewer may see of them: a statistic the issue
 * releases on purpose, at close (never for a cancelled review). Before the close only the lab and
 * hub-admins read it; a reviewer reading it then would learn of findings not shared with it (a
 * TLP:RED one naming other recipients).
 */
export function redactModelReview(doc: ModelReviewDoc, viewer: Viewer, now: Date): ModelReviewView | null {
  const audience = modelReviewAudience(viewer, doc, now);
  if (audience === null) return null;
  const status = modelReviewStatus(doc, now);
  const insider = audience !== 'OTHER';
  const owner = audience === 'LAB' || audience === 'HUB_ADMIN';
  return {
    _id: doc._id,
    model: doc.model,
    description: doc.description,
    lab: doc.lab,
    plannedDeploymentAt: doc.plannedDeploymentAt,
    windowOpensAt: doc.windowOpensAt,
    closesAt: doc.closesAt,
    cancelledAt: doc.cancelledAt,
    cancelReason: insider ? doc.cancelReason : null,
    status,
    reviewers: insider ? doc.reviewers : null,
    seesSummary: owner || status === 'CLOSED',
    summaryPublic: doc.summaryPublic,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    seq: doc.seq,
  };
}

/** Whether the viewer may manage a review (schedule, invite, remove, reschedule, close, cancel, release its summary): the lab's publishers and member-admins. */
export function mayManageReview(viewer: Viewer, review: Pick<ModelReviewDoc, 'lab'>): boolean {
  return viewer.kind === 'member' && viewer.memberId === review.lab && (viewer.roles.includes('publisher') || viewer.roles.includes('member-admin'));
}

/** Whether the viewer's member may file findings under a review it sees: a reviewer (the status is checked apart). */
export function mayFileFinding(viewer: Viewer, review: Pick<ModelReviewDoc, 'reviewers'>): viewer is MemberViewer {
  return viewer.kind === 'member' && !viewer.peer && review.reviewers.includes(viewer.memberId);
}

/**
 * The facts that decide who sees a review (`modelReviewVisibility` reads them): `source` is the
 * lab, `tlp`/`recipients` unused.
 */
export function modelReviewFacts(doc: Pick<ModelReviewDoc, 'lab' | 'reviewers' | 'closesAt' | 'cancelledAt' | 'summaryPublic'>): VisibilityFacts {
  return { source: doc.lab, tlp: 'CLEAR', recipients: [], lab: doc.lab, reviewers: doc.reviewers, closesAt: doc.closesAt, cancelledAt: doc.cancelledAt, summaryPublic: doc.summaryPublic };
}

/**
 * The rest of `alertVerdict` for a review the viewer sees after the change: REVIEW_CLOSED to
 * everyone who sees it then (the lab and reviewers, and every member it newly reaches); RELEASED
 * to a viewer the change newly reached otherwise (a reviewer invited); else the change's type.
 */
function reviewVerdict(change: Pick<EventDoc, 'type' | 'before'>, seenBefore: boolean): AlertEventType | null {
  if (change.type === 'REVIEW_CLOSED') return 'REVIEW_CLOSED';
  if (change.before && !seenBefore) return 'RELEASED';
  if (change.type === 'RELEASED') return seenBefore ? null : 'RELEASED';
  return change.type;
}

// ---------------------------------------------------------------------------------------------
// Federation (issue 15, docs/federation.md): what leaves this hub for a peer hub
// ---------------------------------------------------------------------------------------------

/** The TLPs that never leave a hub, for any peer of any tier (as over TAXII). */
const NEVER_LEAVES: readonly Tlp[] = ['RED', 'AMBER_STRICT'];

/**
 * A viewer whose member is of kind HUB becomes a peer viewer (`Viewer.peer`), one of another kind
 * stops being one: the registry decides, whatever the credential says. `maxHops` is kept from the
 * viewer the authenticator made (this hub's `HUB_MAX_HOPS`).
 */
function asPeerIfHub(viewer: MemberViewer, member: Pick<Member, 'kind'>): MemberViewer {
  if (member.kind === 'HUB') return viewer.peer ? viewer : { ...viewer, peer: { maxHops: DEFAULT_PEER_MAX_HOPS } };
  if (!viewer.peer) return viewer;
  const { peer: _dropped, ...rest } = viewer;
  return rest;
}

/** `HUB_MAX_HOPS` when a viewer turned out to be a peer without the authenticator saying so (src/domain/peer.ts). */
const DEFAULT_PEER_MAX_HOPS = DEFAULT_MAX_HOPS;

/**
 * The viewer's member as the registry has it, marked a peer when it is of kind HUB (`Viewer.peer`):
 * the authenticator's one call, so that a peer is recognised from the registry only.
 */
export function peerViewer<V extends Viewer>(viewer: V, member: Pick<Member, 'kind'>, maxHops: number): V {
  if (viewer.kind !== 'member') return viewer;
  if (member.kind !== 'HUB') return viewer;
  return { ...viewer, peer: { maxHops } };
}

/**
 * What never leaves this hub for a peer hub, whatever its tier: a filter ANDed to the indicator,
 * notice (and, apart, case) visibility filters for a peer viewer, so that every channel the peer
 * uses (its `alerts`, queries, TAXII) applies it. What a peer receives is what a member of its tier
 * sees (records, and fields by `@minTier`), minus:
 *
 * | excluded                                   | why                                                        |
 * |--------------------------------------------|------------------------------------------------------------|
 * | TLP:RED, TLP:AMBER+STRICT                  | named recipients / "your organisation only" end at this hub |
 * | the peer's own claims (`source`)           | never echoed back to where they came from                  |
 * | records whose origin is the peer           | a ring never returns a record to its origin                |
 * | records received not marked `shareOnward`  | the origin's "this community only" (MISP)                  |
 * | records received with `hops >= HUB_MAX_HOPS` | the hop limit                                             |
 * | notices under embargo (at `now`)           | even for a CORE peer: an embargo binds this hub's members  |
 * | unreleased review findings                 | no audience exception: a peer is never a review's audience here |
 *
 * Clearinghouse cases leave only once PUBLISHED (`vulnerabilityVisibility`). `{}` for viewers
 * that are not peers. `now` null: indicators, which have neither embargo nor review.
 */
export function peerExclusion(viewer: Viewer, kind: 'INDICATOR' | 'NOTICE', now: Date | null): Filter {
  if (viewer.kind !== 'member' || !viewer.peer) return {};
  const clauses: Filter[] = [
    { tlp: { $nin: [...NEVER_LEAVES] } },
    { source: { $ne: viewer.memberId } },
    { $or: [{ 'origin.hub': null }, { 'origin.shareOnward': true, 'origin.hops': { $lt: viewer.peer.maxHops }, 'origin.hub': { $ne: viewer.memberId } }] },
  ];
  if (kind === 'NOTICE' && now) {
    clauses.push({ $or: [{ embargoUntil: null }, { embargoUntil: { $lte: now } }] });
    clauses.push({ $or: [{ reviewId: null }, { reviewReleaseAt: { $lte: now } }] });
  }
  return { $and: clauses };
}

/**
 * Whether a record a peer sent may be stored here, or why not: never one whose origin is this hub
 * (a ring returning it), never one past the hop limit, never TLP:RED or AMBER+STRICT (a peer
 * that sends them breaks the federation's rule: refused, not stored).
 */
export function receivedRecordRefusal(origin: { hub: string; hops: number; tlp: Tlp }, ownHubId: string, maxHops: number): string | null {
  if (origin.hub === ownHubId) return 'the record originates at this hub';
  if (origin.hops > maxHops) return `the record crossed ${origin.hops} hubs, more than HUB_MAX_HOPS (${maxHops})`;
  if (NEVER_LEAVES.includes(origin.tlp)) return `TLP:${origin.tlp} never leaves a hub`;
  return null;
}

/** Throws unless the viewer may register, list, pause, resume or remove peers: a hub-admin. */
export function assertMayManagePeers(viewer: Viewer): asserts viewer is MemberViewer {
  assertRole(viewer, 'hub-admin');
}
