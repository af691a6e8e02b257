/**
 * The MongoDB store: the same port as the embedded store, over the official driver. The query
 * documents come from `queries.ts` and `policy.ts` unchanged; the documents this adapter adds
 * (upserts, claims, counters) are built in `mongo-documents.ts`.
 *
 * Consistency, in short (docs/mongodb.md has the long form):
 * - durable writes use majority write concern (`DURABLE`);
 * - a publish retried after a lost connection is safe through idempotency keys and the unique
 *   claim index: a whole retried batch upserts the same claims again instead of adding any;
 * - a publish's upserts and their events commit in one transaction (MongoEventLog.appendWith,
 *   the records joining it through mongo-session-scope.ts), and the event log's append is a
 *   transaction (counter + events), so positions follow commit order (mongo-event-log.ts).
 */
import type { Collection, Db, Document, Filter as MongoFilter, MongoClient, UpdateFilter } from 'mongodb';
import type { EventDoc } from '../../domain/events.js';
import { memberGuardFilter } from '../queries.js';
import type { AuditCheckpoint, AuditEntry, IdentityProviderRegistration, IndicatorDoc, Member, NoticeDoc, SightingDoc, ApprovalRequestDoc } from '../../domain/types.js';
import type { ApiKeyDoc } from '../../domain/api-key.js';
import type { Filter } from '../../domain/filter.js';
import type {
  MemberGuard,
  MemberUpdate,
  ApprovalRepository,
  AuditRepository,
  ClaimUpsert,
  ClaimUpsertResult,
  CountOptions,
  FindOptions,
  IdempotencyRecord,
  IdempotencyRepository,
  IdentityProviderRepository,
  IndicatorRepository,
  MemberRepository,
  NoticeRepository,
  SequenceRepository,
  SightingRepository,
  Store,
  StoreCollectionName,
  StoreCollections,
  StoredDocument,
  UpdateDoc,
} from '../ports.js';
import { BOOKKEEPING, COLLECTIONS, DURABLE, type CollectionName } from './mongo-collections.js';
import { mongoAccess } from './mongo-access.js';
import {
  claimIdsQuery,
  claimKeyString,
  claimResults,
  claimUpsertOps,
  EVENT_LOG_STATE_ID,
  eventDocs,
  firstOfRange,
  fromStoredEvent,
  idempotencyClaimFilter,
  idempotencyOwnerFilter,
  idempotencyReservation,
  identityProviderPutFilter,
  isDuplicateKey,
  RESERVATION_LEASE_MS,
  sequenceId,
  sequenceIncrement,
  type EventLogState,
  type SequenceCounter,
  type StoredEvent,
} from './mongo-documents.js';
import { MongoApiKeys } from './mongo-api-keys.js';
import { MongoCommunities } from './mongo-communities.js';
import type { CommunityDoc } from '../../domain/community.js';
import { serverNow } from './mongo-clock.js';
import type { PersonDoc } from '../../domain/person.js';
import { fromStored as personFromStored, MongoPeople, toStored as personToStored } from './mongo-people.js';
import { inSession } from './mongo-session-scope.js';
import { MongoEventLog, type OutboxDoc } from './mongo-event-log.js';
import { MongoLeases, type LeaseDoc } from './mongo-leases.js';
import { MongoStixVersions, MongoTaxiiStatuses } from './mongo-taxii-writes.js';
import type { StixVersionDoc, TaxiiStatusDoc } from '../../domain/taxii-write.js';
import { MongoRateLimits, type RateLimitDoc } from './mongo-rate-limits.js';
import { MongoRecords } from './mongo-records.js';
import { MongoVulnerabilities } from './mongo-vulnerabilities.js';
import { MongoModelReviews } from './mongo-model-reviews.js';
import { MongoDecayModels } from './mongo-decay-models.js';
import { MongoWarningLists } from './mongo-warning-lists.js';
import type { MemberWarningListDoc } from '../../domain/member-warning-list.js';
import { MongoJobStates } from './mongo-job-states.js';
import type { JobStateDoc } from '../../domain/job-state.js';
import type { DecayModelDoc } from '../../domain/decay-model.js';
import type { ModelReviewDoc } from '../../domain/model-review.js';
import type { VulnerabilityDoc } from '../../domain/vulnerability.js';

export interface MongoStoreOptions {
  /** How long events are kept (HUB_EVENT_RETENTION): each event's TTL. Default 7 days. */
  eventRetentionMs?: number;
  /** How long an unfinished idempotency reservation blocks retries. Default RESERVATION_LEASE_MS. */
  reservationLeaseMs?: number;
  /** How long one event-log append may take, retries included (APPEND_BUDGET_MS, 30 s). */
  appendBudgetMs?: number;
  /** Run by `close()`; default closes the client. */
  onClose?: () => Promise<void>;
}

class MongoIndicators implements IndicatorRepository {
  private readonly records: MongoRecords<IndicatorDoc>;

  constructor(private readonly collection: Collection<IndicatorDoc>) {
    this.records = new MongoRecords(collection, 'indicator');
  }

  find(filter: Filter, options?: FindOptions) {
    return this.records.find(filter, options);
  }

  count(filter: Filter, options?: CountOptions) {
    return this.records.count(filter, options?.limit);
  }

  /** One ordered bulk of upserts (claimUpsertOps), then one read for the ids of claims that existed. */
  async upsertClaims(upserts: readonly ClaimUpsert[]): Promise<ClaimUpsertResult[]> {
    if (upserts.length === 0) return [];
    const result = await this.collection.bulkWrite(claimUpsertOps(upserts), { ordered: true, ...inSession() });
    const matched = upserts.filter((_, i) => result.upsertedIds[i] === undefined).map((u) => u.key);
    const existing = matched.length
      ? await this.collection
          .find(claimIdsQuery(matched) as MongoFilter<IndicatorDoc>, { projection: { _id: 1, source: 1, type: 1, value: 1 }, ...inSession() })
          .toArray()
      : [];
    return claimResults(upserts, result.upsertedIds, new Map(existing.map((d) => [claimKeyString(d), d._id])));
  }

  updateOne(filter: Filter, update: UpdateDoc) {
    return this.records.updateOne(filter, update);
  }
}

class MongoNotices implements NoticeRepository {
  private readonly records: MongoRecords<NoticeDoc>;

  constructor(collection: Collection<NoticeDoc>) {
    this.records = new MongoRecords(collection, 'notice');
  }

  find(filter: Filter, options?: FindOptions) {
    return this.records.find(filter, options);
  }

  count(filter: Filter) {
    return this.records.count(filter);
  }

  insert(doc: NoticeDoc) {
    return this.records.insert(doc);
  }

  updateOne(filter: Filter, update: UpdateDoc) {
    return this.records.updateOne(filter, update);
  }
}

class MongoApprovals implements ApprovalRepository {
  private readonly records: MongoRecords<ApprovalRequestDoc>;

  constructor(collection: Collection<ApprovalRequestDoc>) {
    this.records = new MongoRecords(collection, 'approval request');
  }

  find(filter: Filter, options?: FindOptions) {
    return this.records.find(filter, options);
  }

  count(filter: Filter) {
    return this.records.count(filter);
  }

  insert(doc: ApprovalRequestDoc) {
    return this.records.insert(doc);
  }

  /** The decision's compare-and-set (`{_id, status: 'PENDING'}`): one atomic findOneAndUpdate. */
  updateOne(filter: Filter, update: UpdateDoc) {
    return this.records.updateOne(filter, update);
  }
}

class MongoMembers implements MemberRepository {
  constructor(private readonly collection: Collection<Member>) {}

  /** In the order asked, as the embedded store answers. */
  async findByIds(ids: readonly string[]): Promise<Member[]> {
    if (ids.length === 0) return [];
    const docs = await this.collection.find({ _id: { $in: [...new Set(ids)] } }).toArray();
    const byId = new Map(docs.map((d) => [d._id, d as Member]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async list(): Promise<Member[]> {
    return (await this.collection.find({}, { sort: [['_id', 1]] }).toArray()) as Member[];
  }

  async put(member: Member): Promise<void> {
    await this.collection.replaceOne({ _id: member._id }, member, { upsert: true });
  }

  async insert(member: Member): Promise<boolean> {
    try {
      await this.collection.insertOne(member);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** One findOneAndUpdate on the guard: of two concurrent changes from the same state, one wins. */
  async update(id: string, expected: MemberGuard, set: MemberUpdate): Promise<Member | null> {
    const update: UpdateFilter<Member> = { $set: set };
    if (set.status) update.$unset = { suspended: '' };
    return (await this.collection.findOneAndUpdate(memberGuardFilter(id, expected) as MongoFilter<Member>, update, { returnDocument: 'after' })) as Member | null;
  }
}

class MongoIdempotency implements IdempotencyRepository {
  constructor(private readonly collection: Collection<IdempotencyRecord>, private readonly leaseMs: number) {}

  /**
   * Claims the key with one upsert whose filter matches only a record that may be taken
   * (expired, or abandoned past the lease, on the server's clock): no record, or a takeable one,
   * and this call wrote it; a live one, and the insert fails on `_id`, so the live record is the
   * answer.
   */
  async reserve(record: IdempotencyRecord): Promise<IdempotencyRecord | null> {
    const { _id, ...fields } = record;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = serverNow(new Date());
      try {
        await this.collection.findOneAndUpdate(
          idempotencyClaimFilter(_id, now, this.leaseMs) as MongoFilter<IdempotencyRecord>,
          idempotencyReservation(fields, now),
          { upsert: true, projection: { _id: 1 } },
        );
        return null;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const existing = await this.collection.findOne({ _id });
      if (existing) return existing;
      // Released between the two calls: claim again.
    }
    throw new Error(`idempotency key ${_id} kept changing while being reserved`);
  }

  async complete(id: string, owner: string, response: unknown): Promise<void> {
    await this.collection.updateOne(idempotencyOwnerFilter(id, owner) as MongoFilter<IdempotencyRecord>, { $set: { response } });
  }

  async release(id: string, owner: string): Promise<void> {
    await this.collection.deleteOne(idempotencyOwnerFilter(id, owner) as MongoFilter<IdempotencyRecord>);
  }
}

/**
 * Sequences in `counters`: `findOneAndUpdate({_id}, {$inc}, {upsert, returnDocument: 'after'})`.
 * Safe across instances: the increment is one atomic single-document update on the primary, so
 * concurrent callers get disjoint ranges; two first-ever upserts of a name race on `_id`, and
 * MongoDB retries the loser as an update. A retryable write's retry is applied once, never twice.
 */
class MongoSequences implements SequenceRepository {
  constructor(private readonly collection: Collection<SequenceCounter>) {}

  async next(name: string, count = 1): Promise<number> {
    const doc = await this.collection.findOneAndUpdate({ _id: sequenceId(name) }, sequenceIncrement(count), { upsert: true, returnDocument: 'after' });
    if (!doc) throw new Error(`sequence ${name} did not answer`);
    return firstOfRange(doc.value, count);
  }
}

class MongoSightings implements SightingRepository {
  private readonly records: MongoRecords<SightingDoc>;

  constructor(private readonly collection: Collection<SightingDoc>) {
    this.records = new MongoRecords(collection, 'sighting');
  }

  /** Any read (TAXII's, by reportedAt, dateAddedOffset then _id: index `sightings_date_added`). */
  find(filter: Filter, options?: FindOptions): Promise<SightingDoc[]> {
    return this.records.find(filter, options);
  }

  insert(doc: SightingDoc): Promise<void> {
    return this.records.insert(doc);
  }

  async findByIndicators(indicatorIds: readonly string[]): Promise<SightingDoc[]> {
    if (indicatorIds.length === 0) return [];
    const docs = await this.collection.find({ indicatorId: { $in: [...indicatorIds] } }, { sort: [['reportedAt', -1], ['_id', -1]] }).toArray();
    return docs as SightingDoc[];
  }
}

class MongoIdentityProviders implements IdentityProviderRepository {
  constructor(private readonly collection: Collection<IdentityProviderRegistration>) {}

  async findByIssuer(issuer: string): Promise<IdentityProviderRegistration | null> {
    return (await this.collection.findOne({ _id: issuer })) as IdentityProviderRegistration | null;
  }

  async listByMember(memberId: string): Promise<IdentityProviderRegistration[]> {
    return (await this.collection.find({ memberId }, { sort: [['_id', 1]] }).toArray()) as IdentityProviderRegistration[];
  }

  /** Unique issuer: `_id` is the issuer, and the upsert only matches the same member's registration. */
  async put(registration: IdentityProviderRegistration): Promise<boolean> {
    const { _id: _ignored, ...fields } = registration;
    try {
      await this.collection.replaceOne(identityProviderPutFilter(registration) as MongoFilter<IdentityProviderRegistration>, fields, { upsert: true });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async remove(memberId: string, issuer: string): Promise<boolean> {
    const { deletedCount } = await this.collection.deleteOne({ _id: issuer, memberId });
    return deletedCount === 1;
  }
}

/**
 * The audit log: insert, find and count, and the count of an aggregate entry. In production give
 * the hub's database user a role with only `insert`, `find` and `update` on this collection
 * (docs/mongodb.md); the hub's only update is `incrementCount`.
 */
class MongoAudit implements AuditRepository {
  readonly #records: MongoRecords<AuditEntry>;
  readonly #collection: Collection<AuditEntry>;
  readonly #checkpoints: Collection<AuditCheckpoint>;

  constructor(collection: Collection<AuditEntry>, checkpoints: Collection<AuditCheckpoint>) {
    this.#records = new MongoRecords(collection, 'audit entry');
    this.#collection = collection;
    this.#checkpoints = checkpoints;
  }

  async addCheckpoint(checkpoint: AuditCheckpoint) {
    try {
      await this.#checkpoints.insertOne(checkpoint);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // the same position and millisecond: the same signature
    }
  }

  async checkpoints(limit?: number) {
    if (limit === 0) return [];
    return (await this.#checkpoints.find({}, { sort: [['_id', -1]], ...(limit !== undefined && Number.isFinite(limit) ? { limit } : {}) }).toArray()) as AuditCheckpoint[];
  }

  async incrementCount(id: string, at: Date) {
    const { matchedCount } = await this.#collection.updateOne(
      { _id: id, action: 'LOGIN_FAILED', 'details.count': { $type: 'number' } },
      { $inc: { 'details.count': 1 }, $max: { 'details.lastAt': at.toISOString() } },
    );
    return matchedCount === 1;
  }

  /**
   * One insert: the unique `audit_chain_position` index is the chain's compare-and-set. A
   * duplicate key is a lost race for the position unless the id itself is already held.
   */
  async append(entry: AuditEntry) {
    try {
      await this.#collection.insertOne(entry);
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      if (await this.#collection.findOne({ _id: entry._id }, { projection: { _id: 1 } })) throw new Error(`duplicate audit entry id ${entry._id}`);
      return false;
    }
  }

  find(filter: Filter, options?: FindOptions) {
    return this.#records.find(filter, options);
  }

  count(filter: Filter) {
    return this.#records.count(filter);
  }
}

/** The MongoDB store: its event log is a MongoEventLog (appendPending, for the start-up sweep). */
export type MongoStore = Store & { events: MongoEventLog };

/** The store over `db`. Call `ensureIndexes(db)` first (once per start). */
export function createMongoStore(client: MongoClient, db: Db, options: MongoStoreOptions = {}): MongoStore {
  const durable = <T extends object>(name: string) => db.collection<T>(name, { writeConcern: DURABLE });
  const counters = durable<SequenceCounter>(COLLECTIONS.counters);
  const retentionMs = options.eventRetentionMs ?? 7 * 86_400_000;
  let closed: Promise<void> | undefined;
  return {
    indicators: new MongoIndicators(durable<IndicatorDoc>(COLLECTIONS.indicators)),
    events: new MongoEventLog(
      client,
      db.collection<StoredEvent>(COLLECTIONS.events, { writeConcern: DURABLE, readConcern: { level: 'majority' } }),
      durable<EventLogState>(COLLECTIONS.counters),
      retentionMs,
      durable<OutboxDoc>(COLLECTIONS.eventOutbox),
      options.appendBudgetMs,
    ),
    sightings: new MongoSightings(durable<SightingDoc>(COLLECTIONS.sightings)),
    notices: new MongoNotices(durable<NoticeDoc>(COLLECTIONS.notices)),
    vulnerabilities: new MongoVulnerabilities(durable<VulnerabilityDoc>(COLLECTIONS.vulnerabilities)),
    modelReviews: new MongoModelReviews(durable<ModelReviewDoc>(COLLECTIONS.modelReviews)),
    members: new MongoMembers(durable<Member>(COLLECTIONS.members)),
    idempotency: new MongoIdempotency(durable<IdempotencyRecord>(COLLECTIONS.idempotency), options.reservationLeaseMs ?? RESERVATION_LEASE_MS),
    sequences: new MongoSequences(counters),
    identityProviders: new MongoIdentityProviders(durable<IdentityProviderRegistration>(COLLECTIONS.identityProviders)),
    approvals: new MongoApprovals(durable<ApprovalRequestDoc>(COLLECTIONS.approvals)),
    audit: new MongoAudit(durable<AuditEntry>(COLLECTIONS.audit), durable<AuditCheckpoint>(COLLECTIONS.auditCheckpoints)),
    apiKeys: new MongoApiKeys(durable<ApiKeyDoc>(COLLECTIONS.apiKeys)),
    communities: new MongoCommunities(durable<CommunityDoc>(COLLECTIONS.communities)),
    people: new MongoPeople(durable(COLLECTIONS.people)),
    rateLimits: new MongoRateLimits(db.collection<RateLimitDoc>(COLLECTIONS.rateLimits, { writeConcern: BOOKKEEPING })),
    leases: new MongoLeases(durable<LeaseDoc>(COLLECTIONS.leases)),
    taxiiStatuses: new MongoTaxiiStatuses(durable<TaxiiStatusDoc>(COLLECTIONS.taxiiStatuses)),
    stixVersions: new MongoStixVersions(durable<StixVersionDoc>(COLLECTIONS.stixVersions)),
    decayModels: new MongoDecayModels(durable<DecayModelDoc>(COLLECTIONS.decayModels)),
    warningLists: new MongoWarningLists(durable<MemberWarningListDoc>(COLLECTIONS.warningLists)),
    jobStates: new MongoJobStates(durable<JobStateDoc>(COLLECTIONS.jobStates)),
    backup: mongoCollections(db, retentionMs),
    close: () => (closed ??= options.onClose ? options.onClose() : client.close()),
  };
}

/**
 * The portable collections over MongoDB's (ports.ts, STORE_COLLECTIONS). Left out: the bus's
 * bookkeeping (`busCursors`: resume tokens of this database's change streams; `memberChanges`:
 * notices kept a day) and the transient repositories (rate limits, leases), see NOT_BACKED_UP.
 */
function mongoCollections(db: Db, retentionMs: number): StoreCollections {
  const raw = (name: StoreCollectionName) => db.collection<Document>(BACKED_UP[name], { writeConcern: DURABLE });
  const sequencePrefix = sequenceId('');
  return {
    members: mongoAccess(raw('members'), 'member'),
    indicators: mongoAccess(raw('indicators'), 'indicator'),
    notices: mongoAccess(raw('notices'), 'notice'),
    sightings: mongoAccess(raw('sightings'), 'sighting'),
    approvals: mongoAccess(raw('approvals'), 'approval request'),
    identityProviders: mongoAccess(raw('identityProviders'), 'identity provider'),
    apiKeys: mongoAccess(raw('apiKeys'), 'API key'),
    idempotency: mongoAccess(raw('idempotency'), 'idempotency record'),
    sequences: mongoAccess(raw('sequences'), 'sequence', {
      filter: { _id: { $gte: sequencePrefix, $lt: `${sequencePrefix}\uffff` } },
      toPortable: (doc) => ({ _id: String(doc._id).slice(sequencePrefix.length), value: doc.value as number }),
      fromPortable: (doc) => ({ _id: sequenceId(String(doc._id)), value: doc.value }),
    }),
    events: mongoAccess(raw('events'), 'event', {
      toPortable: (doc) => fromStoredEvent(doc as StoredEvent) as unknown as StoredDocument,
      fromPortable: (doc) => eventDocs([doc as unknown as EventDoc], doc._id as number, retentionMs)[0]!,
    }),
    eventLog: mongoAccess(raw('eventLog'), 'event log state', {
      filter: { _id: EVENT_LOG_STATE_ID },
      toPortable: (doc) => ({ _id: EVENT_LOG_STATE_ID, latest: doc.latest as number, trimmedThrough: (doc.trimmedThrough as number | undefined) ?? 0 }),
    }),
    audit: mongoAccess(raw('audit'), 'audit entry'),
    auditCheckpoints: mongoAccess(raw('auditCheckpoints'), 'audit checkpoint'),
    communities: mongoAccess(raw('communities'), 'community'),
    vulnerabilities: mongoAccess(raw('vulnerabilities'), 'vulnerability'),
    modelReviews: mongoAccess(raw('modelReviews'), 'model review'),
    taxiiStatuses: mongoAccess(raw('taxiiStatuses'), 'TAXII status'),
    stixVersions: mongoAccess(raw('stixVersions'), 'STIX version'),
    decayModels: mongoAccess(raw('decayModels'), 'decay model'),
    warningLists: mongoAccess(raw('warningLists'), 'warning list'),
    jobStates: mongoAccess(raw('jobStates'), 'job state'),
    people: mongoAccess(raw('people'), 'person', {
      toPortable: (doc) => personFromStored(doc as unknown as PersonDoc) as unknown as StoredDocument,
      fromPortable: (doc) => personToStored(doc as unknown as PersonDoc) as unknown as Document,
    }),
  };
}

/** Which MongoDB collection holds each portable collection (`counters` holds two). */
export const BACKED_UP: Readonly<Record<StoreCollectionName, CollectionName>> = {
  members: COLLECTIONS.members,
  indicators: COLLECTIONS.indicators,
  notices: COLLECTIONS.notices,
  sightings: COLLECTIONS.sightings,
  approvals: COLLECTIONS.approvals,
  identityProviders: COLLECTIONS.identityProviders,
  apiKeys: COLLECTIONS.apiKeys,
  idempotency: COLLECTIONS.idempotency,
  sequences: COLLECTIONS.counters,
  events: COLLECTIONS.events,
  eventLog: COLLECTIONS.counters,
  audit: COLLECTIONS.audit,
  auditCheckpoints: COLLECTIONS.auditCheckpoints,
  communities: COLLECTIONS.communities,
  people: COLLECTIONS.people,
  vulnerabilities: COLLECTIONS.vulnerabilities,
  modelReviews: COLLECTIONS.modelReviews,
  taxiiStatuses: COLLECTIONS.taxiiStatuses,
  stixVersions: COLLECTIONS.stixVersions,
  decayModels: COLLECTIONS.decayModels,
  warningLists: COLLECTIONS.warningLists,
  jobStates: COLLECTIONS.jobStates,
};

/** MongoDB collections a backup leaves out, and why (test/backup.test.ts checks that every other one is exported). */
export const NOT_BACKED_UP: Readonly<Partial<Record<CollectionName, string>>> = {
  busCursors: 'each instance\'s change-stream resume token: meaningless in another database',
  memberChanges: '"member X changed" notices between running instances, kept a day',
  eventOutbox: 'events in flight between a publish\'s commit and their append to the log (milliseconds); a hub appends any left by a crash when it starts, so export from a store whose hub has started since',
  rateLimits: 'transient (TRANSIENT_REPOSITORIES)',
  leases: 'transient (TRANSIENT_REPOSITORIES)',
};
