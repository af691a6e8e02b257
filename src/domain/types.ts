/**
 * The hub's domain vocabulary: the records it stores and the inputs that create them.
 * Stored documents use these shapes in every store adapter (memory and MongoDB alike).
 */

import type { HeldClaimState, HeldIndicator } from './held-indicator.js';
import type { PeerConfig, RecordOrigin } from './peer.js';

export const TIERS = ['PUBLIC', 'COMMUNITY', 'TRUSTED', 'CORE'] as const;
/** A viewer's trust tier. PUBLIC is the anonymous caller; members are COMMUNITY..CORE. */
export type Tier = (typeof TIERS)[number];
export type MemberTier = Exclude<Tier, 'PUBLIC'>;

export const MEMBER_KINDS = [
  'AGENCY',
  'LAB',
  'ENTERPRISE',
  'ISAC',
  'VENDOR',
  /** A peer hub (federation builds on it). */
  'HUB',
] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

export const ROLES = ['reader', 'publisher', 'approver', 'member-admin', 'hub-admin', 'coordinator'] as const;
export type Role = (typeof ROLES)[number];

export const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'] as const;
export type Tlp = (typeof TLPS)[number];

export const SEVERITIES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INDICATOR_TYPES = [
  'IPV4', 'IPV6', 'CIDR', 'DOMAIN', 'URL', 'EMAIL', 'MD5', 'SHA1', 'SHA256', 'SHA512',
] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export const NOTICE_CATEGORIES = [
  'CYBER_OFFENSE_CAPABILITY', 'JAILBREAK', 'PROMPT_INJECTION', 'DATA_EXFILTRATION',
  'WEIGHTS_EXPOSURE', 'AUTONOMY', 'AI_FOUND_VULNERABILITY', 'OTHER',
] as const;
export type NoticeCategory = (typeof NOTICE_CATEGORIES)[number];

export const NOTICE_STATUSES = ['DRAFT', 'UNDER_REVIEW', 'PUBLISHED', 'MITIGATED', 'RETRACTED'] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

/** An organisation that belongs to the hub. Its tier is only ever read from here. */
export interface Member {
  _id: string;
  name: string;
  kind: MemberKind;
  tier: MemberTier;
  sector: string;
  country: string;
  /** Roles the hub allows this member's users to hold. */
  allowedRoles: Role[];
  /** Where the member is in its lifecycle (docs/members.md); only ACTIVE members' credentials work. */
  status: MemberStatus;
  /**
   * @deprecated Documents written before `status` carry this instead (true: SUSPENDED, else
   * ACTIVE); read them through `memberStatus`. Never written any more.
   */
  suspended?: boolean;
  /**
   * True on an OFFBOARDED member that never was ACTIVE (its registration was withdrawn): it never
   * was part of the hub, and only hub-admins learn that it existed, as for a PENDING one.
   */
  withdrawn?: boolean;
  /** The last change of `status`: when, by whom, why (the reason is shown to hub-admins only, never audited). */
  statusChange?: { at: Date; by: ActorRef; reason: string; requestId?: string };
  createdAt: Date;
  /** A peer hub's pull settings and state (kind HUB, registered with registerPeer): src/domain/peer.ts. */
  peer?: PeerConfig;
  /**
   * The tier every claim of this member has its `IndicatorDoc.scoreBase` weighed by: set once a
   * rewrite after a tier change finished (src/services/score-base-service.ts). Differs from
   * `tier` (or is absent) while a rewrite is due, so that a rewrite cut short is finished at start.
   */
  scoreTier?: MemberTier;
}

/** A member's lifecycle (docs/members.md). PENDING: registered, awaiting its second hub-admin. */
export const MEMBER_STATUSES = ['PENDING', 'ACTIVE', 'SUSPENDED', 'OFFBOARDED'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A member's status, for documents written before `status` too (migrated on read). */
export function memberStatus(member: { status?: MemberStatus | undefined; suspended?: boolean | undefined }): MemberStatus {
  return member.status ?? (member.suspended ? 'SUSPENDED' : 'ACTIVE');
}

/** One member's claim about one normalised value. Unique on (source, type, value). */
export interface IndicatorDoc {
  /** STIX-style id: `indicator--<uuid>`. */
  _id: string;
  type: IndicatorType;
  /** Normalised value: what lookups and dedup match on. */
  value: string;
  /** The string as the publisher submitted it (possibly defanged). */
  submittedValue: string;
  tlp: Tlp;
  /** Member ids; non-empty exactly when tlp is RED. */
  recipients: string[];
  severity: Severity;
  /** 0..4, derived from severity, so that sorting by severity is a plain index sort. */
  severityRank: number;
  confidence: number;
  validFrom: Date;
  validUntil: Date | null;
  tags: string[];
  description: string | null;
  sightingCount: number;
  lastSeenAt: Date | null;
  revoked: boolean;
  revokedReason: string | null;
  /** Publishing member id. */
  source: string;
  createdAt: Date;
  updatedAt: Date;
  /**
   * The microsecond of its TAXII \`date_added\`, 0-999: \`offsetOfId(_id)\` (src/taxii/date-added.ts),
   * a function of the id alone, stored so that TAXII pages read an index in \`date_added\` order.
   */
  dateAddedOffset: number;
  /** Monotonic write sequence: bumped on every write, the stable tiebreak for ordering. */
  seq: number;
  /** Provenance of a claim received from a peer hub (src/domain/peer.ts); absent or null for this hub's own. */
  origin?: RecordOrigin | null;
  /**
   * When the claim was last confirmed: published again by its publisher or sighted as a true
   * positive. The decay clock's start (src/domain/decay-model.ts); absent on claims stored before
   * decay existed (their `createdAt` is used).
   */
  lastConfirmedAt?: Date | null;
  /** An analyst's score, set by the publisher's people; cleared by the next re-publication. */
  scoreOverride?: { score: number; reason: string; by: string; at: Date } | null;
  /** Distinct members (never the publisher) that reported the claim as a false positive. */
  falsePositiveReporters?: string[];
  /**
   * The score's base as a viewer who sees the publisher reads it: `decayBase(confidence,
   * publisher's tier, falsePositiveReporters.length)`, stored so that score filters and the SCORE
   * order read an index `(type, scoreBase, lastConfirmedAt)` (docs/intel-quality.md). Rewritten on
   * publish, on a false-positive report and, for every claim of a member, when its tier changes.
   * Absent on claims stored before it existed (filled at start).
   */
  scoreBase?: number;
  /** The same base without the publisher's tier (`decayBase(confidence, null, ...)`): what viewers below TRUSTED read. */
  scoreBaseOpen?: number;
  /**
   * The ids of the FALSE_POSITIVE warning lists the value matches, whoever may see them
   * (`misp:<name>` for a vendored list, `warning-list--<uuid>` for a member's): `excludeWarned`
   * compares them with the lists the viewer may see. Recomputed when a list changes.
   */
  warnedBy?: string[];
}

export interface ModelRef {
  name: string;
  developer: string;
  version: string | null;
}

export interface NoticeDoc {
  /** `x-model-risk-notice--<uuid>`. */
  _id: string;
  title: string;
  summary: string;
  model: ModelRef;
  category: NoticeCategory;
  severity: Severity;
  severityRank: number;
  tlp: Tlp;
  recipients: string[];
  status: NoticeStatus;
  embargoUntil: Date | null;
  atlasTechniques: string[];
  owaspLlm: string[];
  mitigations: string | null;
  technicalDetails: string | null;
  evaluationEvidence: string | null;
  affectedDeployments: string[];
  relatedIndicatorIds: string[];
  source: string;
  /** Set when filed under a model review (src/domain/model-review.ts `FindingRestriction`); absent or null otherwise. */
  reviewId?: string | null;
  reviewAudience?: string[];
  reviewReleaseAt?: Date | null;
  /** Provenance of a notice received from a peer hub (src/domain/peer.ts); absent or null for this hub's own. */
  origin?: RecordOrigin | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * The microsecond of its TAXII \`date_added\`, 0-999: \`offsetOfId(_id)\` (src/taxii/date-added.ts),
   * a function of the id alone, stored so that TAXII pages read an index in \`date_added\` order.
   */
  dateAddedOffset: number;
  seq: number;
}

/** What a publisher sends for one indicator (GraphQL `IndicatorInput`). */
export interface IndicatorInput {
  value: string;
  type?: IndicatorType | null;
  tlp: Tlp;
  recipients?: string[] | null;
  severity: Severity;
  confidence: number;
  validFrom?: Date | null;
  validUntil?: Date | null;
  tags?: string[] | null;
  description?: string | null;
}

/** What a publisher sends for a notice (GraphQL `ModelRiskNoticeInput`). */
export interface NoticeInput {
  title: string;
  summary: string;
  model: { name: string; developer: string; version?: string | null };
  category: NoticeCategory;
  severity: Severity;
  tlp: Tlp;
  recipients?: string[] | null;
  status?: NoticeStatus | null;
  embargoUntil?: Date | null;
  atlasTechniques?: string[] | null;
  owaspLlm?: string[] | null;
  mitigations?: string | null;
  technicalDetails?: string | null;
  evaluationEvidence?: string | null;
  affectedDeployments?: string[] | null;
  relatedIndicatorIds?: string[] | null;
  /** File it as a finding of this model review. */
  reviewId?: string | null;
}

/** One member's report of having seen an indicator. */
export const SIGHTING_KINDS = ['TRUE_POSITIVE', 'FALSE_POSITIVE'] as const;
/** What a sighting says: seen doing harm, or matched benign activity (docs/intel-quality.md). */
export type SightingKind = (typeof SIGHTING_KINDS)[number];

export interface SightingDoc {
  /** `sighting--<uuid>` */
  _id: string;
  indicatorId: string;
  /** The reporting member id. */
  reporter: string;
  count: number;
  seenAt: Date;
  reportedAt: Date;
  /** Absent on sightings stored before kinds existed: those are true positives. */
  kind?: SightingKind;
  /**
   * The microsecond of its TAXII \`date_added\`, 0-999: \`offsetOfId(_id)\` (src/taxii/date-added.ts),
   * a function of the id alone, stored so that TAXII pages read an index in \`date_added\` order.
   */
  dateAddedOffset: number;
}

export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** Signature algorithms a member's own identity provider may sign with (no none, HS*, RS*). */
export const IDP_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type IdpAlgorithm = (typeof IDP_ALGORITHMS)[number];

/** One public key of a JWK Set, as stored: public members only (never `d` or `k`). */
export interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  kid?: string;
  alg?: string;
  use?: string;
}

/**
 * A member's own identity provider: tokens whose `iss` is `issuer` are verified against this
 * registration's keys only and act for `memberId`. Unique on `issuer` across the hub.
 */
export interface IdentityProviderRegistration {
  /** The issuer itself: one registration per issuer, hub-wide. */
  _id: string;
  memberId: string;
  /** Exactly the `iss` the provider puts in its tokens. */
  issuer: string;
  /** The `aud` its tokens must carry (default: the hub's audience). */
  audience: string;
  /** Where the provider publishes its JWK Set; null when the keys are inline. */
  jwksUri: string | null;
  /** Inline public keys (air-gapped sites); null when the keys are fetched from jwksUri. */
  jwks: { keys: PublicJwk[] } | null;
  /** The claim holding the user's roles (default `roles`). */
  rolesClaim: string;
  allowedAlgorithms: IdpAlgorithm[];
  createdAt: Date;
  updatedAt: Date;
  /**
   * Whose word put this registration in place: the approval request that applied it and the
   * persons who requested and approved it (each actor's `persons`, flattened). An identity this
   * provider vouches for counts as each of them when "a different person" is checked. Absent on a
   * registration made before two-person registration: its identities then count as everyone.
   */
  registeredBy?: { requestId: string; requestedBy: ActorRef; approvedBy: ActorRef; persons: string[] };
}

/** The sensitive changes that take effect only once a second person approves them. */
export const APPROVAL_KINDS = [
  'LIFT_EMBARGO', 'LOWER_TLP', 'REMOVE_RECIPIENTS', 'CHANGE_TIER', 'REGISTER_IDENTITY_PROVIDER', 'REMOVE_IDENTITY_PROVIDER',
  'REGISTER_MEMBER',
  'REINSTATE_MEMBER',
  'GRANT_ROLE',
  'LINK_IDENTITY',
  'PUBLISH_VULNERABILITY',
  'RESCHEDULE_MODEL_REVIEW',
  'CLOSE_MODEL_REVIEW',
  'REGISTER_PEER',
  'PUBLISH_WARNED_INDICATOR',
] as const;
/** The kinds about a member's identity providers: decided by a hub-admin or a member-admin of that member. */
export const IDENTITY_PROVIDER_KINDS: readonly ApprovalKind[] = ['REGISTER_IDENTITY_PROVIDER', 'REMOVE_IDENTITY_PROVIDER'];
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];
/** The kinds about a member's standing (tier, registration, reinstatement): requested and decided by hub-admins only. */
export const MEMBER_STANDING_KINDS: readonly ApprovalKind[] = ['CHANGE_TIER', 'REGISTER_MEMBER', 'REINSTATE_MEMBER', 'REGISTER_PEER'];
/** What is stored. EXPIRED is never stored: a PENDING request past `expiresAt` reads as EXPIRED. */
export type ApprovalStoredStatus = 'PENDING' | 'APPROVED' | 'REJECTED';
export type ApprovalStatus = ApprovalStoredStatus | 'EXPIRED';

/** A person acting for a member: the token's member and subject. */
export interface ActorRef {
  memberId: string;
  userId: string;
  /**
   * Every person this actor counts as when "a different person" is checked, when more than its
   * `userId`: for a federated identity, also the persons who registered its identity provider.
   * Absent means just `userId`.
   */
  persons?: string[];
}

/** The sharing (or tier) a request asks for, or that it found; only its kind's fields are set. */
export interface ApprovalChange {
  /** LIFT_EMBARGO: the new end; null lifts the embargo at the moment of approval. */
  embargoUntil?: Date | null;
  tlp?: Tlp;
  recipients?: string[];
  tier?: MemberTier;
  /** REGISTER_MEMBER, REINSTATE_MEMBER: the member's status (found: PENDING or SUSPENDED; asked: ACTIVE). */
  status?: MemberStatus;
  /**
   * REGISTER_IDENTITY_PROVIDER: the registration as it will be stored (`change`); the
   * registration the request found, or null when the issuer was free (`expected`).
   * REMOVE_IDENTITY_PROVIDER: the registration to remove (`expected`).
   */
  identityProvider?: IdentityProviderRegistration | null;
  /** GRANT_ROLE: the role to grant (`change`). */
  role?: Role;
  /** LINK_IDENTITY: the identity to link to the target person (`change`). */
  identity?: { issuer: string; subject: string };
  /** GRANT_ROLE and LINK_IDENTITY: the person as the request found it (`expected`): ACTIVE, in this member. */
  person?: { memberId: string; status: string };
  /** PUBLISH_VULNERABILITY: the case's status the request found (`expected`) and PUBLISHED (`change`). */
  vulnerabilityStatus?: string;
  /**
   * RESCHEDULE_MODEL_REVIEW: the planned deployment and window opening asked for (`change`) and
   * found (`expected`). CLOSE_MODEL_REVIEW: the planned deployment found (`expected`).
   */
  plannedDeploymentAt?: Date;
  windowOpensAt?: Date;
  /** PUBLISH_WARNED_INDICATOR: the held item, as approval will publish it (`change`). */
  heldIndicator?: HeldIndicator;
  /**
   * PUBLISH_WARNED_INDICATOR: the member's claim on the value as the hold found it, null when it
   * had none (`expected`); as applied, before and after.
   */
  claim?: HeldClaimState | null;
}

/** A request for a sensitive change, waiting for (or given) a second person's decision. */
export interface ApprovalRequestDoc {
  /** `approval--<uuid>` */
  _id: string;
  kind: ApprovalKind;
  target: { kind: 'INDICATOR' | 'MODEL_RISK_NOTICE' | 'MEMBER' | 'IDENTITY_PROVIDER' | 'PERSON' | 'VULNERABILITY' | 'MODEL_REVIEW'; id: string };
  /** The record's publishing member; for CHANGE_TIER and identity providers the member itself. */
  ownerMemberId: string;
  change: ApprovalChange;
  /** The target's state when the request was made: approval applies only if it still holds. */
  expected: ApprovalChange;
  requestedBy: ActorRef;
  reason: string;
  status: ApprovalStoredStatus;
  decidedBy: ActorRef | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  createdAt: Date;
  expiresAt: Date;
  /** Creation order: the list's order and cursor key. */
  seq: number;
}

export const AUDIT_ACTIONS = [
  'PUBLISH', 'UPDATE', 'REVOKE', 'STATUS_CHANGE', 'REQUEST', 'APPROVE', 'REJECT', 'TIER_CHANGE', 'TOKEN_ISSUED', 'LOGIN_FAILED',
  'API_KEY_CREATED', 'API_KEY_REVOKED', 'IDENTITY_PROVIDER_REGISTERED', 'IDENTITY_PROVIDER_REMOVED',
  'MEMBER_REGISTERED',
  'MEMBER_SUSPENDED',
  'MEMBER_REINSTATED',
  'MEMBER_OFFBOARDED',
  'COMMUNITY_CREATED',
  'COMMUNITY_MEMBER_ADDED',
  'COMMUNITY_MEMBER_REMOVED',
  'PERSON_ADDED',
  'ROLE_GRANTED',
  'ROLE_REVOKED',
  'IDENTITY_LINKED',
  'IDENTITY_UNLINKED',
  'PERSON_REMOVED',
  'PERSON_SUSPENDED',
  'PERSON_REINSTATED',
  'VULNERABILITY_SUBMITTED',
  'VULNERABILITY_VALIDATED',
  'VULNERABILITY_VENDOR_NOTIFIED',
  'VULNERABILITY_ACKNOWLEDGED',
  'VULNERABILITY_VENDOR_STATUS',
  'EMBARGO_PROPOSED',
  'EMBARGO_ACCEPTED',
  'EMBARGO_REJECTED',
  'EMBARGO_ENDED',
  'VULNERABILITY_PUBLISHED',
  'VULNERABILITY_DUPLICATE',
  'VULNERABILITY_ESCALATED',
  'MODEL_REVIEW_SCHEDULED',
  'MODEL_REVIEW_REVIEWERS_INVITED',
  'MODEL_REVIEW_REVIEWERS_REMOVED',
  'MODEL_REVIEW_RESCHEDULED',
  'MODEL_REVIEW_CLOSED',
  'MODEL_REVIEW_CANCELLED',
  'MODEL_REVIEW_SUMMARY_RELEASED',
  'PEER_REGISTERED',
  'PEER_PAUSED',
  'PEER_RESUMED',
  'PEER_REMOVED',
  'DECAY_MODEL_SET',
  'SCORE_OVERRIDDEN',
  'FALSE_POSITIVES_REPORTED',
  'WARNING_LIST_PUBLISHED',
  'WARNING_LIST_REVOKED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditTargetKind = 'INDICATOR' | 'MODEL_RISK_NOTICE' | 'MEMBER' | 'APPROVAL_REQUEST' | 'TOKEN' | 'API_KEY' | 'IDENTITY_PROVIDER' | 'COMMUNITY' | 'PERSON' | 'VULNERABILITY' | 'MODEL_REVIEW' | 'WARNING_LIST';
/** JSON-safe values only (dates as ISO strings), so every adapter stores details as they are. */
export type AuditJson = string | number | boolean | null | AuditJson[] | { [key: string]: AuditJson };

/**
 * One line of the append-only audit log. `summary` and `details` hold ids and enum values only,
 * never record content (indicator values, descriptions, notice text, reasons).
 */
export interface AuditEntry {
  /** `audit--<uuid>` */
  _id: string;
  /** The log's order and chain position (the head's `seq` + 1): the cursor key. Counts every member's entries: shown to hub-admins only. */
  seq: number;
  /**
   * The entry's number in its own member's log (`sequences.next('audit:<memberId>')`, hub-level
   * entries `audit:hub`): what everyone but a hub-admin sees as `seq`, so that its gaps count
   * only entries the reader may read. Absent on entries written before it existed.
   */
  memberSeq?: number;
  /** When it happened (for CLI-issued tokens: when the CLI issued it, not when the hub read it). */
  at: Date;
  action: AuditAction;
  /** Who did it; null for the hub itself, the CLI and failed logins. */
  actor: ActorRef | null;
  /** Whose entry it is (its member-admin reads it); null for hub-level entries (hub-admin only). */
  memberId: string | null;
  target: { kind: AuditTargetKind; id: string } | null;
  summary: string;
  details: { [key: string]: AuditJson };
  /**
   * The hash of the entry before it in `seq` order (`GENESIS_HASH` for the first chained entry):
   * the link of the log's hash chain (src/services/audit-chain.ts). Absent on entries written
   * before the chain existed.
   */
  prevHash?: string;
  /** SHA-256 (hex) of the entry's canonical form, `prevHash` included (`entryHash`). Absent with `prevHash`. */
  hash?: string;
}

/**
 * The hub's signature over the audit chain's head at one moment: "the entry at `seq` had hash
 * `headHash` at `at`". Signed with the hub's own key (the one that signs its tokens), so an
 * entry changed, removed or reordered at or below `seq` no longer matches, even by someone who
 * recomputed every hash after it.
 */
export interface AuditCheckpoint {
  /** `audit-checkpoint--<seq, 12 digits>--<at ms, 15 digits>`: ids sort by position, then time. */
  _id: string;
  /** The chain's position signed: the head entry's `seq`. */
  seq: number;
  /** That entry's `hash`. */
  headHash: string;
  at: Date;
  /** The signing key's id (its JWK thumbprint). */
  kid: string;
  /** Compact JWS (EdDSA) whose payload is `checkpointPayload(seq, headHash, at)`. */
  jws: string;
}
