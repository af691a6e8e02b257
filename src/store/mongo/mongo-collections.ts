/**
 * The MongoDB adapter's collections and the write concerns it uses on them.
 *
 * Writes that must not be lost (records, model reviews, members, idempotency keys, sequences, the event log,
 * approvals, the audit log, API keys, communities, people, leases) are acknowledged only once a majority of the replica set has them
 * (journaled), so a failover cannot roll back something the hub already answered for. The two
 * bookkeeping collections of the event bus are rebuilt by the bus itself and use `w: 1`, and so do
 * rate-limit buckets (a take rolled back only hands a token back).
 */
import type { WriteConcernSettings } from 'mongodb';

export const COLLECTIONS = {
  indicators: 'indicators',
  notices: 'notices',
  members: 'members',
  idempotency: 'idempotencyKeys',
  /** Sequences (`sequence:<name>`) and the event log's state (`eventLog`): one document each. */
  counters: 'counters',
  sightings: 'sightings',
  identityProviders: 'identityProviders',
  approvals: 'approvalRequests',
  audit: 'auditLog',
  /** The audit chain's signed checkpoints (see AuditCheckpointer). */
  auditCheckpoints: 'auditCheckpoints',
  apiKeys: 'apiKeys',
  /** Communities and their rosters (see MongoCommunities). */
  communities: 'communities',
  /** Clearinghouse cases (see MongoVulnerabilities). */
  vulnerabilities: 'vulnerabilities',
  /** Pre-deployment model reviews (see MongoModelReviews). */
  modelReviews: 'modelReviews',
  /** Persons: who acts for each member, their roles and linked identities (see MongoPeople). */
  people: 'people',
  events: 'events',
  /** Events of committed record writes not yet in `events` (see MongoEventLog.appendWith). */
  eventOutbox: 'eventOutbox',
  /** Each hub instance's last change-stream resume token (see MongoEventBus). */
  busCursors: 'busCursors',
  /** "Member X changed" notices between instances (see MongoEventBus). */
  memberChanges: 'memberChanges',
  /** Rate-limit token buckets, one per member or IP (see MongoRateLimits). */
  rateLimits: 'rateLimits',
  /** Named leases: which instance runs a once-per-hub job, e.g. the embargo watcher (see MongoLeases). */
  leases: 'leases',
  /** TAXII add-objects status resources, kept 7 days (see MongoTaxiiStatuses). */
  taxiiStatuses: 'taxiiStatuses',
  /** The STIX object versions each member wrote through TAXII (see MongoStixVersions). */
  stixVersions: 'stixVersions',
  /** Hub-admins' decay models, one per indicator type (see MongoDecayModels). */
  decayModels: 'decayModels',
  /** Members' own warning lists (see MongoWarningLists). */
  warningLists: 'warningLists',
  /** Background jobs' progress, by job name (see MongoJobStates). */
  jobStates: 'jobStates',
} as const;

export type CollectionName = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

/**
 * Majority, journaled: for every write the hub must not lose. A write that cannot reach a
 * majority within 10 s fails (it may still apply later: callers that retry rely on idempotency
 * keys and unique indexes, never on the failure meaning "not written").
 */
export const DURABLE: WriteConcernSettings = { w: 'majority', journal: true, wtimeoutMS: 10_000 };

/** One node's acknowledgement: for bookkeeping the bus can rebuild. */
export const BOOKKEEPING: WriteConcernSettings = { w: 1 };
