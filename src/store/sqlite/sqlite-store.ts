/**
 * The durable embedded store: the store port over SQLite (better-sqlite3), in one file under
 * HUB_DATA_DIR (docs/storage.md). The query documents come from `queries.ts` and `policy.ts`
 * unchanged and are translated to SQL (sqlite-filter.ts) against the columns and indexes declared
 * in sqlite-schema.ts.
 *
 * Durability: WAL with `synchronous = FULL`, so a write the hub acknowledged is on disk (the WAL
 * is fsynced at every commit) and survives `kill -9` and a power cut alike. NORMAL would survive
 * `kill -9` but could lose the last commits on a power cut; a hub that says "published" must not.
 * Batches commit once, so the fsync is paid per publish, not per indicator.
 *
 * Several processes may open one file (a hub and `hub` CLI commands): SQLite lets one writer
 * commit at a time, every compare-and-set runs in an immediate transaction, and
 * SqliteEventBus tells each process of the others' events.
 */
import { SqliteStixVersions, SqliteTaxiiStatuses, TAXII_WRITE_TABLES_DDL } from './sqlite-taxii-writes.js';
import { DECAY_MODELS_DDL, SqliteDecayModels } from './sqlite-decay-models.js';
import { SqliteWarningLists, WARNING_LISTS_DDL } from './sqlite-warning-lists.js';
import { JOB_STATES_DDL, SqliteJobStates } from './sqlite-job-states.js';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { ApprovalRequestDoc, AuditCheckpoint, AuditEntry, IndicatorDoc, NoticeDoc, SightingDoc } from '../../domain/types.js';
import type { Filter } from '../../domain/filter.js';
import type {
  ApprovalRepository,
  AuditRepository,
  ClaimUpsert,
  ClaimUpsertResult,
  CountOptions,
  FindOptions,
  IndicatorRepository,
  NoticeRepository,
  SightingRepository,
  Store,
  UpdateDoc,
} from '../ports.js';
import { RESERVATION_LEASE_MS } from '../mongo/mongo-documents.js';
import { collectionDdl, migrateCollection, SqliteCollection } from './sqlite-collection.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import {
  SqliteApiKeys,
  SqliteIdempotency,
  SqliteIdentityProviders,
  SqliteLeases,
  SqliteMembers,
  SqliteRateLimits,
  SqliteSequences,
} from './sqlite-keyed-repositories.js';
import { SqliteCommunities } from './sqlite-communities.js';
import { SqlitePeople } from './sqlite-people.js';
import type { CommunityDoc } from '../../domain/community.js';
import { APPROVALS, AUDIT, COLLECTION_SPECS, COMMUNITIES, INDICATORS, KEYED_TABLES_DDL, MODEL_REVIEWS, NOTICES, SIGHTINGS, VULNERABILITIES } from './sqlite-schema.js';
import { SqliteModelReviews } from './sqlite-model-reviews.js';
import type { ModelReviewDoc } from '../../domain/model-review.js';
import { SqliteVulnerabilities } from './sqlite-vulnerabilities.js';
import type { VulnerabilityDoc } from '../../domain/vulnerability.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import { sqliteBackup } from './sqlite-backup.js';
import { StatementCache } from './statement-cache.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { gated, SqliteTransactionGate } from './sqlite-transaction-gate.js';

export interface SqliteStoreOptions {
  /** How long an unfinished idempotency reservation blocks retries. Default RESERVATION_LEASE_MS (5 min). */
  reservationLeaseMs?: number;
  /** SQLite's page cache, in MiB. Default 64. */
  cacheMiB?: number;
  /** The WAL bound while checkpoints run on their own thread (SqliteCheckpointerOptions.walLimitPages). */
  walLimitPages?: number;
}

/** The store's schema version, in `PRAGMA user_version`: a file from a newer hub is refused. */
export const SCHEMA_VERSION = 1;

/** A Store over SQLite, with the handle the event bus and tests need. */
export interface SqliteStore extends Store {
  readonly db: Database.Database;
  /** Background WAL checkpoints (null for `:memory:`). */
  readonly checkpointer: SqliteCheckpointer | null;
  /** The collections, for EXPLAIN QUERY PLAN in tests. */
  readonly collections: {
    indicators: SqliteCollection<IndicatorDoc>;
    notices: SqliteCollection<NoticeDoc>;
    sightings: SqliteCollection<SightingDoc>;
    approvals: SqliteCollection<ApprovalRequestDoc>;
    audit: SqliteCollection<AuditEntry>;
    vulnerabilities: SqliteCollection<VulnerabilityDoc>;
    modelReviews: SqliteCollection<ModelReviewDoc>;
  };
}

/** The columns of the unique claim index (sqlite-schema.ts INDICATORS): one claim per member, type and value. */
const CLAIM_KEY = ['value', 'source', 'type'] as const;

/** A publish at least this large hands the WAL's checkpoints to their own thread (SqliteCheckpointer). */
const BULK_WRITE = 1_000;

class SqliteIndicators implements IndicatorRepository {
  /** A selective score filter's page reads the score indexes and sorts (sqlite-collection.ts `selectSql`). */
  readonly selectiveReads = true;
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    private readonly docs: SqliteCollection<IndicatorDoc>,
    private readonly checkpointer: SqliteCheckpointer | null,
  ) {}

  async find(filter: Filter, options?: FindOptions) {
    return this.docs.find(filter, options);
  }

  async count(filter: Filter, options?: CountOptions) {
    return this.docs.count(filter, options?.limit);
  }

  /**
   * The whole batch in one immediate transaction (or in the caller's): one commit (and one fsync) per publish. Each
   * result carries the document it wrote (the object encoded into the row: it shares arrays and
   * Dates with the caller's upsert only, never with what is stored), so a publish reads nothing back.
   */
  async upsertClaims(upserts: readonly ClaimUpsert[]): Promise<ClaimUpsertResult[]> {
    if (upserts.length === 0) return [];
    if (upserts.length >= BULK_WRITE) this.checkpointer?.engage();
    const write = () => {
      const byClaim = this.statements.get('SELECT doc FROM indicators WHERE value = ? AND source = ? AND type = ?').pluck();
      return this.docs.deferCounts(() =>
        upserts.map((u): ClaimUpsertResult => {
          // Insert first: most claims of a publish are new, and the claim index decides in the
          // same search the insert makes. An existing claim is read and updated.
          const fresh = Object.assign({}, u.key, u.onInsert, u.set) as IndicatorDoc;
          if (this.docs.insertUnless(fresh, CLAIM_KEY)) return { id: fresh._id, created: true, doc: fresh };
          const doc = Object.assign(decodeDoc<IndicatorDoc>(byClaim.get(u.key.value, u.key.source, u.key.type) as string), u.set) as IndicatorDoc;
          this.docs.put(doc);
          return { id: doc._id, created: false, doc };
        }),
      );
    };
    // Inside the caller's transaction (a publish's appendWith), no savepoint of its own: with one,
    // each update of an existing claim cost 5-6x as much (measured: 360-500 against 60-70 us per
    // claim, batches of 5,000). A throw still leaves nothing: it ends the caller's work, whose
    // transaction then rolls back (SqliteTransactionGate.run).
    return this.db.inTransaction ? write() : this.db.transaction(write).immediate();
  }

  async updateOne(filter: Filter, update: UpdateDoc) {
    return this.docs.updateOne(filter, update);
  }
}

/** Notices, approval requests and sightings: find, count, insert, update. */
class SqliteRecords<T extends { _id: string }> {
  constructor(protected readonly docs: SqliteCollection<T>) {}

  async find(filter: Filter, options?: FindOptions): Promise<T[]> {
    return this.docs.find(filter, options);
  }

  async count(filter: Filter): Promise<number> {
    return this.docs.count(filter);
  }

  async insert(doc: T): Promise<void> {
    this.docs.insert(doc);
  }

  async updateOne(filter: Filter, update: UpdateDoc): Promise<T | null> {
    return this.docs.updateOne(filter, update);
  }
}

class SqliteSightings extends SqliteRecords<SightingDoc> implements SightingRepository {
  async findByIndicators(indicatorIds: readonly string[]): Promise<SightingDoc[]> {
    if (indicatorIds.length === 0) return [];
    return this.docs.find({ indicatorId: { $in: [...indicatorIds] } }, { sort: [['reportedAt', -1], ['_id', -1]] });
  }
}

/** The audit log: append, read, count, and an aggregate's count. No update or delete exists here. */
class SqliteAudit implements AuditRepository {
  readonly #docs: SqliteCollection<AuditEntry>;
  readonly #db: Database.Database;
  readonly #statements: StatementCache;

  constructor(db: Database.Database, statements: StatementCache, docs: SqliteCollection<AuditEntry>) {
    this.#db = db;
    this.#statements = statements;
    this.#docs = docs;
  }

  /**
   * The chain's compare-and-set: in one immediate transaction (one writer at a time, across
   * processes too), insert unless an entry holds the position (index `audit_seq`).
   */
  async append(entry: AuditEntry) {
    return this.#db
      .transaction(() => {
        if (this.#statements.get('SELECT 1 FROM audit WHERE _id = ?').pluck().get(entry._id) !== undefined) throw new Error(`duplicate audit entry id ${entry._id}`);
        if (this.#statements.get('SELECT 1 FROM audit WHERE seq = ?').pluck().get(entry.seq) !== undefined) return false;
        this.#docs.insert(entry);
        return true;
      })
      .immediate();
  }

  async addCheckpoint(checkpoint: AuditCheckpoint) {
    this.#statements.get('INSERT INTO audit_checkpoints (_id, doc) VALUES (?, ?) ON CONFLICT (_id) DO NOTHING').run(checkpoint._id, encodeDoc(checkpoint));
  }

  async checkpoints(limit?: number) {
    const rows = (
      limit !== undefined && Number.isFinite(limit)
        ? this.#statements.get('SELECT doc FROM audit_checkpoints ORDER BY _id DESC LIMIT ?').pluck().all(limit)
        : this.#statements.get('SELECT doc FROM audit_checkpoints ORDER BY _id DESC').pluck().all()
    ) as string[];
    return rows.map((text) => decodeDoc<AuditCheckpoint>(text));
  }

  async incrementCount(id: string, at: Date) {
    return this.#db
      .transaction(() => {
        const current = this.#docs.get(id);
        const count = current?.details.count;
        if (!current || current.action !== 'LOGIN_FAILED' || typeof count !== 'number') return false;
        const lastAt = typeof current.details.lastAt === 'string' && current.details.lastAt > at.toISOString() ? current.details.lastAt : at.toISOString();
        this.#docs.put({ ...current, details: { ...current.details, count: count + 1, lastAt } });
        return true;
      })
      .immediate();
  }

  async find(filter: Filter, options?: FindOptions) {
    return this.#docs.find(filter, options);
  }

  async count(filter: Filter) {
    return this.#docs.count(filter);
  }
}

/** Opens (creating when needed) the database at `path` (a file, or `:memory:`), its schema included. */
export function openSqliteDatabase(path: string, options: Pick<SqliteStoreOptions, 'cacheMiB'> = {}): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Another process holding the write lock (a CLI command, a second hub): wait for it, not fail.
  db.pragma('busy_timeout = 10000');
  db.pragma(`cache_size = -${(options.cacheMiB ?? 64) * 1024}`);
  db.pragma('temp_store = MEMORY');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(`${path} was written by a newer hub (schema ${version}; this hub knows ${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    for (const spec of COLLECTION_SPECS) {
      migrateCollection(db, spec);
      for (const sql of collectionDdl(spec)) db.exec(sql);
    }
    for (const sql of KEYED_TABLES_DDL) db.exec(sql);
    for (const sql of TAXII_WRITE_TABLES_DDL) db.exec(sql);
    for (const sql of DECAY_MODELS_DDL) db.exec(sql);
    for (const sql of WARNING_LISTS_DDL) db.exec(sql);
    for (const sql of JOB_STATES_DDL) db.exec(sql);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
  // Refreshes the planner's statistics where they are stale; cheap when nothing changed.
  db.pragma('optimize = 0x10002');
  return db;
}

export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const db = openSqliteDatabase(path, options);
  const statements = new StatementCache(db);
  const collections = {
    indicators: new SqliteCollection<IndicatorDoc>(db, statements, INDICATORS),
    notices: new SqliteCollection<NoticeDoc>(db, statements, NOTICES),
    sightings: new SqliteCollection<SightingDoc>(db, statements, SIGHTINGS),
    approvals: new SqliteCollection<ApprovalRequestDoc>(db, statements, APPROVALS),
    audit: new SqliteCollection<AuditEntry>(db, statements, AUDIT),
    vulnerabilities: new SqliteCollection<VulnerabilityDoc>(db, statements, VULNERABILITIES),
    modelReviews: new SqliteCollection<ModelReviewDoc>(db, statements, MODEL_REVIEWS),
  };
  const communities = new SqliteCollection<CommunityDoc>(db, statements, COMMUNITIES);
  const checkpointer = path === ':memory:' ? null : new SqliteCheckpointer(db, path, { walLimitPages: options.walLimitPages });
  const idempotency = new SqliteIdempotency(db, statements, options.reservationLeaseMs ?? RESERVATION_LEASE_MS);
  idempotency.sweep();
  let closed = false;
  // Every repository call is admitted through the gate: appendWith's transaction spans awaits.
  const gate = new SqliteTransactionGate(db);
  const g = <T extends object>(repository: T): T => gated(repository, gate);
  return {
    db,
    checkpointer,
    collections,
    backup: sqliteBackup(db, statements, { ...collections, communities }),
    indicators: g(new SqliteIndicators(db, statements, collections.indicators, checkpointer)),
    events: g(new SqliteEventLog(db, statements, gate)),
    sightings: g(new SqliteSightings(collections.sightings)),
    notices: g(new SqliteRecords(collections.notices) as NoticeRepository),
    vulnerabilities: g(new SqliteVulnerabilities(db, collections.vulnerabilities)),
    modelReviews: g(new SqliteModelReviews(db, collections.modelReviews)),
    members: g(new SqliteMembers(db, statements)),
    communities: g(new SqliteCommunities(db, communities)),
    idempotency: g(idempotency),
    sequences: g(new SqliteSequences(statements)),
    identityProviders: g(new SqliteIdentityProviders(db, statements)),
    approvals: g(new SqliteRecords(collections.approvals) as ApprovalRepository),
    audit: g(new SqliteAudit(db, statements, collections.audit)),
    apiKeys: g(new SqliteApiKeys(db, statements)),
    people: g(new SqlitePeople(db, statements)),
    rateLimits: g(new SqliteRateLimits(db, statements)),
    leases: g(new SqliteLeases(db, statements)),
    taxiiStatuses: g(new SqliteTaxiiStatuses(statements)),
    stixVersions: g(new SqliteStixVersions(db, statements)),
    decayModels: g(new SqliteDecayModels(statements)),
    warningLists: g(new SqliteWarningLists(statements)),
    jobStates: g(new SqliteJobStates(statements)),
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer?.close();
      try {
        db.pragma('optimize');
      } catch {
        // closing anyway
      }
      db.close();
    },
  };
}

/** Where the hub keeps its SQLite store: `hub.db` in HUB_DATA_DIR (with its `-wal` and `-shm` files). */
export function sqliteStorePath(dataDir: string): string {
  return join(dataDir, 'hub.db');
}
