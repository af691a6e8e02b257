/**
 * The SQLite store's TAXII add-objects tables (src/domain/taxii-write.ts): status resources,
 * kept until `expiresAt` (index `taxii_statuses_expiry` for `removeExpired`), and members' STIX
 * object versions, by key. Both are read by primary key only.
 */
import type Database from 'better-sqlite3';
import { stixVersionKey, type StixVersionDoc, type TaxiiStatusDoc } from '../../domain/taxii-write.js';
import type { StixVersionRepository, TaxiiStatusRepository } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';

export const TAXII_WRITE_TABLES_DDL = [
  'CREATE TABLE IF NOT EXISTS taxii_statuses (_id TEXT PRIMARY KEY, expiresAt INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID',
  'CREATE INDEX IF NOT EXISTS taxii_statuses_expiry ON taxii_statuses (expiresAt)',
  'CREATE TABLE IF NOT EXISTS stix_versions (_id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID',
];

export class SqliteTaxiiStatuses implements TaxiiStatusRepository {
  constructor(private readonly s: StatementCache) {}

  async insert(doc: TaxiiStatusDoc): Promise<void> {
    this.s.get('INSERT INTO taxii_statuses (_id, expiresAt, doc) VALUES (?, ?, ?)').run(doc._id, doc.expiresAt.getTime(), encodeDoc(doc));
  }

  async get(id: string, now: Date): Promise<TaxiiStatusDoc | null> {
    const text = this.s.get('SELECT doc FROM taxii_statuses WHERE _id = ? AND expiresAt >= ?').pluck().get(id, now.getTime()) as string | undefined;
    return text === undefined ? null : decodeDoc<TaxiiStatusDoc>(text);
  }

  async removeExpired(now: Date): Promise<number> {
    return this.s.get('DELETE FROM taxii_statuses WHERE expiresAt < ?').run(now.getTime()).changes;
  }
}

export class SqliteStixVersions implements StixVersionRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly s: StatementCache,
  ) {}

  async find(memberId: string, stixIds: readonly string[]): Promise<StixVersionDoc[]> {
    if (stixIds.length === 0) return [];
    const keys = [...new Set(stixIds)].map((id) => stixVersionKey(memberId, id));
    const rows = this.s.get(`SELECT doc FROM stix_versions WHERE _id IN (${keys.map(() => '?').join(',')})`).pluck().all(...keys) as string[];
    return rows.map((text) => decodeDoc<StixVersionDoc>(text));
  }

  /** One transaction for the lot: a commit per entry made a 1,000-object request take seconds. */
  async put(docs: readonly StixVersionDoc[]): Promise<void> {
    if (docs.length === 0) return;
    const upsert = this.s.get('INSERT INTO stix_versions (_id, doc) VALUES (?, ?) ON CONFLICT (_id) DO UPDATE SET doc = excluded.doc');
    this.db.transaction(() => {
      for (const doc of docs) upsert.run(doc._id, encodeDoc(doc));
    }).immediate();
  }
}
