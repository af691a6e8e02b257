/**
 * Builds the MongoDB filter and sort documents for every read the hub makes. Built once here,
 * run either by the MongoDB driver or in memory by mingo, so CI exercises the query logic that
 * production runs.
 */
import type { IndicatorType, NoticeCategory, NoticeStatus, Severity, Tlp } from '../domain/types.js';
import type { ApprovalStatus, AuditAction } from '../domain/types.js';
import { memberStatus, severityRank, type Member } from '../domain/types.js';
import type { Filter } from '../domain/filter.js';
import type { MemberGuard, SortSpec } from './ports.js';
import type { DiscoveryMethod, DisclosureStage, VulnerabilityStatus } from '../domain/vulnerability.js';
import type { DisclosureSchedule } from '../domain/vulnerability-stage.js';
import type { ModelReviewStatus } from '../domain/model-review.js';

export type Direction = 'ASC' | 'DESC';

/** `{$and: [...]}` of the non-empty filters; `{}` when there are none. */
export function and(...filters: Array<Filter | null | undefined>): Filter {
  const parts = filters.filter((f): f is Filter => !!f && Object.keys(f).length > 0);
  if (parts.length === 0) return {};
  if (parts.length === 1) return parts[0]!;
  return { $and: parts };
}

export interface IndicatorFilterInput {
  type?: IndicatorType[] | null;
  /** Already normalised by the service; null when the raw value did not normalise. */
  value?: string | null;
  tlp?: Tlp[] | null;
  severity?: Severity[] | null;
  minSeverity?: Severity | null;
  minConfidence?: number | null;
  tags?: string[] | null;
  updatedSince?: Date | null;
  revoked?: boolean | null;
  /** Publishing member ids (a gated filter: the schema refuses it below TRUSTED). */
  source?: string[] | null;
}

const NOTHING: Filter = { _id: { $in: [] } };

/**
 * `updatedSince` of a kind of record that can become visible with no write: written since
 * `since`, or released since then by the clock (an embargo's end, a model review's close: the
 * policy compares those instants with now, nothing rewrites the record). A client re-syncing with
 * `updatedSince` (docs/alerts.md, CURSOR_EXPIRED) would otherwise never get a record released
 * while it was away. A viewer that saw the record before its release gets it again: nothing new.
 */
function changedSince(since: Date, now: Date, releaseFields: readonly string[]): Filter {
  if (since > now) return { updatedAt: { $gte: since } };
  return { $or: [{ updatedAt: { $gte: since } }, ...releaseFields.map((field) => ({ [field]: { $gte: since, $lte: now } }))] };
}

export function indicatorFilter(input: IndicatorFilterInput | null | undefined, valueGiven = false): Filter {
  if (!input) return {};
  const parts: Filter[] = [];
  if (input.type?.length) parts.push({ type: { $in: input.type } });
  if (valueGiven) parts.push(input.value == null ? NOTHING : { value: input.value });
  if (input.tlp?.length) parts.push({ tlp: { $in: input.tlp } });
  if (input.severity?.length) parts.push({ severity: { $in: input.severity } });
  if (input.minSeverity) parts.push({ severityRank: { $gte: severityRank(input.minSeverity) } });
  if (input.minConfidence != null) parts.push({ confidence: { $gte: input.minConfidence } });
  // Tags are stored trimmed and lower-cased (see IndicatorService), so match them the same way.
  if (input.tags?.length) parts.push({ tags: { $in: input.tags.map((t) => t.trim().toLowerCase()) } });
  if (input.updatedSince) parts.push({ updatedAt: { $gte: input.updatedSince } });
  if (input.revoked != null) parts.push({ revoked: input.revoked });
  if (input.source) parts.push({ source: { $in: input.source } });
  return and(...parts);
}

/**
 * `excludeWarned`: claims whose value is on none of `listIds` (the FALSE_POSITIVE lists that apply
 * for the viewer, `warningListsApplying`), read from the flag stored on each claim (`warnedBy`,
 * written at publish and by the recompute job), so the store answers it, pages and counts alike.
 */
export function warnedExclusion(listIds: readonly string[]): Filter {
  return listIds.length === 0 ? {} : { warnedBy: { $nin: [...listIds] } };
}

export interface NoticeFilterInput {
  category?: NoticeCategory[] | null;
  status?: NoticeStatus[] | null;
  severity?: Severity[] | null;
  minSeverity?: Severity | null;
  tlp?: Tlp[] | null;
  modelName?: string | null;
  modelDeveloper?: string | null;
  atlasTechnique?: string | null;
  owaspLlm?: string | null;
  updatedSince?: Date | null;
  /** Publishing member ids (gated: TRUSTED). */
  source?: string[] | null;
  /** Findings of this model review. */
  reviewId?: string | null;
}

export function noticeFilter(input: NoticeFilterInput | null | undefined, now: Date): Filter {
  if (!input) return {};
  const parts: Filter[] = [];
  if (input.category?.length) parts.push({ category: { $in: input.category } });
  if (input.status?.length) parts.push({ status: { $in: input.status } });
  if (input.severity?.length) parts.push({ severity: { $in: input.severity } });
  if (input.minSeverity) parts.push({ severityRank: { $gte: severityRank(input.minSeverity) } });
  if (input.tlp?.length) parts.push({ tlp: { $in: input.tlp } });
  if (input.modelName) parts.push({ 'model.name': input.modelName });
  if (input.modelDeveloper) parts.push({ 'model.developer': input.modelDeveloper });
  if (input.atlasTechnique) parts.push({ atlasTechniques: input.atlasTechnique });
  if (input.owaspLlm) parts.push({ owaspLlm: input.owaspLlm });
  if (input.updatedSince) parts.push(changedSince(input.updatedSince, now, ['embargoUntil', 'reviewReleaseAt']));
  if (input.source) parts.push({ source: { $in: input.source } });
  // Findings of a model review; which of them the viewer sees is the visibility filter's (reviewRestriction).
  if (input.reviewId) parts.push({ reviewId: input.reviewId });
  return and(...parts);
}

/** The orderings clients may ask for, each mapped to a sort whose last key is unique. */
const ORDER_KEYS = {
  /** Most recently written first: `seq` is bumped on every write, so it orders by update. */
  UPDATED_AT: ['seq'],
  CREATED_AT: ['createdAt', '_id'],
  VALID_FROM: ['validFrom', '_id'],
  SEVERITY: ['severityRank', '_id'],
  CONFIDENCE: ['confidence', '_id'],
  SOURCE: ['source', '_id'],
} as const satisfies Record<string, readonly string[]>;

export type OrderField = keyof typeof ORDER_KEYS;

export function sortFor(field: OrderField, direction: Direction): SortSpec {
  const dir = direction === 'ASC' ? 1 : -1;
  return ORDER_KEYS[field].map((key) => [key, dir] as const);
}

/** The values of the sort keys of a document: what a cursor remembers. */
export function sortValues(sort: SortSpec, doc: Record<string, unknown>): unknown[] {
  return sort.map(([key]) => doc[key] ?? null);
}

/**
 * The keyset condition "strictly after the document whose sort values are `values`":
 * `{a: {$lte: va}, $or: [{a: {$lt: va}}, {a: va, b: {$lt: vb}}]}` for a descending (a, b) sort.
 * The bound on the leading key, outside the `$or`, says the same once more so that the order's
 * index seeks to the cursor instead of walking every entry before it (the SQLite store reads
 * conditions inside `$or` unindexed); left out when `va` is null (a bound on null matches null only).
 */
export function keysetAfter(sort: SortSpec, values: readonly unknown[]): Filter {
  const branches: Filter[] = [];
  for (let i = 0; i < sort.length; i++) {
    const branch: Filter = {};
    for (let j = 0; j < i; j++) branch[sort[j]![0]] = values[j];
    const [key, dir] = sort[i]!;
    branch[key] = { [dir === 1 ? '$gt' : '$lt']: values[i] };
    branches.push(branch);
  }
  if (branches.length === 1) return branches[0]!;
  const [lead, dir] = sort[0]!;
  if (values[0] === null || values[0] === undefined) return { $or: branches };
  return { [lead]: { [dir === 1 ? '$gte' : '$lte']: values[0] }, $or: branches };
}

export interface AuditFilterInput {
  memberId?: string | null;
  action?: AuditAction[] | null;
  /** Inclusive. */
  since?: Date | null;
  /** Exclusive. */
  until?: Date | null;
}

export function auditFilter(input: AuditFilterInput | null | undefined): Filter {
  if (!input) return {};
  const parts: Filter[] = [];
  if (input.memberId != null) parts.push({ memberId: input.memberId });
  if (input.action?.length) parts.push({ action: { $in: input.action } });
  if (input.since) parts.push({ at: { $gte: input.since } });
  if (input.until) parts.push({ at: { $lt: input.until } });
  return and(...parts);
}

/** Approval requests by effective status: EXPIRED is a PENDING request whose time ran out by `now`. */
export function approvalStatusFilter(status: ApprovalStatus | null | undefined, now: Date): Filter {
  switch (status) {
    case null:
    case undefined:
      return {};
    case 'PENDING':
      return { status: 'PENDING', expiresAt: { $gt: now } };
    case 'EXPIRED':
      return { status: 'PENDING', expiresAt: { $lte: now } };
    default:
      return { status };
  }
}

/**
 * The filter a member's conditional update matches on (`MemberRepository.update`). A document
 * written before `status` has only `suspended`: it matches SUSPENDED when that is true, ACTIVE
 * otherwise, exactly as `memberStatus` reads it.
 */
export function memberGuardFilter(id: string, expected: MemberGuard): Filter {
  const clauses: Filter[] = [{ _id: id }];
  if (expected.tier) clauses.push({ tier: expected.tier });
  if (expected.status === 'ACTIVE') clauses.push({ $or: [{ status: 'ACTIVE' }, { status: { $exists: false }, suspended: { $ne: true } }] });
  else if (expected.status === 'SUSPENDED') clauses.push({ $or: [{ status: 'SUSPENDED' }, { status: { $exists: false }, suspended: true }] });
  else if (expected.status) clauses.push({ status: expected.status });
  if (expected.statusRequestId) clauses.push({ 'statusChange.requestId': expected.statusRequestId });
  if (expected.peerPaused !== undefined) clauses.push({ 'peer.paused': expected.peerPaused });
  return clauses.length === 1 ? clauses[0]! : { $and: clauses };
}

/** Whether a member matches a conditional update's guard (the embedded store's `memberGuardFilter`). */
export function memberMatches(member: Member, expected: MemberGuard): boolean {
  if (expected.tier && member.tier !== expected.tier) return false;
  if (expected.statusRequestId && member.statusChange?.requestId !== expected.statusRequestId) return false;
  if (expected.peerPaused !== undefined && member.peer?.paused !== expected.peerPaused) return false;
  return !expected.status || memberStatus(member) === expected.status;
}

/** The `VulnerabilityFilter` input (schema/vulnerabilities.graphql), as the service passes it. */
export interface VulnerabilityFilterInput {
  status?: VulnerabilityStatus[] | null;
  stage?: DisclosureStage[] | null;
  severity?: Severity[] | null;
  minSeverity?: Severity | null;
  cveId?: string | null;
  cwe?: string | null;
  /** Affected member vendors. */
  vendor?: string[] | null;
  product?: string | null;
  exploited?: boolean | null;
  discoveryMethod?: DiscoveryMethod[] | null;
  updatedSince?: Date | null;
}

/**
 * The filter of `vulnerabilities(filter)`. Stages are the stored `stageReached`, PUBLISHED and
 * PROOF_OF_CONCEPT_RELEASED told apart by `publishedAt` against `now` less HUB_POC_DELAY (as
 * `disclosureStage` does). CVE ids and CWE ids match as stored (upper case), products folded.
 */
export function vulnerabilityFilter(input: VulnerabilityFilterInput | null | undefined, now: Date, schedule: DisclosureSchedule): Filter {
  if (!input) return {};
  const parts: Filter[] = [];
  if (input.status?.length) parts.push({ status: { $in: input.status } });
  if (input.stage?.length) {
    const released = new Date(now.getTime() - schedule.pocDelayMs);
    const branches: Filter[] = [];
    const stored = input.stage.filter((s) => s !== 'PUBLISHED' && s !== 'PROOF_OF_CONCEPT_RELEASED');
    if (stored.length) branches.push({ stageReached: { $in: stored } });
    if (input.stage.includes('PUBLISHED')) branches.push({ stageReached: 'PUBLISHED', publishedAt: { $gt: released } });
    if (input.stage.includes('PROOF_OF_CONCEPT_RELEASED')) branches.push({ stageReached: 'PUBLISHED', publishedAt: { $lte: released } });
    parts.push(branches.length === 1 ? branches[0]! : { $or: branches });
  }
  if (input.severity?.length) parts.push({ severity: { $in: input.severity } });
  if (input.minSeverity) parts.push({ severityRank: { $gte: severityRank(input.minSeverity) } });
  if (input.cveId != null) parts.push({ cveId: input.cveId.trim().toUpperCase() });
  if (input.cwe != null) parts.push({ cwes: input.cwe.trim().toUpperCase() });
  if (input.vendor?.length) parts.push({ vendorIds: { $in: input.vendor } });
  if (input.product != null) parts.push({ products: input.product.trim().toLowerCase().replace(/\s+/g, ' ') });
  if (input.exploited != null) parts.push({ exploited: input.exploited });
  if (input.discoveryMethod?.length) parts.push({ 'discovery.method': { $in: input.discoveryMethod } });
  if (input.updatedSince) parts.push(changedSince(input.updatedSince, now, ['reviewReleaseAt']));
  return and(...parts);
}

/** The statuses of a case still being worked: a new report matching one is flagged as a possible duplicate. */
export const OPEN_VULNERABILITY_STATUSES: readonly VulnerabilityStatus[] = ['RECEIVED', 'VALIDATED', 'FIX_AVAILABLE'];

/** Open cases sharing an affected product (`productKeys`) and a CWE with a new report. */
export function possibleDuplicatesFilter(productKeys: readonly string[], cwes: readonly string[]): Filter {
  if (productKeys.length === 0 || cwes.length === 0) return NOTHING;
  return { productKeys: { $in: [...productKeys] }, cwes: { $in: [...cwes] }, status: { $in: [...OPEN_VULNERABILITY_STATUSES] } };
}

/** The `ModelReviewFilter` input (schema/model-reviews.graphql), as the service passes it. */
export interface ModelReviewFilterInput {
  status?: ModelReviewStatus[] | null;
  /** Lab member ids. */
  lab?: string[] | null;
  modelName?: string | null;
  modelDeveloper?: string | null;
}

/**
 * The conditions under which a review has `status` at `now`: exactly `modelReviewStatus`
 * (src/domain/model-review.ts) as a filter, since the status is computed, never stored.
 * CANCELLED first; CLOSED from `closesAt` (a null `closesAt` never closes); OPEN from
 * `windowOpensAt`; SCHEDULED before it.
 */
export function modelReviewStatusFilter(status: ModelReviewStatus, now: Date): Filter {
  const notClosed: Filter = { $or: [{ closesAt: null }, { closesAt: { $gt: now } }] };
  switch (status) {
    case 'CANCELLED':
      return { cancelledAt: { $ne: null } };
    case 'CLOSED':
      return { cancelledAt: null, closesAt: { $lte: now } };
    case 'OPEN':
      return { $and: [{ cancelledAt: null, windowOpensAt: { $lte: now } }, notClosed] };
    case 'SCHEDULED':
      return { $and: [{ cancelledAt: null, windowOpensAt: { $gt: now } }, notClosed] };
  }
}

/** The filter of `modelReviews(filter)` at `now` (AND it with `modelReviewVisibility`). */
export function modelReviewFilter(input: ModelReviewFilterInput | null | undefined, now: Date): Filter {
  if (!input) return {};
  const parts: Filter[] = [];
  if (input.status) {
    const statuses = [...new Set(input.status)];
    // An empty list asks for no status: nothing matches (as `{status: {$in: []}}` would).
    parts.push(statuses.length === 0 ? NOTHING : statuses.length === 1 ? modelReviewStatusFilter(statuses[0]!, now) : { $or: statuses.map((st) => modelReviewStatusFilter(st, now)) });
  }
  if (input.lab?.length) parts.push({ lab: { $in: input.lab } });
  if (input.modelName) parts.push({ 'model.name': input.modelName });
  if (input.modelDeveloper) parts.push({ 'model.developer': input.modelDeveloper });
  return and(...parts);
}

/**
 * The order of `modelReviews(...)`: soonest planned deployment first, then id (unique: the last
 * key of keyset cursors, `keysetAfter`).
 */
export const MODEL_REVIEW_LIST_ORDER: SortSpec = [
  ['plannedDeploymentAt', 1],
  ['_id', 1],
];

/**
 * The findings of a review: the notices and clearinghouse cases filed under it (both carry
 * `reviewId`). AND it with the viewer's visibility to list what a viewer sees of them; alone, it
 * is what the review service rewrites on every change of the review and what the summary counts.
 */
export function modelReviewFindingsFilter(reviewId: string): Filter {
  return { reviewId };
}

/**
 * Reviews whose close is due at `now` and not yet announced (the ReviewWatcher's read; a
 * cancelled review never closes), oldest close first with `MODEL_REVIEW_CLOSE_ORDER`.
 */
export function modelReviewsDueToClose(now: Date): Filter {
  return { closeAnnouncedAt: null, cancelledAt: null, closesAt: { $lte: now } };
}

/** The order the ReviewWatcher announces closes in: oldest `closesAt` first, then id. */
export const MODEL_REVIEW_CLOSE_ORDER: SortSpec = [
  ['closesAt', 1],
  ['_id', 1],
];
