/**
 * The SQLite store's tables: for each document collection, the fields queries read (a column
 * each), the multi-valued ones (a side table each), and every index with the read it answers.
 * A query naming a field not declared here throws (sqlite-filter.ts), so a new query cannot run
 * unindexed without someone adding its column here.
 */
import { offsetOfId } from '../../taxii/date-added.js';
import type { CollectionSpec, ColumnSpec } from './sqlite-collection.js';

/** TAXII's `date_added` microsecond, derived from the id (filled from it in rows of an earlier hub). */
const DATE_ADDED_OFFSET: ColumnSpec = { field: 'dateAddedOffset', kind: 'number', fromId: offsetOfId };

/** Keyset orderings (queries.ts ORDER_KEYS): each sort key, then `_id`. */
const ORDERINGS = [
  { columns: ['seq'], purpose: 'UPDATED_AT order (seq), the default list order and its keyset pages' },
  { columns: ['createdAt', '_id'], purpose: 'CREATED_AT order' },
  { columns: ['validFrom', '_id'], purpose: 'VALID_FROM order' },
  { columns: ['severityRank', '_id'], purpose: 'SEVERITY order' },
  { columns: ['confidence', '_id', 'source', 'tlp'], purpose: 'CONFIDENCE order; covers minConfidence counts (visibility read from the index)' },
  { columns: ['source', '_id'], purpose: 'SOURCE order; also a member\'s own records (visibility, TAXII own-sightings)' },
] as const;

export const INDICATORS: CollectionSpec = {
  table: 'indicators',
  columns: [
    // Seekable inside `$or`: the score filter's branches, each a range on (type, base, lastConfirmedAt).
    { field: 'type', kind: 'text', seekInOr: true },
    { field: 'value', kind: 'text' },
    { field: 'tlp', kind: 'text' },
    { field: 'severity', kind: 'text' },
    { field: 'severityRank', kind: 'number' },
    { field: 'confidence', kind: 'number' },
    { field: 'validFrom', kind: 'date' },
    { field: 'revoked', kind: 'boolean' },
    { field: 'source', kind: 'text' },
    { field: 'createdAt', kind: 'date' },
    { field: 'updatedAt', kind: 'date' },
    { field: 'seq', kind: 'number' },
    DATE_ADDED_OFFSET,
    // Provenance of a claim received from a peer hub: the policy's peerExclusion reads these.
    { field: 'origin.hub', kind: 'text' },
    { field: 'origin.hops', kind: 'number' },
    { field: 'origin.shareOnward', kind: 'boolean' },
    // The score's stored bases, its clock and an analyst's override: score filters read these
    // (docs/intel-quality.md, "Filters on the score").
    { field: 'scoreBase', kind: 'number', seekInOr: true },
    { field: 'scoreBaseOpen', kind: 'number', seekInOr: true },
    { field: 'lastConfirmedAt', kind: 'date', seekInOr: true },
    { field: 'scoreOverride.score', kind: 'number', seekInOr: true },
  ],
  lists: [
    { field: 'tags', kind: 'text' },
    { field: 'recipients', kind: 'text' },
    // The FALSE_POSITIVE lists a value is on (excludeWarned: `NOT rid IN (rids on the viewer's lists)`,
    // tested per row while the order's index is walked; warned claims are few).
    { field: 'warnedBy', kind: 'text' },
  ],
  indexes: [
    // Value first: the same index answers lookups by value (lookupIndicators, publish dedup).
    { columns: ['value', 'source', 'type'], unique: true, purpose: 'one claim per member, type and value (upsertClaims); lookups by value' },
    ...ORDERINGS,
    {
      columns: ['updatedAt', 'dateAddedOffset', '_id', 'source', 'tlp'],
      purpose: 'TAXII pages in date_added order (added_after, next; a page may end inside a millisecond); covers updatedSince counts (visibility read from the index)',
    },
    { columns: ['type', 'seq'], purpose: 'filtered first page: type, newest first' },
    { columns: ['tlp', 'seq'], purpose: 'filtered first page: TLP, newest first (TLP:RED is rare: walking seq would read far)' },
    {
      columns: ['rid', 'source', 'tlp'],
      purpose: 'visibility of the records a side table names (counts filtered by tags): read from this small index instead of each row (1.2 s to about 0.2 s for a common tag at 1M)',
    },
    {
      columns: ['type', 'scoreBase', 'lastConfirmedAt', '_id', 'scoreOverride_score', 'source', 'tlp'],
      purpose:
        "score filters for viewers of tier TRUSTED and above (minScore, excludeDecayed: per type, a range of bases each bounded by its confirmation time, the exact score read from the index) and the SCORE order; the start's backfill of claims lacking a base. Covers their counts: the override and visibility read from the index too (10,000 matches counted in 7 ms instead of 39 at 200,000)",
    },
    {
      columns: ['type', 'scoreBaseOpen', 'lastConfirmedAt', '_id', 'scoreOverride_score', 'source', 'tlp'],
      purpose: "the same for every other viewer (the base without the publisher's tier)",
    },
    {
      columns: ['scoreOverride_score', 'lastConfirmedAt', '_id', 'source', 'tlp'],
      // Partial: only the overridden claims. Whole, the planner would seek the claims without an
      // override (`scoreOverride_score IS NULL`, nearly all) by their confirmation time through it.
      where: '"scoreOverride_score" IS NOT NULL',
      purpose:
        "score filters: the claims an analyst's override scores (few), by their fixed score, visibility read from the index; the SCORE order's stream of them, in that order (src/services/score-merge.ts)",
    },
    // Severity has no (severity, seq) index: each value is common, so a page walks seq and stops soon.
  ],
  // Visibility reads source, tlp and recipients; the common filters type, severity and revoked.
  // warnedBy: excludeWarned counts read the count table too (most claims are on no list: few groups more).
  countBy: ['source', 'tlp', 'recipients', 'type', 'severity', 'severityRank', 'revoked', 'warnedBy'],
  // The score indexes of the first issue-16 commits, replaced by the covering ones above.
  retiredIndexes: [
    'indicators_updatedAt_id_source_tlp',
    'indicators_type_scoreBase_lastConfirmedAt_id',
    'indicators_type_scoreBaseOpen_lastConfirmedAt_id',
    'indicators_scoreOverridescore',
    'indicators_scoreOverridescore_source_tlp',
    'indicators_scoreOverridescore_lastConfirmedAt_id',
  ],
};

export const NOTICES: CollectionSpec = {
  table: 'notices',
  columns: [
    { field: 'category', kind: 'text' },
    { field: 'status', kind: 'text' },
    { field: 'severity', kind: 'text' },
    { field: 'severityRank', kind: 'number' },
    { field: 'tlp', kind: 'text' },
    { field: 'model.name', kind: 'text' },
    { field: 'model.developer', kind: 'text' },
    { field: 'embargoUntil', kind: 'date' },
    { field: 'source', kind: 'text' },
    // A model review's findings: the policy's reviewRestriction reads these (src/domain/model-review.ts).
    { field: 'reviewId', kind: 'text' },
    { field: 'reviewReleaseAt', kind: 'date' },
    { field: 'createdAt', kind: 'date' },
    { field: 'updatedAt', kind: 'date' },
    // Notices have neither; the orderings still name them (null for every notice).
    { field: 'validFrom', kind: 'date' },
    { field: 'confidence', kind: 'number' },
    { field: 'seq', kind: 'number' },
    DATE_ADDED_OFFSET,
    // Provenance of a notice received from a peer hub: the policy's peerExclusion reads these.
    { field: 'origin.hub', kind: 'text' },
    { field: 'origin.hops', kind: 'number' },
    { field: 'origin.shareOnward', kind: 'boolean' },
  ],
  lists: [
    { field: 'recipients', kind: 'text' },
    { field: 'atlasTechniques', kind: 'text' },
    { field: 'owaspLlm', kind: 'text' },
    { field: 'reviewAudience', kind: 'text' },
  ],
  indexes: [
    ...ORDERINGS,
    { columns: ['updatedAt', 'dateAddedOffset', '_id'], purpose: 'TAXII pages of notices in date_added order' },
    { columns: ['embargoUntil', '_id'], purpose: 'embargoes that ended (EmbargoWatcher)' },
    { columns: ['embargoUntil', 'dateAddedOffset', '_id'], purpose: 'TAXII releases (notices dated by their embargo\'s end) in date_added order' },
    { columns: ['reviewId', 'seq'], purpose: "a model review's findings (modelReviewFindingsFilter): the review's findings list, its summary, and the rewrite of their restriction on every change of the review" },
    { columns: ['reviewReleaseAt', 'dateAddedOffset', '_id'], purpose: 'TAXII releases of model reviews\' findings (dated by the review\'s close for viewers outside its audience, release-dating.ts) in date_added order' },
  ],
  // Visibility (source, TLP, recipients, status; a model review's restriction) and the common filters.
  countBy: ['source', 'tlp', 'recipients', 'status', 'category', 'severity', 'severityRank', 'reviewId', 'reviewReleaseAt', 'reviewAudience'],
  retiredIndexes: ['notices_updatedAt_id'],
};

export const SIGHTINGS: CollectionSpec = {
  table: 'sightings',
  columns: [
    { field: 'indicatorId', kind: 'text' },
    { field: 'reporter', kind: 'text' },
    { field: 'reportedAt', kind: 'date' },
    DATE_ADDED_OFFSET,
  ],
  indexes: [
    { columns: ['indicatorId', 'reportedAt', '_id'], purpose: 'an indicator\'s sightings, newest first' },
    { columns: ['reportedAt', 'dateAddedOffset', '_id'], purpose: 'TAXII pages of sightings in date_added order' },
  ],
  retiredIndexes: ['sightings_reportedAt_id'],
};

export const APPROVALS: CollectionSpec = {
  table: 'approvals',
  columns: [
    { field: 'kind', kind: 'text' },
    { field: 'status', kind: 'text' },
    { field: 'ownerMemberId', kind: 'text' },
    { field: 'requestedBy.memberId', kind: 'text' },
    { field: 'requestedBy.userId', kind: 'text' },
    { field: 'target.id', kind: 'text' },
    // A person's open requests (Person.pendingApprovals), and who decides a role grant (approvalVisibility).
    { field: 'target.kind', kind: 'text' },
    { field: 'change.role', kind: 'text' },
    // An item held again while its request is open answers with that request (ApprovalService.requestWarnedPublication).
    { field: 'change.heldIndicator.value', kind: 'text' },
    // The undo of an approval whose change no longer applies matches the claim it made (ApprovalService.approve).
    { field: 'decidedAt', kind: 'date' },
    { field: 'decidedBy.userId', kind: 'text' },
    { field: 'createdAt', kind: 'date' },
    { field: 'expiresAt', kind: 'date' },
    { field: 'seq', kind: 'number' },
  ],
  indexes: [
    { columns: ['seq'], purpose: 'the list, newest first, and its keyset pages' },
    { columns: ['ownerMemberId', 'seq'], purpose: 'requests an approver or member-admin may decide' },
    { columns: ['requestedBy_memberId', 'requestedBy_userId', 'seq'], purpose: 'requests a person made' },
    { columns: ['status', 'expiresAt'], purpose: 'pending and expired requests' },
    { columns: ['change_heldIndicator_value'], purpose: "a held item's open request, found when the same item is held again" },
  ],
};

export const AUDIT: CollectionSpec = {
  table: 'audit',
  columns: [
    { field: 'seq', kind: 'number' },
    { field: 'memberSeq', kind: 'number' },
    { field: 'at', kind: 'date' },
    { field: 'action', kind: 'text' },
    { field: 'memberId', kind: 'text' },
    { field: 'target.id', kind: 'text' },
  ],
  indexes: [
    { columns: ['seq'], purpose: 'audit pages for a hub-admin, newest first' },
    { columns: ['memberId', 'seq'], purpose: 'audit pages for a member-admin (its member only)' },
    { columns: ['action', 'seq'], purpose: 'audit pages filtered by action' },
    { columns: ['at'], purpose: 'audit pages by time (since, until)' },
  ],
};

export const COMMUNITIES: CollectionSpec = {
  table: 'communities',
  columns: [{ field: 'ownerMemberId', kind: 'text' }],
  lists: [{ field: 'members', kind: 'text' }],
  indexes: [{ columns: ['ownerMemberId', '_id'], purpose: 'the communities a member owns' }],
};

/**
 * Clearinghouse cases. Visibility reads source, participants, notifiedVendorIds and stageReached
 * (the index fields every write recomputes, src/domain/vulnerability-index.ts); lists read by
 * `seq` newest first; duplicates are found by productKeys, cwes and status.
 */
export const VULNERABILITIES: CollectionSpec = {
  table: 'vulnerabilities',
  columns: [
    { field: 'status', kind: 'text' },
    { field: 'stageReached', kind: 'text' },
    // The stage's TLP label: TAXII's exclusion (never RED) reads it.
    { field: 'tlp', kind: 'text' },
    { field: 'severity', kind: 'text' },
    { field: 'severityRank', kind: 'number' },
    { field: 'cveId', kind: 'text' },
    { field: 'exploited', kind: 'boolean' },
    { field: 'discovery.method', kind: 'text' },
    { field: 'duplicateOf', kind: 'text' },
    { field: 'source', kind: 'text' },
    // A model review's findings: the policy's reviewRestriction reads these (src/domain/model-review.ts).
    { field: 'reviewId', kind: 'text' },
    { field: 'reviewReleaseAt', kind: 'date' },
    { field: 'createdAt', kind: 'date' },
    { field: 'updatedAt', kind: 'date' },
    { field: 'publishedAt', kind: 'date' },
    { field: 'seq', kind: 'number' },
    DATE_ADDED_OFFSET,
  ],
  lists: [
    { field: 'reviewAudience', kind: 'text' },
    { field: 'participants', kind: 'text' },
    { field: 'notifiedVendorIds', kind: 'text' },
    { field: 'vendorIds', kind: 'text' },
    { field: 'cwes', kind: 'text' },
    { field: 'products', kind: 'text' },
    { field: 'productKeys', kind: 'text' },
  ],
  indexes: [
    { columns: ['seq'], purpose: 'cases in write order (the disclosure watcher; newest write first)' },
    { columns: ['stageReached', 'seq'], purpose: 'the stage branch of visibility (CORE from VALIDATED, TRUSTED from FIX_AVAILABLE, everyone from PUBLISHED), newest first; the stage filter' },
    { columns: ['source', 'seq'], purpose: "the reporter's own cases (visibility), newest first" },
    { columns: ['status', 'seq'], purpose: 'the status filter, newest first; open cases for the possible-duplicate check' },
    { columns: ['cveId', 'seq'], purpose: 'the cveId filter' },
    { columns: ['publishedAt', '_id'], purpose: 'the PROOF_OF_CONCEPT_RELEASED stage filter (published before now less HUB_POC_DELAY)' },
    { columns: ['reviewId', 'seq'], purpose: "a model review's findings (modelReviewFindingsFilter): the review's findings list, its summary, and the rewrite of their restriction on every change of the review" },
    { columns: ['updatedAt', 'dateAddedOffset', '_id'], purpose: 'vulnerabilities(...) newest change first and its keyset pages (the visibility $or tested while walking); TAXII pages of cases in date_added order; the updatedSince filter' },
    { columns: ['reviewReleaseAt', 'dateAddedOffset', '_id'], purpose: 'TAXII releases of model reviews\' findings (dated by the review\'s close for viewers outside its audience, release-dating.ts) in date_added order' },
  ],
  // Visibility (source, participants, notified vendors, stage; a model review's restriction) and the
  // common filters: counts read the count table. A review's findings add a group or a few each
  // (their review, release and audience): few, as findings are.
  countBy: ['source', 'participants', 'notifiedVendorIds', 'stageReached', 'status', 'severity', 'severityRank', 'exploited', 'reviewId', 'reviewReleaseAt', 'reviewAudience'],
};

/**
 * Pre-deployment model reviews (src/domain/model-review.ts): tens to thousands. Visibility
 * (`modelReviewVisibility`) reads lab, reviewers, closesAt, cancelledAt and summaryPublic; the
 * status filter (`modelReviewFilter`) windowOpensAt, closesAt and cancelledAt at an instant; the
 * list reads soonest planned deployment first (MODEL_REVIEW_LIST_ORDER).
 */
export const MODEL_REVIEWS: CollectionSpec = {
  table: 'model_reviews',
  columns: [
    { field: 'lab', kind: 'text' },
    { field: 'model.name', kind: 'text' },
    { field: 'model.developer', kind: 'text' },
    { field: 'plannedDeploymentAt', kind: 'date' },
    { field: 'windowOpensAt', kind: 'date' },
    { field: 'closesAt', kind: 'date' },
    { field: 'cancelledAt', kind: 'date' },
    { field: 'closeAnnouncedAt', kind: 'date' },
    { field: 'summaryPublic', kind: 'boolean' },
    { field: 'seq', kind: 'number' },
  ],
  // The side table's (value, rid) key answers "the reviews this member reviews" (visibility's reviewer branch).
  lists: [{ field: 'reviewers', kind: 'text' }],
  indexes: [
    { columns: ['plannedDeploymentAt', '_id'], purpose: 'modelReviews(...) soonest planned deployment first and its keyset pages (the visibility $or tested while walking)' },
    { columns: ['lab', 'plannedDeploymentAt', '_id'], purpose: "the lab filter in list order; a lab's own reviews (visibility's lab branch)" },
    { columns: ['model_name', 'plannedDeploymentAt', '_id'], purpose: 'the modelName filter in list order' },
    {
      columns: ['closesAt', 'cancelledAt', 'windowOpensAt', 'lab', 'summaryPublic'],
      purpose: "the status filter (CLOSED: closesAt reached; OPEN and SCHEDULED: not yet) and visibility's closed branch (anonymous callers see closed reviews only); covers totalCount under visibility and status (reviewers read from their side table by rid)",
    },
    { columns: ['closeAnnouncedAt', 'closesAt', '_id'], purpose: 'the ReviewWatcher: reviews whose close is due and not yet announced (modelReviewsDueToClose), oldest close first (MODEL_REVIEW_CLOSE_ORDER)' },
  ],
  // Replaced during issue 14 by the covering status index and the watcher's index with its order.
  retiredIndexes: ['model_reviews_closesAt_id', 'model_reviews_closeAnnouncedAt_closesAt'],
};

export const COLLECTION_SPECS = [INDICATORS, NOTICES, SIGHTINGS, APPROVALS, AUDIT, COMMUNITIES, VULNERABILITIES, MODEL_REVIEWS] as const;

/** The tables of the simpler repositories (one key each), and the event log. */
export const KEYED_TABLES_DDL = [
  'CREATE TABLE IF NOT EXISTS members (_id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS idempotency (_id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS identity_providers (issuer TEXT PRIMARY KEY, memberId TEXT NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID',
  'CREATE INDEX IF NOT EXISTS identity_providers_member ON identity_providers (memberId, issuer)',
  'CREATE TABLE IF NOT EXISTS api_keys (_id TEXT PRIMARY KEY, memberId TEXT NOT NULL, createdAt INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID',
  'CREATE INDEX IF NOT EXISTS api_keys_member ON api_keys (memberId, createdAt, _id)',
  // People (SqlitePeople): by id on every request; a member's people by id; identities unique by (issuer, subject).
  'CREATE TABLE IF NOT EXISTS people (_id TEXT PRIMARY KEY, memberId TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID',
  'CREATE INDEX IF NOT EXISTS people_member ON people (memberId, _id)',
  'CREATE TABLE IF NOT EXISTS person_identities (issuer TEXT NOT NULL, subject TEXT NOT NULL, personId TEXT NOT NULL, PRIMARY KEY (issuer, subject)) WITHOUT ROWID',
  'CREATE INDEX IF NOT EXISTS person_identities_person ON person_identities (personId)',
  'CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at INTEGER NOT NULL, fullAt INTEGER NOT NULL) WITHOUT ROWID',
  'CREATE INDEX IF NOT EXISTS rate_limits_full ON rate_limits (fullAt)',
  'CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expiresAt INTEGER NOT NULL) WITHOUT ROWID',
  // The alert log: position is the row id, so a replay from any cursor is a range read.
  'CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, occurredAt INTEGER NOT NULL, doc TEXT NOT NULL)',
  'CREATE INDEX IF NOT EXISTS events_occurred ON events (occurredAt)',
  'CREATE TABLE IF NOT EXISTS event_log (id INTEGER PRIMARY KEY CHECK (id = 1), latest INTEGER NOT NULL, trimmedThrough INTEGER NOT NULL)',
  'INSERT OR IGNORE INTO event_log (id, latest, trimmedThrough) VALUES (1, 0, 0)',
  // Member changes, for the other processes on the same file (SqliteEventBus).
  // The audit chain's signed checkpoints (AuditCheckpointer), newest first by _id.
  'CREATE TABLE IF NOT EXISTS audit_checkpoints (_id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS member_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, memberId TEXT NOT NULL, origin TEXT NOT NULL, at INTEGER NOT NULL)',
];
