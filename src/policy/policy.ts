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

/** The filter selecting exactly the model-risk notices `viewer` may see at instant `now`. */
export function noticeVisibility(viewer: Viewer, now: Date): Filter {
  const clauses: Filter[] = [{ status: { $ne: 'DRAFT' } }, tlpClause(viewer)];
  if (viewer.tier !== 'CORE') {
    clauses.push({ $or: [{ embargoUntil: null }, { embargoUntil: { $lte: now } }] });
  }
  const others: Filter = { $and: clauses };
  if (viewer.kind === 'anonymous') return others;
  return { $or: [{ source: viewer.memberId }, others] };
}

/**
 * A key shared by exactly the viewers who see the same records: equal keys mean equal
 * visibility filters. Used to cache compiled filters and to group subscribers.
 */
export function visibilityKey(viewer: Viewer): string {
  return viewer.kind === 'anonymous' ? 'PUBLIC' : `${viewer.tier}:${viewer.memberId}`;
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
