/**
 * Every index the MongoDB adapter relies on, as data: each names the query that needs it
 * (`purpose`), and `ensureIndexes` creates them at startup. Creating an index that already exists
 * with the same name and options is a no-op, so every instance runs it on every start.
 */
import type { Db } from 'mongodb';
import { COLLECTIONS, type CollectionName } from './mongo-collections.js';

export interface IndexDefinition {
  collection: CollectionName;
  name: string;
  /** Fields in order, 1 ascending, -1 descending. */
  key: Readonly<Record<string, 1 | -1>>;
  unique?: boolean;
  /** Documents without the key's field are left out of the index (so they never collide on a unique one). */
  sparse?: boolean;
  /** A TTL index: documents go once the date in the key's one field is this many seconds past. */
  expireAfterSeconds?: number;
  /** Which query needs it. */
  purpose: string;
  /** MongoDB's own `_id` index: listed for its purpose, never created. */
  builtIn?: true;
}

const DAY_S = 86_400;

export const MONGO_INDEXES: readonly IndexDefinition[] = [
  // indicators
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_claim',
    key: { source: 1, type: 1, value: 1 },
    unique: true,
    purpose: 'publishIndicators: each claim is an upsert on {source, type, value}; unique, so a retried or concurrent publish updates the claim instead of duplicating it',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_value',
    key: { value: 1 },
    purpose: 'lookups by normalised value: lookupIndicators and the value filter ({value: {$in: [...]}}), and a publisher\'s own claims on a batch\'s values',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_value_recipients',
    key: { value: 1, recipients: 1 },
    purpose: 'lookups that carry the viewer\'s visibility $or: the branch {tlp: RED, recipients: <viewer>} scans only claims naming the viewer, so a lookup\'s work does not depend on claims hidden from it (value+source is served by indicators_claim\'s prefix only with type; see indicators_value_source)',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_value_source',
    key: { value: 1, source: 1 },
    purpose: 'lookups that carry the viewer\'s visibility $or: the branch {source: <viewer>} scans only the viewer\'s own claims on those values',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_value_tlp',
    key: { value: 1, tlp: 1 },
    purpose: 'lookups that carry the viewer\'s visibility $or: the branch {tlp: {$in: <tier\'s TLPs>}} scans only claims of TLPs the viewer\'s tier may read',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_tlp_seq',
    key: { tlp: 1, seq: -1 },
    purpose: 'listing by TLP and time: the visibility clause {tlp: {$in: [...]}} of indicators(...), newest write first (seq), with keyset cursors on seq',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_source_seq',
    key: { source: 1, seq: -1 },
    purpose: 'a member\'s own indicators newest first: the visibility clause {source: <viewer>} and the TRUSTED source filter',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_recipients_seq',
    key: { recipients: 1, seq: -1 },
    purpose: 'TLP:RED indicators shared with a member, newest first: the visibility clause {tlp: "RED", recipients: <viewer>}',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_date_added',
    key: { updatedAt: 1, dateAddedOffset: 1, _id: 1 },
    purpose: 'TAXII: indicators in date_added order ({updatedAt, dateAddedOffset, _id} ranges sorted by all three, so a page may end inside a millisecond) and the updatedSince filter',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_seq',
    key: { seq: -1 },
    purpose: 'the default ordering (UPDATED_AT: seq descending) and its keyset cursors when no narrower index applies',
  },
  // The other orderings of indicators(orderBy): each sort ends on _id (unique), so each has an
  // index of exactly its keys; MongoDB walks it either way for ASC and DESC. The visibility $or
  // and the filters are then applied while walking: a first page reads about as many index
  // entries as it takes to find `first` visible matches (docs/mongodb.md: check with explain()).
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_created',
    key: { createdAt: -1, _id: -1 },
    purpose: 'indicators(orderBy: CREATED_AT): the sort {createdAt, _id} and its keyset cursors, without sorting in memory',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_valid_from',
    key: { validFrom: -1, _id: -1 },
    purpose: 'indicators(orderBy: VALID_FROM): the sort {validFrom, _id} and its keyset cursors, without sorting in memory',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_severity',
    key: { severityRank: -1, _id: -1 },
    purpose: 'indicators(orderBy: SEVERITY): the sort {severityRank, _id} and its keyset cursors, without sorting in memory',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_confidence',
    key: { confidence: -1, _id: -1 },
    purpose: 'indicators(orderBy: CONFIDENCE): the sort {confidence, _id} and its keyset cursors, without sorting in memory; also the minimum-confidence filter',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_source_id',
    key: { source: 1, _id: 1 },
    purpose: 'indicators(orderBy: SOURCE) for TRUSTED viewers: the sort {source, _id} and its keyset cursors, without sorting in memory',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_id_source',
    key: { _id: 1, source: 1 },
    purpose: 'lookups by id that carry the viewer\'s visibility $or (indicator, node, stixBundle, idempotent replays): the branch {source: <viewer>} reads only the viewer\'s own indicators among the ids, so a hidden id costs what an absent one does',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_id_recipients',
    key: { _id: 1, recipients: 1 },
    purpose: 'lookups by id: the branch {tlp: RED, recipients: <viewer>} reads only RED indicators naming the viewer',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_id_tlp',
    key: { _id: 1, tlp: 1 },
    purpose: 'lookups by id: the branch {tlp: {$in: <tier\'s TLPs>}} reads only indicators of TLPs the viewer\'s tier may read',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_score_base',
    key: { type: 1, scoreBase: 1, lastConfirmedAt: 1, _id: 1 },
    purpose: 'score filters for viewers of tier TRUSTED and above (minScore, excludeDecayed: per type, a range of stored bases each bounded by its last confirmation) and the SCORE order; the start\'s backfill of claims lacking a base',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_score_base_open',
    key: { type: 1, scoreBaseOpen: 1, lastConfirmedAt: 1, _id: 1 },
    purpose: 'the same for every other viewer: the base without the publisher\'s tier',
  },
  {
    collection: COLLECTIONS.indicators,
    name: 'indicators_score_override_order',
    key: { 'scoreOverride.score': 1, lastConfirmedAt: 1, _id: 1 },
    purpose: "score filters: the claims an analyst's override scores (few), by their fixed score; the SCORE order's stream of them, in that order (src/services/score-merge.ts)",
  },
  // notices
  {
    collection: COLLECTIONS.notices,
    name: 'notices_id_source',
    key: { _id: 1, source: 1 },
    purpose: 'lookups by id that carry the viewer\'s visibility $or (modelRiskNotice, node, stixBundle): the branch {source: <viewer>} reads only the viewer\'s own notices, so a hidden id costs what an absent one does',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_id_recipients_status',
    key: { _id: 1, recipients: 1, status: 1 },
    purpose: 'lookups by id: the branch {tlp: RED, recipients: <viewer>, status: {$in: <not DRAFT>}} reads only non-draft RED notices naming the viewer',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_id_tlp_status',
    key: { _id: 1, tlp: 1, status: 1 },
    purpose: 'lookups by id: the branch {tlp: {$in: <tier\'s TLPs>}, status: {$in: <not DRAFT>}} reads only non-draft notices of TLPs the viewer\'s tier may read',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_tlp_seq',
    key: { tlp: 1, seq: -1 },
    purpose: 'listing by TLP and time: the visibility clause {tlp: {$in: [...]}} of modelRiskNotices(...), newest write first',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_source_seq',
    key: { source: 1, seq: -1 },
    purpose: 'a member\'s own notices newest first: the visibility clause {source: <viewer>} and the TRUSTED source filter',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_recipients_seq',
    key: { recipients: 1, seq: -1 },
    purpose: 'TLP:RED notices shared with a member, newest first: the visibility clause {tlp: "RED", recipients: <viewer>}',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_seq',
    key: { seq: -1 },
    purpose: 'modelRiskNotices for a hub-admin or with the default ordering (UPDATED_AT: seq descending) when no narrower index applies, and its keyset cursors',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_created',
    key: { createdAt: -1, _id: -1 },
    purpose: 'modelRiskNotices(orderBy: CREATED_AT): the sort {createdAt, _id} and its keyset cursors, without sorting in memory',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_severity',
    key: { severityRank: -1, _id: -1 },
    purpose: 'modelRiskNotices(orderBy: SEVERITY): the sort {severityRank, _id} and its keyset cursors, without sorting in memory',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_embargo',
    key: { embargoUntil: 1, _id: 1 },
    purpose: 'EmbargoWatcher: notices whose embargo ended since the last check ({embargoUntil: {$gt, $lte}} sorted by embargoUntil, _id)',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_date_added',
    key: { updatedAt: 1, dateAddedOffset: 1, _id: 1 },
    purpose: 'TAXII: notices in date_added order ({updatedAt, dateAddedOffset, _id} ranges sorted by all three) and the updatedSince filter',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_embargo_date_added',
    key: { embargoUntil: 1, dateAddedOffset: 1, _id: 1 },
    purpose: 'TAXII: notices dated by their embargo\'s end, in date_added order',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_review',
    key: { reviewId: 1, seq: -1 },
    purpose: "a model review's findings ({reviewId}, modelReviewFindingsFilter): its findings list, its summary, and the rewrite of their restriction on every change of the review; also the branch {reviewId: null} of reviewRestriction",
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_review_audience',
    key: { reviewAudience: 1, seq: -1 },
    purpose: 'the branch {reviewAudience: <viewer>} of reviewRestriction: restricted findings a lab or reviewer may see (multikey), newest first',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_review_release',
    key: { reviewReleaseAt: 1, _id: 1 },
    purpose: 'the branch {reviewReleaseAt: {$lte: now}} of reviewRestriction: findings whose review closed (with the two other branches, every branch of the $or has an index)',
  },
  {
    collection: COLLECTIONS.notices,
    name: 'notices_review_release_date_added',
    key: { reviewReleaseAt: 1, dateAddedOffset: 1, _id: 1 },
    purpose: 'TAXII: model reviews\' findings dated by the review\'s close (viewers outside its audience, release-dating.ts), in date_added order',
  },
  // clearinghouse cases (visibility reads the index fields every write recomputes: src/domain/vulnerability-index.ts)
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_seq',
    key: { seq: -1 },
    purpose: 'cases in write order: the disclosure watcher reads open cases oldest write first',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_stage_seq',
    key: { stageReached: 1, seq: -1 },
    purpose: 'the stage branch of the visibility $or (CORE from VALIDATED, TRUSTED from FIX_AVAILABLE, everyone from PUBLISHED), newest first; the stage filter',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_source_seq',
    key: { source: 1, seq: -1 },
    purpose: "the visibility branch {source: <viewer>}: the reporter's own cases, newest first",
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_participants_seq',
    key: { participants: 1, seq: -1 },
    purpose: 'the visibility branch {participants: <viewer>}: cases the viewer reported a duplicate of (multikey)',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_vendors_seq',
    key: { notifiedVendorIds: 1, seq: -1 },
    purpose: 'the visibility branch {notifiedVendorIds: <viewer>}: cases the viewer was notified of as an affected vendor (multikey)',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_status_seq',
    key: { status: 1, seq: -1 },
    purpose: 'the status filter; the open cases read by the possible-duplicate check on submit',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_product_keys',
    key: { productKeys: 1, status: 1 },
    purpose: 'submitVulnerability: open cases sharing an affected product (then a CWE), the possible duplicates shown to coordinators (multikey)',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_vendor_ids',
    key: { vendorIds: 1, seq: -1 },
    purpose: 'the vendor filter (affected member vendors; multikey) and the workflow\'s per-vendor pacing',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_cve',
    key: { cveId: 1 },
    purpose: 'vulnerabilities(filter: {cveId}): the cases filed under one CVE id (normalised upper case)',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_published',
    key: { publishedAt: 1, _id: 1 },
    purpose: 'the PROOF_OF_CONCEPT_RELEASED stage filter (published before now less HUB_POC_DELAY)',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_date_added',
    key: { updatedAt: 1, dateAddedOffset: 1, _id: 1 },
    purpose: 'vulnerabilities(...) newest change first and its keyset cursors (walked testing the visibility $or); TAXII: cases in date_added order ({updatedAt, dateAddedOffset, _id} ranges) and the updatedSince filter',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_review_release_date_added',
    key: { reviewReleaseAt: 1, dateAddedOffset: 1, _id: 1 },
    purpose: 'TAXII: model reviews\' findings dated by the review\'s close (viewers outside its audience, release-dating.ts), in date_added order',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_id_source',
    key: { _id: 1, source: 1 },
    purpose: 'lookups by id that carry the viewer\'s visibility $or (vulnerability, node, duplicateOf): each branch reads only cases the viewer may see, so a hidden id costs what an absent one does',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_id_stage',
    key: { _id: 1, stageReached: 1 },
    purpose: 'lookups by id: the branch {stageReached: {$in: <stages the tier sees>}}',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_review',
    key: { reviewId: 1, seq: -1 },
    purpose: "a model review's findings ({reviewId}, modelReviewFindingsFilter): its findings list, its summary, and the rewrite of their restriction on every change of the review; also the branch {reviewId: null} of reviewRestriction",
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_review_audience',
    key: { reviewAudience: 1, seq: -1 },
    purpose: 'the branch {reviewAudience: <viewer>} of reviewRestriction: restricted findings a lab or reviewer may see (multikey), newest first',
  },
  {
    collection: COLLECTIONS.vulnerabilities,
    name: 'vulnerabilities_review_release',
    key: { reviewReleaseAt: 1, _id: 1 },
    purpose: 'the branch {reviewReleaseAt: {$lte: now}} of reviewRestriction: findings whose review closed (with the two other branches, every branch of the $or has an index)',
  },
  // model reviews (small: tens to thousands; visibility reads lab, reviewers, closesAt, cancelledAt, summaryPublic)
  {
    collection: COLLECTIONS.modelReviews,
    name: 'modelReviews_planned',
    key: { plannedDeploymentAt: 1, _id: 1 },
    purpose: 'modelReviews(...): soonest planned deployment first (MODEL_REVIEW_LIST_ORDER) and its keyset cursors, the visibility $or tested while walking',
  },
  {
    collection: COLLECTIONS.modelReviews,
    name: 'modelReviews_lab_planned',
    key: { lab: 1, plannedDeploymentAt: 1, _id: 1 },
    purpose: "the visibility branch {lab: <viewer>} (a lab's own reviews) and the lab filter, in list order",
  },
  {
    collection: COLLECTIONS.modelReviews,
    name: 'modelReviews_reviewers_planned',
    key: { reviewers: 1, plannedDeploymentAt: 1 },
    purpose: 'the visibility branch {reviewers: <viewer>}: the reviews a member reviews (multikey), in list order',
  },
  {
    collection: COLLECTIONS.modelReviews,
    name: 'modelReviews_model_planned',
    key: { 'model.name': 1, plannedDeploymentAt: 1, _id: 1 },
    purpose: 'the modelName filter, in list order',
  },
  {
    collection: COLLECTIONS.modelReviews,
    name: 'modelReviews_closes',
    key: { closesAt: 1, _id: 1 },
    purpose: "the status filter (CLOSED: closesAt reached; OPEN and SCHEDULED: not yet) and the visibility branch {cancelledAt: null, closesAt: {$lte: now}} (anonymous callers' only one)",
  },
  {
    collection: COLLECTIONS.modelReviews,
    name: 'modelReviews_close_due',
    key: { closeAnnouncedAt: 1, closesAt: 1, _id: 1 },
    purpose: 'the ReviewWatcher: reviews whose close is due and not yet announced ({closeAnnouncedAt: null, cancelledAt: null, closesAt: {$lte: now}}, modelReviewsDueToClose), oldest close first (MODEL_REVIEW_CLOSE_ORDER)',
  },
  // sightings
  {
    collection: COLLECTIONS.sightings,
    name: 'sightings_indicator',
    key: { indicatorId: 1, reportedAt: -1, _id: -1 },
    purpose: 'sightings.findByIndicators: an indicator\'s sightings, newest first',
  },
  {
    collection: COLLECTIONS.sightings,
    name: 'sightings_date_added',
    key: { reportedAt: 1, dateAddedOffset: 1, _id: 1 },
    purpose: 'TAXII: sightings in date_added order ({reportedAt, dateAddedOffset, _id} ranges sorted by all three)',
  },
  // members, counters: their only query is by _id
  {
    collection: COLLECTIONS.members,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'members.findByIds (the authenticator reads the member on every request) and members.list (by id)',
  },
  {
    collection: COLLECTIONS.counters,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'sequences.next and the event log\'s position counter: one findOneAndUpdate by _id',
  },
  // identity providers: _id is the issuer, so the issuer is unique hub-wide
  {
    collection: COLLECTIONS.identityProviders,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'identityProviders.findByIssuer on every federated token; unique issuer: put inserts on it and fails when another member holds it',
  },
  {
    collection: COLLECTIONS.identityProviders,
    name: 'identityProviders_member',
    key: { memberId: 1, _id: 1 },
    purpose: 'identityProviders.listByMember: a member\'s registrations by issuer',
  },
  // API keys: _id is the key id (the public part of the key)
  {
    collection: COLLECTIONS.apiKeys,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'apiKeys.get on every request that presents an API key (Bearer or Basic); revokeApiKey\'s compare-and-set and the lastUsedAt touch, by _id',
  },
  {
    collection: COLLECTIONS.apiKeys,
    name: 'apiKeys_member',
    key: { memberId: 1, createdAt: -1, _id: -1 },
    purpose: 'apiKeys(memberId): a member\'s keys newest first (apiKeys.listByMember)',
  },
  // communities: _id is the community id
  {
    collection: COLLECTIONS.communities,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'communities by id: addCommunityMember/removeCommunityMember (their guarded roster update) and the recipients check of a TLP:RED publish',
  },
  {
    collection: COLLECTIONS.communities,
    name: 'communities_members',
    key: { members: 1, _id: 1 },
    purpose: 'communities.withMembers on every authenticated request: the communities whose roster holds the viewer\'s member (multikey), expanded into its TLP:RED visibility; and the `communities` query',
  },
  {
    collection: COLLECTIONS.communities,
    name: 'communities_owner',
    key: { ownerMemberId: 1, _id: 1 },
    purpose: 'communities.ownedBy: the communities a member-admin administers (its member owns them), for `communities` and a publisher naming its own community',
  },
  // people: _id is the person id (the sub of hub tokens)
  {
    collection: COLLECTIONS.people,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'people.get on every request (hub tokens and API keys resolve to a person), and the person id unique hub-wide',
  },
  {
    collection: COLLECTIONS.people,
    name: 'people_identity',
    key: { identityKeys: 1 },
    unique: true,
    sparse: true,
    purpose: 'people.findByIdentity on every federated token, and (issuer, subject) linked to at most one person hub-wide; sparse, so people without identities never collide',
  },
  {
    collection: COLLECTIONS.people,
    name: 'people_member',
    key: { memberId: 1, _id: 1 },
    purpose: 'people(memberId): a member\'s people by id (people.list)',
  },
  // approval requests
  {
    collection: COLLECTIONS.approvals,
    name: 'approvals_seq',
    key: { seq: -1 },
    purpose: 'approvalRequests for a hub-admin: every request, newest first, keyset cursors on seq',
  },
  {
    collection: COLLECTIONS.approvals,
    name: 'approvals_owner_seq',
    key: { ownerMemberId: 1, seq: -1 },
    purpose: 'approvalRequests for an approver: requests about its member\'s records ({ownerMemberId}), newest first',
  },
  {
    collection: COLLECTIONS.approvals,
    name: 'approvals_requester_seq',
    key: { 'requestedBy.memberId': 1, 'requestedBy.userId': 1, seq: -1 },
    purpose: 'approvalRequests: the requests a person made ({requestedBy.memberId, requestedBy.userId}), newest first',
  },
  // audit log
  {
    collection: COLLECTIONS.audit,
    name: 'audit_seq',
    key: { seq: -1 },
    purpose: 'auditLog for a hub-admin: every entry, newest first, keyset cursors on seq',
  },
  {
    collection: COLLECTIONS.audit,
    name: 'audit_chain_position',
    key: { seq: 1 },
    unique: true,
    purpose: 'the hash chain\'s compare-and-set: one entry per position, so two instances appending at once cannot both link to the same head (AuditRepository.append)',
  },
  {
    collection: COLLECTIONS.auditCheckpoints,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'audit checkpoints: newest first by _id (position, then time), and export in _id order',
  },
  {
    collection: COLLECTIONS.audit,
    name: 'audit_member_seq',
    key: { memberId: 1, seq: -1 },
    purpose: 'audit log by member: a member-admin\'s entries ({memberId}), newest first',
  },
  {
    collection: COLLECTIONS.audit,
    name: 'audit_member_at',
    key: { memberId: 1, at: -1 },
    purpose: 'audit log by member and time: auditLog(filter: {memberId, since, until}) ranges on at',
  },
  // TAXII add-objects: status resources and members' STIX object versions
  {
    collection: COLLECTIONS.taxiiStatuses,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'GET {api-root}/status/{id}/: the status resource by id',
  },
  {
    collection: COLLECTIONS.taxiiStatuses,
    name: 'taxiiStatuses_expiry',
    key: { expiresAt: 1 },
    expireAfterSeconds: 0,
    purpose: 'status resources are kept a bounded time (TAXII_STATUS_RETENTION_MS): one goes once its expiresAt has passed; removeExpired ranges on it too',
  },
  {
    collection: COLLECTIONS.stixVersions,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'add objects: a member\'s stored version of each posted STIX id (`<member>:<stix id>`), read and replaced by _id',
  },
  {
    collection: COLLECTIONS.decayModels,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'decay models: one per indicator type, replaced by _id (the type) and read whole (at most ten)',
  },
  {
    collection: COLLECTIONS.warningLists,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'member warning lists: warningList(id), revokeWarningList, and the compare-and-set replace on {_id, seq}',
  },
  {
    collection: COLLECTIONS.warningLists,
    name: 'warningLists_name',
    key: { source: 1, name: 1 },
    unique: true,
    purpose: 'publishWarningList: a member\'s list by name (a republish replaces it); unique, so two concurrent first publishes of one name make one list. Also counts a member\'s lists ({source, revoked})',
  },
  {
    collection: COLLECTIONS.warningLists,
    name: 'warningLists_seq',
    key: { seq: -1 },
    purpose: 'the lists\' change check every few seconds: the highest seq, one index entry',
  },
  {
    collection: COLLECTIONS.jobStates,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: "background jobs' progress: one document per job, read and compare-and-set by _id (the job's name)",
  },
  // idempotency keys
  {
    collection: COLLECTIONS.idempotency,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'idempotency keys: reserve claims `<member>:<key>` by inserting on _id (a duplicate-key error means already claimed)',
  },
  {
    collection: COLLECTIONS.idempotency,
    name: 'idempotency_expiry',
    key: { expiresAt: 1 },
    expireAfterSeconds: 0,
    purpose: 'idempotency keys with a TTL: a record goes once its expiresAt (HUB_IDEMPOTENCY_TTL after the request) has passed',
  },
  // the event log
  {
    collection: COLLECTIONS.events,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'the event log by position (_id is the position): readAfter, replays of resuming subscribers, the bus filling gaps, trimBefore walking from the oldest',
  },
  {
    collection: COLLECTIONS.events,
    name: 'events_expiry',
    key: { expiresAt: 1 },
    expireAfterSeconds: 0,
    purpose: 'event log retention: an event goes once HUB_EVENT_RETENTION has passed since it occurred, even when no hub is running to trim it',
  },
  {
    collection: COLLECTIONS.eventOutbox,
    name: 'eventOutbox_created',
    key: { createdAt: 1, _id: 1 },
    purpose: 'the sweep of events whose record writes committed but whose log append did not (a crash in between): outbox documents older than the grace, oldest first',
  },
  // rate limits: _id is the bucket's key (member:<id>, ip:<address>)
  {
    collection: COLLECTIONS.rateLimits,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'rateLimits.take on every HTTP request and graphql-ws subscribe: one findOneAndUpdate (upsert) of the caller\'s bucket by _id',
  },
  {
    collection: COLLECTIONS.rateLimits,
    name: 'rateLimits_expiry',
    key: { expiresAt: 1 },
    expireAfterSeconds: 0,
    purpose: 'forgets a rate-limit bucket once it would have refilled completely (expiresAt): a missing bucket is a full one, so only idle callers go',
  },
  // leases: _id is the lease name
  {
    collection: COLLECTIONS.leases,
    name: '_id_',
    key: { _id: 1 },
    builtIn: true,
    purpose: 'leases.acquire: one upsert on {_id: name, $or: [{holder}, {expiresAt: {$lt: now}}]}; a duplicate _id means another instance holds it',
  },
  // the bus's bookkeeping
  {
    collection: COLLECTIONS.busCursors,
    name: 'busCursors_expiry',
    key: { updatedAt: 1 },
    expireAfterSeconds: 7 * DAY_S,
    purpose: 'forgets the saved change-stream resume token of an instance not seen for 7 days',
  },
  {
    collection: COLLECTIONS.memberChanges,
    name: 'memberChanges_at',
    key: { at: 1 },
    expireAfterSeconds: DAY_S,
    purpose: 'member-change notices: the catch-up read after a change-stream outage ({at: {$gte}}); kept one day',
  },
];

/** Raised when an index exists under the same name with other keys or options. */
export class IndexConflictError extends Error {
  override readonly name = 'IndexConflictError';
}

/** How long one collection's `createIndexes` may wait before the start goes on without it. */
export const INDEX_BUILD_WAIT_MS = 60_000;

export interface EnsureIndexesOptions {
  /** Default INDEX_BUILD_WAIT_MS. */
  maxTimeMS?: number;
  /** Told when a collection's indexes did not finish in time (the start goes on). Default: ignore. */
  onSlowBuild?: (collection: string, err: Error) => void;
}

/**
 * Creates the missing collections, then every non-built-in index, one `createIndexes` per
 * collection. Idempotent, and safe with several instances starting at once. An index of the same
 * name with different keys or options is not replaced silently: the error names it.
 *
 * Bounded: the build commits once a majority of the data-bearing members has it (`commitQuorum:
 * 'majority'`, not the default "every voting member", which a member that is down would hold up
 * for ever), and the command waits at most `maxTimeMS`. A build that takes longer (a large
 * collection, a lagging member) is reported and the start goes on: queries are correct without
 * the index, only slower, and the next start asks for it again.
 */
export async function ensureIndexes(db: Db, indexes: readonly IndexDefinition[] = MONGO_INDEXES, options: EnsureIndexesOptions = {}): Promise<void> {
  await ensureCollections(db, Object.values(COLLECTIONS));
  const byCollection = new Map<string, IndexDefinition[]>();
  for (const index of indexes) {
    if (index.builtIn) continue;
    byCollection.set(index.collection, [...(byCollection.get(index.collection) ?? []), index]);
  }
  for (const [collection, defs] of byCollection) {
    try {
      await db.collection(collection).createIndexes(defs.map(indexSpecification), { commitQuorum: 'majority', maxTimeMS: options.maxTimeMS ?? INDEX_BUILD_WAIT_MS });
    } catch (err) {
      const code = (err as { code?: number }).code;
      // 85 IndexOptionsConflict, 86 IndexKeySpecsConflict
      if (code === 85 || code === 86) {
        throw new IndexConflictError(
          `an index on ${collection} differs from the one the hub needs (${(err as Error).message}); drop it (db.${collection}.dropIndex(<name>)) and restart`,
        );
      }
      // 50 MaxTimeMSExpired; 262 ExceededTimeLimit
      if (code === 50 || code === 262) {
        options.onSlowBuild?.(collection, err as Error);
        continue;
      }
      throw err;
    }
  }
}

/**
 * Collections are created up front rather than by their first write: the event log's append is
 * a transaction, and its first `counters` write should not also have to create the collection.
 */
async function ensureCollections(db: Db, names: readonly string[]): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of names) {
    if (existing.has(name)) continue;
    try {
      await db.createCollection(name);
    } catch (err) {
      if ((err as { code?: number }).code !== 48) throw err; // NamespaceExists: another instance was first
    }
  }
}

/** The driver's `createIndexes` entry for a definition. */
export function indexSpecification(index: IndexDefinition): { key: Record<string, 1 | -1>; name: string; unique?: boolean; sparse?: boolean; expireAfterSeconds?: number } {
  return {
    key: { ...index.key },
    name: index.name,
    ...(index.unique ? { unique: true } : {}),
    ...(index.sparse ? { sparse: true } : {}),
    ...(index.expireAfterSeconds !== undefined ? { expireAfterSeconds: index.expireAfterSeconds } : {}),
  };
}
