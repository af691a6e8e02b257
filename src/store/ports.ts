/**
 * The storage port: one small interface per aggregate. Adapters live in `memory/` (mingo,
 * in-process) and `mongo/` (the official driver). Queries cross this port as MongoDB filter and
 * sort documents built in `queries.ts`, so both adapters run the same query logic.
 */
import type { EventDoc, NewEvent } from '../domain/events.js';
import type { IndicatorDoc, Member, MemberStatus, MemberTier, NoticeDoc, SightingDoc } from '../domain/types.js';
import type { Filter } from '../domain/filter.js';
import type { IdentityProviderRegistration } from '../domain/types.js';
import type { ApprovalRequestDoc, AuditCheckpoint, AuditEntry } from '../domain/types.js';
import type { ApiKeyDoc } from '../domain/api-key.js';
import type { CommunityDoc } from '../domain/community.js';
import type { PersonDoc } from '../domain/person.js';
import type { NewVulnerabilityDoc, VulnerabilityDoc } from '../domain/vulnerability.js';
import type { ModelReviewDoc } from '../domain/model-review.js';
import type { DecayModelDoc } from '../domain/decay-model.js';
import type { MemberWarningListDoc } from '../domain/member-warning-list.js';
import type { JobStateDoc } from '../domain/job-state.js';
import type { StixVersionDoc, TaxiiStatusDoc } from '../domain/taxii-write.js';

/** An ordered sort, as MongoDB's sort document: `[['seq', -1]]`. The last key must be unique. */
export type SortSpec = ReadonlyArray<readonly [field: string, direction: 1 | -1]>;

export interface FindOptions {
  sort?: SortSpec;
  limit?: number;
  /**
   * Top-level fields the caller will not read: an adapter may leave them out of the documents
   * it returns (SQLite and MongoDB do; the memory store returns them). Why: an audit page that
   * does not show `details` need not read a publish's 5,000 ids 50 times. Default: none.
   */
  omit?: readonly string[];
  /**
   * The filter selects few records (the caller counted them, capped): an adapter may read the
   * matches through the filter's own indexes and sort them, rather than walk the sort's index
   * testing each record (SQLite keeps a page's conditions indexable; the others decide alone).
   * Why: a selective score filter (src/store/score-filter.ts) would otherwise walk the whole
   * order to fill, or to end, a page. Default false.
   */
  selective?: boolean;
}

export interface CountOptions {
  /**
   * Stop counting at this many matches: the answer is min(matches, limit), and the work is
   * bounded by it (`countUpTo`). Default: count every match.
   */
  limit?: number;
}

/** An upsert of one member's claim about one value, keyed by (source, type, value). */
export interface ClaimUpsert {
  key: { source: string; type: IndicatorDoc['type']; value: string };
  /** Fields written only when the claim is new (ids, createdAt, counters). */
  onInsert: Partial<IndicatorDoc>;
  /** Fields written on every publish (the claim's current content). */
  set: Partial<IndicatorDoc>;
}

export interface ClaimUpsertResult {
  id: string;
  created: boolean;
  /**
   * The claim as stored after this upsert, when the adapter has it without another read (SQLite
   * builds it to write it). A caller reads the claims whose `doc` is absent. A claim named twice
   * in one batch: each result holds the claim as that item left it.
   */
  doc?: IndicatorDoc;
}

/** A MongoDB update document: `$set`, `$inc`, `$max`... */
export type UpdateDoc = Record<string, Record<string, unknown>>;

export interface IndicatorRepository {
  /**
   * True where `FindOptions.selective` changes how a page is read (SQLite): a caller with a
   * possibly selective filter then counts its matches first (capped) to decide. Default false.
   */
  readonly selectiveReads?: boolean;
  find(filter: Filter, options?: FindOptions): Promise<IndicatorDoc[]>;
  count(filter: Filter, options?: CountOptions): Promise<number>;
  /** Applies the upserts in order; results line up with the input. */
  upsertClaims(upserts: readonly ClaimUpsert[]): Promise<ClaimUpsertResult[]>;
  /** Updates the one document matching `filter`; returns it after the update, or null. */
  updateOne(filter: Filter, update: UpdateDoc): Promise<IndicatorDoc | null>;
}

export interface NoticeRepository {
  find(filter: Filter, options?: FindOptions): Promise<NoticeDoc[]>;
  count(filter: Filter): Promise<number>;
  insert(doc: NoticeDoc): Promise<void>;
  updateOne(filter: Filter, update: UpdateDoc): Promise<NoticeDoc | null>;
}

/**
 * Clearinghouse cases (src/domain/vulnerability.ts). Every write recomputes the case's index
 * fields (`withIndexFields`): the stage reached, the notified vendors and the products that the
 * policy's visibility filter and the list filters read.
 */
export interface VulnerabilityRepository {
  find(filter: Filter, options?: FindOptions): Promise<VulnerabilityDoc[]>;
  count(filter: Filter): Promise<number>;
  /** Inserts a new case (its index fields computed here) and returns it as stored; throws on a duplicate id. */
  insert(doc: NewVulnerabilityDoc): Promise<VulnerabilityDoc>;
  /**
   * Compare-and-set: applies `update` (`$set`, `$push`...) to the one case matching `filter` as
   * one atomic write, its index fields recomputed, and returns the case after it; null, with
   * nothing written, when no case matches. Put what the step relies on in the filter (`seq`, or
   * `status`): of two concurrent workflow steps from the same state, one wins and the other
   * gets null. Every update must set a new `seq` (the write order): one that does not throws.
   */
  updateOne(filter: Filter, update: UpdateDoc): Promise<VulnerabilityDoc | null>;
}

/**
 * Pre-deployment model reviews (src/domain/model-review.ts). Small: a hub holds tens to thousands.
 * The filters come from `modelReviewVisibility` (policy.ts) and `modelReviewFilter` (queries.ts);
 * every adapter indexes what they read (SQLite: MODEL_REVIEWS in sqlite-schema.ts; MongoDB:
 * mongo-indexes.ts). Backed up as the collection `modelReviews`.
 */
export interface ModelReviewRepository {
  find(filter: Filter, options?: FindOptions): Promise<ModelReviewDoc[]>;
  count(filter: Filter): Promise<number>;
  /** Inserts a new review; throws on a duplicate id. */
  insert(doc: ModelReviewDoc): Promise<void>;
  /**
   * Compare-and-set, as `VulnerabilityRepository.updateOne`: applies `update` to the one review
   * matching `filter` and returns it after the update; null, with nothing written, when none
   * matches. Put what the change relies on in the filter (`seq`). Every update must set a new
   * `seq` (the write order): one that does not throws, and so does one that changes `_id`.
   */
  updateOne(filter: Filter, update: UpdateDoc): Promise<ModelReviewDoc | null>;
}

/** What a member's conditional update checks: the fields named must hold these values. */
export interface MemberGuard {
  tier?: MemberTier;
  /** Matched as `memberStatus` reads it: a document with only the old `suspended` flag counts as SUSPENDED (true) or ACTIVE. */
  status?: MemberStatus;
  /** `statusChange.requestId`: the approval request that the member's last status change recorded (a registration's own request). */
  statusRequestId?: string;
  /** `peer.paused` (a peer hub's): a puller's cursor save never undoes a pausePeer that landed after it read. */
  peerPaused?: boolean;
}

/** The fields a conditional update may set (never the id, never `createdAt`). */
export type MemberUpdate = Partial<Omit<Member, '_id' | 'createdAt' | 'suspended'>>;

export interface MemberRepository {
  findByIds(ids: readonly string[]): Promise<Member[]>;
  list(): Promise<Member[]>;
  /** Inserts, or replaces the member with the same id. */
  put(member: Member): Promise<void>;
  /** Inserts a new member; false, with nothing written, when the id is taken. */
  insert(member: Member): Promise<boolean>;
  /**
   * Compare-and-set: sets `set` on the member only while it still matches `expected`, as one
   * atomic write, and drops the old `suspended` flag when `status` is set. Returns the member
   * after the update, or null when it is missing or no longer as expected.
   */
  update(id: string, expected: MemberGuard, set: MemberUpdate): Promise<Member | null>;
}

/** The remembered answer to one idempotent request. */
export interface IdempotencyRecord {
  /** `${memberId}:${key}` */
  _id: string;
  requestHash: string;
  /** null while the first request is still running. */
  response: unknown;
  /**
   * Who reserved it: a random id per request. Only that request may complete or release the
   * reservation, so a request whose reservation was taken over (abandoned past the lease) cannot
   * overwrite the answer of the request that took it.
   */
  owner: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface IdempotencyRepository {
  /**
   * Atomically claims a key: returns null when this call claimed it, or the existing record
   * (finished or still running) when another request already had.
   */
  reserve(record: IdempotencyRecord): Promise<IdempotencyRecord | null>;
  /** Records the answer, if `owner` still holds the reservation (else nothing is written). */
  complete(id: string, owner: string, response: unknown): Promise<void>;
  /** Forgets a reservation whose request failed, so that a retry can run; only `owner`'s. */
  release(id: string, owner: string): Promise<void>;
}

/** Monotonic sequence numbers: the order of writes, used for ordering and cursors. */
export interface SequenceRepository {
  /** Reserves `count` consecutive numbers and returns the first. */
  next(name: string, count?: number): Promise<number>;
}

/** Sighting reports, appended one per `reportSighting`. */
export interface SightingRepository {
  insert(doc: SightingDoc): Promise<void>;
  /** The sightings of these indicators, newest first. */
  findByIndicators(indicatorIds: readonly string[]): Promise<SightingDoc[]>;
  /** Any read, e.g. TAXII's by `reportedAt` (MongoDB: index `{reportedAt: 1, _id: 1}`). */
  find(filter: Filter, options?: FindOptions): Promise<SightingDoc[]>;
}

/** Members' own identity providers, unique on issuer (in MongoDB: `_id` is the issuer). */
export interface IdentityProviderRepository {
  findByIssuer(issuer: string): Promise<IdentityProviderRegistration | null>;
  /** A member's registrations, by issuer. */
  listByMember(memberId: string): Promise<IdentityProviderRegistration[]>;
  /**
   * Inserts, or replaces the same member's registration of the same issuer. Returns false, and
   * writes nothing, when another member already holds the issuer.
   */
  put(registration: IdentityProviderRegistration): Promise<boolean>;
  /** Removes the member's registration of the issuer; false when there was none. */
  remove(memberId: string, issuer: string): Promise<boolean>;
}

/** Members' API keys, by key id (`_id`); a key's secret is stored only as its hash. */
export interface ApiKeyRepository {
  /** Throws on a duplicate id. */
  insert(doc: ApiKeyDoc): Promise<void>;
  /** The key with this id, or null: read on every request that presents a key. */
  get(id: string): Promise<ApiKeyDoc | null>;
  /** A member's keys, revoked ones too, newest first (createdAt, then id). */
  listByMember(memberId: string): Promise<ApiKeyDoc[]>;
  /**
   * Revokes the key if it is live (compare-and-set on `revokedAt: null`): the key after the
   * update, or null when there is no such key or it was already revoked.
   */
  revoke(id: string, at: Date, by: ApiKeyDoc['revokedBy']): Promise<ApiKeyDoc | null>;
  /** Moves `lastUsedAt` forward to `at`, never back (instances may write out of order). */
  touch(id: string, at: Date): Promise<void>;
}

/**
 * Communities and their rosters (src/domain/community.ts). Roster changes are single atomic
 * updates, so two administrators changing one roster at once lose neither change.
 */
export interface CommunityRepository {
  /** Throws on a duplicate id. */
  insert(doc: CommunityDoc): Promise<void>;
  /** The communities with these ids, leaving out unknown ids (in no particular order). */
  findByIds(ids: readonly string[]): Promise<CommunityDoc[]>;
  /**
   * The communities whose roster holds any of these members, by id: read on every request to
   * expand the viewer's TLP:RED recipients (MongoDB: multikey index on `members`).
   */
  withMembers(memberIds: readonly string[]): Promise<CommunityDoc[]>;
  /** The communities a member owns, by id. */
  ownedBy(memberId: string): Promise<CommunityDoc[]>;
  /** Every community, by id, at most `limit`. */
  list(limit: number): Promise<CommunityDoc[]>;
  count(): Promise<number>;
  /**
   * Adds the member to the roster unless it is there, or the roster already holds `maxMembers`
   * (atomic: concurrent additions never pass the cap); the community after (unchanged when
   * either holds), or null when there is none.
   */
  addMember(id: string, memberId: string, at: Date, maxMembers: number): Promise<CommunityDoc | null>;
  /** Takes the member off the roster if it is there; the community after, or null when there is none. */
  removeMember(id: string, memberId: string, at: Date): Promise<CommunityDoc | null>;
}

/**
 * People, by person id (`_id`), unique hub-wide on the id and on each identity `(issuer,
 * subject)`. Writes that would break either uniqueness throw PersonConflictError
 * (src/domain/person.ts) and write nothing.
 */
export interface PersonRepository {
  /** The person with this id, or null: read on every request (tokens, identities, API keys). */
  get(id: string): Promise<PersonDoc | null>;
  getMany(ids: readonly string[]): Promise<PersonDoc[]>;
  /** People by id (binary order), of one member or (null) of every member, at most `limit`. */
  list(memberId: string | null, limit: number): Promise<PersonDoc[]>;
  /** The person holding this identity from a member's identity provider, or null: read on every federated token. */
  findByIdentity(issuer: string, subject: string): Promise<PersonDoc | null>;
  /** Throws PersonConflictError on a duplicate id or an identity another person holds. */
  insert(doc: PersonDoc): Promise<void>;
  /**
   * Compare-and-set: replaces the person with `doc` (its `version` then `expectedVersion + 1`)
   * only if the stored version still is `expectedVersion`; the person after the write, or null,
   * with nothing written, when it is missing or was written meanwhile. Throws PersonConflictError
   * when `doc` holds an identity another person holds.
   */
  update(doc: PersonDoc, expectedVersion: number): Promise<PersonDoc | null>;
}

/** Approval requests. Decisions are compare-and-set updates (`{_id, status: 'PENDING'}`). */
export interface ApprovalRepository {
  find(filter: Filter, options?: FindOptions): Promise<ApprovalRequestDoc[]>;
  count(filter: Filter): Promise<number>;
  insert(doc: ApprovalRequestDoc): Promise<void>;
  /** Updates the one document matching `filter`; returns it after the update, or null. */
  updateOne(filter: Filter, update: UpdateDoc): Promise<ApprovalRequestDoc | null>;
}

/**
 * The audit log: append-only. There is deliberately no update or delete here, and an adapter
 * must not add one. The one exception is a count: an aggregate entry (refused logins, one per
 * claimed member, reason and minute) counts its occurrences, and `incrementCount` is the only
 * change any entry ever sees.
 *
 * The entries form one hash chain in `seq` order (src/services/audit-chain.ts): `seq` is unique,
 * and `append` is the chain's compare-and-set. A writer reads the head (the entry with the
 * highest `seq`), links its entry to it and appends at `head.seq + 1`; when another writer (any
 * instance) took that position first, `append` answers false and the writer reads the new head.
 */
export interface AuditRepository {
  /**
   * Inserts `entry` unless an entry already holds `entry.seq`: true when written, false (nothing
   * written) when the position is taken. Atomic (a unique index on `seq`). Throws on a duplicate `_id`.
   */
  append(entry: AuditEntry): Promise<boolean>;
  /**
   * Adds one to `details.count` of the entry `id` and moves `details.lastAt` (an ISO string)
   * forward to `at`, never back; nothing else changes. Atomic. False, with nothing written, when
   * there is no such entry or it is not an aggregate (a LOGIN_FAILED entry with a numeric count).
   */
  incrementCount(id: string, at: Date): Promise<boolean>;
  find(filter: Filter, options?: FindOptions): Promise<AuditEntry[]>;
  count(filter: Filter): Promise<number>;
  /** Stores a signed checkpoint of the chain's head. Also append-only; a duplicate `_id` is ignored (the same signature). */
  addCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  /** Checkpoints, newest first (by `_id` descending: ids sort by position, then time), at most `limit` (default all). */
  checkpoints(limit?: number): Promise<AuditCheckpoint[]>;
}

/** The durable, ordered event log behind live alerts (see src/domain/events.ts). */
export interface EventLogRepository {
  /** Appends in order, giving each event the next position; returns them with positions. */
  append(events: readonly NewEvent[]): Promise<EventDoc[]>;
  /** Events with position > `after`, oldest first, at most `limit`. */
  readAfter(after: number, limit: number): Promise<EventDoc[]>;
  /** The highest position ever given (0 when none), and the position below which events were trimmed. */
  bounds(): Promise<{ latest: number; trimmedThrough: number }>;
  /** Drops events that occurred before `cutoff`; returns how many. */
  trimBefore(cutoff: Date): Promise<number>;
  /**
   * Runs `work` (record writes, answering the events they cause) and appends its events, such
   * that a crash between the two cannot keep the writes and lose the events. `work` must only
   * call the store. Optional: an adapter without it gets `work()` then `append()` (the in-process
   * store, which a crash empties anyway). SQLite runs both in one transaction
   * (SqliteTransactionGate); MongoDB commits the writes and the pending events together, then
   * moves the events into the log.
   */
  appendWith?<T>(work: () => Promise<{ value: T; events: NewEvent[] }>): Promise<{ value: T; events: EventDoc[] }>;
}

/** How one rate-limit bucket fills: it holds at most `capacity` tokens and gains `refillPerMs` a millisecond. */
export interface RateBucket {
  /** Tokens a caller may spend at once after being idle. At least 1. */
  capacity: number;
  /** Tokens regained per millisecond; greater than 0. */
  refillPerMs: number;
}

/** The outcome of one `take`: allowed, or refused with how long to wait (whole seconds, at least 1). */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Rate-limit token buckets, one per key (`member:<id>`, `ip:<address>`), shared by every
 * instance on the same store. A bucket never seen, or forgotten, is full.
 */
export interface RateLimitRepository {
  /**
   * One atomic step: refills `key`'s bucket for the time since its last take (never back when
   * `now` is behind it), then spends one token if there is one. Concurrent takes on one key,
   * from any instance, never spend the same token twice.
   */
  take(key: string, now: Date, bucket: RateBucket): Promise<RateDecision>;
}

/** Named leases: which instance runs a job that must run once per hub, not once per instance. */
export interface LeaseRepository {
  /**
   * Takes or renews the lease `name` for `holder` until `now + ttlMs`: true when `holder` now
   * holds it, false when another holder's lease has not expired (nothing is written then). Atomic.
   */
  acquire(name: string, holder: string, ttlMs: number, now?: Date): Promise<boolean>;
}

/**
 * TAXII add-objects status resources (src/domain/taxii-write.ts), kept a bounded time: a read
 * after `expiresAt` finds nothing, and expired ones are removed (MongoDB: a TTL index; SQLite
 * and memory: `removeExpired`, which the writer calls as it adds one).
 */
export interface TaxiiStatusRepository {
  /** Throws on a duplicate id. */
  insert(doc: TaxiiStatusDoc): Promise<void>;
  /** The status with this id, or null (also once it expired: `now` past its `expiresAt`). */
  get(id: string, now: Date): Promise<TaxiiStatusDoc | null>;
  /** Removes statuses whose `expiresAt` is before `now`; returns how many. */
  removeExpired(now: Date): Promise<number>;
}

/** Hub-admins' decay models (src/domain/decay-model.ts), one per indicator type, by type. */
export interface DecayModelRepository {
  /** Every stored model (at most one per indicator type). */
  all(): Promise<DecayModelDoc[]>;
  /** Stores the type's model, replacing any earlier one. */
  put(doc: DecayModelDoc): Promise<void>;
}

/**
 * Members' own warning lists (src/domain/member-warning-list.ts), by id; one per (source, name).
 * Every write takes a new `seq`, so the highest one says whether anything changed since a read.
 */
export interface WarningListRepository {
  /** Every list, revoked ones included, in `seq` order. */
  all(): Promise<MemberWarningListDoc[]>;
  /** The highest `seq` stored (0 when none): what another instance's change is noticed by. */
  lastSeq(): Promise<number>;
  get(id: string): Promise<MemberWarningListDoc | null>;
  /** The member's list of that name, revoked or not. */
  byName(source: string, name: string): Promise<MemberWarningListDoc | null>;
  /** How many unrevoked lists the member has. */
  countActive(source: string): Promise<number>;
  /** Stores a new list; false (nothing written) when the member already has one of that name. */
  insert(doc: MemberWarningListDoc): Promise<boolean>;
  /** Replaces the list when its stored `seq` is still `expectedSeq`; false (nothing written) otherwise. */
  replace(doc: MemberWarningListDoc, expectedSeq: number): Promise<boolean>;
}

/** Resumable background jobs' progress (src/domain/job-state.ts), by job name. A handful of documents. */
export interface JobStateRepository {
  /** The job's stored state, or null when it never ran. */
  get(id: string): Promise<JobStateDoc | null>;
  /**
   * Compare-and-set: stores `doc` when the stored revision is `expected` (null: nothing stored
   * yet) and answers true; answers false, writing nothing, when another write came first.
   */
  put(doc: JobStateDoc, expected: string | null): Promise<boolean>;
}

/** The STIX object versions members wrote through TAXII (src/domain/taxii-write.ts), by `stixVersionKey`. */
export interface StixVersionRepository {
  /** The member's entries for these STIX ids (unknown ids are absent). */
  find(memberId: string, stixIds: readonly string[]): Promise<StixVersionDoc[]>;
  /** Inserts or replaces the entries with these `_id`s, in one write (an add-objects request's worth). */
  put(docs: readonly StixVersionDoc[]): Promise<void>;
}

export interface Store {
  indicators: IndicatorRepository;
  events: EventLogRepository;
  sightings: SightingRepository;
  notices: NoticeRepository;
  vulnerabilities: VulnerabilityRepository;
  modelReviews: ModelReviewRepository;
  members: MemberRepository;
  idempotency: IdempotencyRepository;
  sequences: SequenceRepository;
  identityProviders: IdentityProviderRepository;
  approvals: ApprovalRepository;
  audit: AuditRepository;
  apiKeys: ApiKeyRepository;
  communities: CommunityRepository;
  people: PersonRepository;
  rateLimits: RateLimitRepository;
  leases: LeaseRepository;
  taxiiStatuses: TaxiiStatusRepository;
  stixVersions: StixVersionRepository;
  decayModels: DecayModelRepository;
  warningLists: WarningListRepository;
  jobStates: JobStateRepository;
  /** Every collection, raw, for export and import (src/store/backup-format.ts, docs/backup.md). */
  backup: StoreCollections;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/**
 * The collections a store holds, by their portable names: what `hub export` writes and `hub
 * import` reads, the same documents on every adapter. Each repository of `Store` is one of these
 * (or one of `TRANSIENT_REPOSITORIES`): the type check below fails to compile otherwise, so a new
 * repository cannot be left out of backups. Some repositories hold more than one collection:
 * `eventLog` is the event log's bounds, `auditCheckpoints` the audit chain's signed checkpoints.
 */
export const STORE_COLLECTIONS = [
  'members',
  'indicators',
  'notices',
  'sightings',
  'approvals',
  'identityProviders',
  'apiKeys',
  'idempotency',
  'sequences',
  'events',
  'eventLog',
  'audit',
  'auditCheckpoints',
  'communities',
  'people',
  'vulnerabilities',
  'modelReviews',
  'taxiiStatuses',
  'stixVersions',
  'decayModels',
  'warningLists',
  'jobStates',
] as const;
export type StoreCollectionName = (typeof STORE_COLLECTIONS)[number];

/** Repositories whose state a backup leaves out on purpose, and why (docs/backup.md). */
export const TRANSIENT_REPOSITORIES = {
  rateLimits: 'token buckets: a missing bucket is full, and every bucket is full again within a minute',
  leases: 'leases name the running instances of the store they were taken in, and expire within a minute',
} as const;

type RepositoryName = Exclude<keyof Store, 'backup' | 'close'>;
/** Compiles only while every repository is a collection or transient: see STORE_COLLECTIONS. */
export type EveryRepositoryBackedUp = Exclude<RepositoryName, StoreCollectionName | keyof typeof TRANSIENT_REPOSITORIES> extends never
  ? true
  : { missing: Exclude<RepositoryName, StoreCollectionName | keyof typeof TRANSIENT_REPOSITORIES> };
export const EVERY_REPOSITORY_BACKED_UP: EveryRepositoryBackedUp = true;

/**
 * A stored document as export and import see it: plain data (strings, numbers, booleans, null,
 * Dates, arrays, objects), `_id` a string or a number. The portable shapes (docs/backup.md):
 * each repository's documents as its port types them, plus
 * - `sequences`: `{_id: <name>, value: <last number given>}`;
 * - `events`: `EventDoc` (position as `_id`), without adapter fields such as a TTL date;
 * - `eventLog`: one `{_id: 'eventLog', latest, trimmedThrough}` (absent while the log never had an event);
 * - `idempotency`: `IdempotencyRecord`.
 */
export type StoredDocument = { _id: string | number } & Record<string, unknown>;

/** One collection, raw. */
export interface CollectionAccess {
  /** Every document, in ascending `_id` order (numbers numerically, strings by code unit), streamed. */
  scan(): AsyncIterable<StoredDocument>;
  /** Writes documents as `scan` gives them, into a collection that holds none of their ids (import). */
  load(docs: readonly StoredDocument[]): Promise<void>;
}

export type StoreCollections = { readonly [K in StoreCollectionName]: CollectionAccess };
