/**
 * The SQLite store's collections, raw, for export and import (ports.ts `StoreCollections`,
 * docs/backup.md): the portable documents over this adapter's tables. Reads go by keyset pages of
 * `PAGE` rows in key order, so no statement stays open across an await; each load is one
 * immediate transaction, and a duplicate key throws (nothing of that batch is written).
 */
import type Database from 'better-sqlite3';
import type { ApprovalRequestDoc, AuditEntry, IndicatorDoc, NoticeDoc, SightingDoc } from '../../domain/types.js';
import type { CommunityDoc } from '../../domain/community.js';
import type { VulnerabilityDoc } from '../../domain/vulnerability.js';
import type { ModelReviewDoc } from '../../domain/model-review.js';
import type { EventDoc } from '../../domain/events.js';
import type { CollectionAccess, StoreCollections, StoredDocument } from '../ports.js';
import type { SqliteCollection } from './sqlite-collection.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import { row as warningListRow } from './sqlite-warning-lists.js';
import type { MemberWarningListDoc } from '../../domain/member-warning-list.js';
import type { StatementCache } from './statement-cache.js';

const PAGE = 1_000;

/** The document collections (`SqliteCollection` tables) by portable name. */
export interface SqliteDocumentCollections {
  indicators: SqliteCollection<IndicatorDoc>;
  notices: SqliteCollection<NoticeDoc>;
  sightings: SqliteCollection<SightingDoc>;
  approvals: SqliteCollection<ApprovalRequestDoc>;
  audit: SqliteCollection<AuditEntry>;
  communities: SqliteCollection<CommunityDoc>;
  vulnerabilities: SqliteCollection<VulnerabilityDoc>;
  modelReviews: SqliteCollection<ModelReviewDoc>;
}

export function sqliteBackup(db: Database.Database, statements: StatementCache, docs: SqliteDocumentCollections): StoreCollections {
  /** Rows of `table` in `key` order, a page at a time; `toDoc` makes the portable document. */
  const keyed = <Row extends Record<string, unknown>>(table: string, key: string, toDoc: (row: Row) => StoredDocument) =>
    async function* scan(): AsyncIterable<StoredDocument> {
      let after: unknown = undefined;
      for (;;) {
        const rows = (
          after === undefined
            ? statements.get(`SELECT * FROM ${table} ORDER BY ${key} LIMIT ${PAGE}`).all()
            : statements.get(`SELECT * FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ${PAGE}`).all(after)
        ) as Row[];
        for (const row of rows) yield toDoc(row);
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1]![key];
      }
    };
  const inTransaction = (write: (doc: StoredDocument) => void) => async (batch: readonly StoredDocument[]) => {
    try {
      db.transaction(() => {
        for (const doc of batch) write(doc);
      }).immediate();
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new Error(`duplicate id: the store already holds one of the imported documents (${(err as Error).message})`);
      throw err;
    }
  };
  const documents = <T extends { _id: string }>(collection: SqliteCollection<T>, table: string): CollectionAccess => ({
    scan: keyed<{ doc: string }>(table, '_id', (row) => decodeDoc<StoredDocument>(row.doc)),
    load: inTransaction((doc) => collection.insert(doc as unknown as T)),
  });
  const insert = (sql: string, values: (doc: StoredDocument) => unknown[]) => inTransaction((doc) => statements.get(sql).run(...values(doc)));
  const fromDoc = (row: { doc: string }) => decodeDoc<StoredDocument>(row.doc);

  return {
    members: { scan: keyed('members', '_id', fromDoc), load: insert('INSERT INTO members (_id, doc) VALUES (?, ?)', (d) => [d._id, encodeDoc(d)]) },
    indicators: documents(docs.indicators, 'indicators'),
    notices: documents(docs.notices, 'notices'),
    sightings: documents(docs.sightings, 'sightings'),
    approvals: documents(docs.approvals, 'approvals'),
    identityProviders: {
      scan: keyed('identity_providers', 'issuer', fromDoc),
      load: insert('INSERT INTO identity_providers (issuer, memberId, doc) VALUES (?, ?, ?)', (d) => [d._id, d.memberId, encodeDoc(d)]),
    },
    apiKeys: {
      scan: keyed('api_keys', '_id', fromDoc),
      load: insert('INSERT INTO api_keys (_id, memberId, createdAt, doc) VALUES (?, ?, ?, ?)', (d) => [d._id, d.memberId, (d.createdAt as Date).getTime(), encodeDoc(d)]),
    },
    idempotency: { scan: keyed('idempotency', '_id', fromDoc), load: insert('INSERT INTO idempotency (_id, doc) VALUES (?, ?)', (d) => [d._id, encodeDoc(d)]) },
    sequences: {
      scan: keyed<{ name: string; value: number }>('sequences', 'name', (row) => ({ _id: row.name, value: row.value })),
      load: insert('INSERT INTO sequences (name, value) VALUES (?, ?)', (d) => [d._id, d.value]),
    },
    events: {
      scan: keyed('events', 'position', fromDoc),
      load: inTransaction((d) => {
        const event = d as unknown as EventDoc;
        statements.get('INSERT INTO events (position, occurredAt, doc) VALUES (?, ?, ?)').run(event._id, event.occurredAt.getTime(), encodeDoc(event));
        statements.get('UPDATE event_log SET latest = max(latest, ?) WHERE id = 1').run(event._id);
      }),
    },
    eventLog: {
      // The one row always exists here; the portable collection has it once the log was used.
      async *scan() {
        const row = statements.get('SELECT latest, trimmedThrough FROM event_log WHERE id = 1').get() as { latest: number; trimmedThrough: number };
        if (row.latest > 0 || row.trimmedThrough > 0) yield { _id: 'eventLog', latest: row.latest, trimmedThrough: row.trimmedThrough };
      },
      load: insert('UPDATE event_log SET latest = max(latest, ?), trimmedThrough = max(trimmedThrough, ?) WHERE id = 1', (d) => [d.latest, d.trimmedThrough ?? 0]),
    },
    audit: documents(docs.audit, 'audit'),
    auditCheckpoints: {
      scan: keyed('audit_checkpoints', '_id', fromDoc),
      load: insert('INSERT INTO audit_checkpoints (_id, doc) VALUES (?, ?)', (d) => [d._id, encodeDoc(d)]),
    },
    communities: documents(docs.communities, 'communities'),
    vulnerabilities: documents(docs.vulnerabilities, 'vulnerabilities'),
    modelReviews: documents(docs.modelReviews, 'model_reviews'),
    taxiiStatuses: {
      scan: keyed('taxii_statuses', '_id', fromDoc),
      load: insert('INSERT INTO taxii_statuses (_id, expiresAt, doc) VALUES (?, ?, ?)', (d) => [d._id, (d.expiresAt as Date).getTime(), encodeDoc(d)]),
    },
    stixVersions: { scan: keyed('stix_versions', '_id', fromDoc), load: insert('INSERT INTO stix_versions (_id, doc) VALUES (?, ?)', (d) => [d._id, encodeDoc(d)]) },
    decayModels: { scan: keyed('decay_models', '_id', fromDoc), load: insert('INSERT INTO decay_models (_id, doc) VALUES (?, ?)', (d) => [d._id, encodeDoc(d)]) },
    warningLists: { scan: keyed('warning_lists', '_id', fromDoc), load: insert('INSERT INTO warning_lists (_id, source, name, seq, revoked, doc) VALUES (?, ?, ?, ?, ?, ?)', (d) => warningListRow(d as unknown as MemberWarningListDoc)) },
    jobStates: { scan: keyed('job_states', '_id', fromDoc), load: insert('INSERT INTO job_states (_id, revision, doc) VALUES (?, ?, ?)', (d) => [d._id, d.revision, encodeDoc(d)]) },
    people: {
      scan: keyed('people', '_id', fromDoc),
      // The person and its identity rows (their primary key refuses an identity already linked).
      load: inTransaction((d) => {
        statements.get('INSERT INTO people (_id, memberId, version, doc) VALUES (?, ?, ?, ?)').run(d._id, d.memberId, d.version, encodeDoc(d));
        for (const i of d.identities as Array<{ issuer: string; subject: string }>) {
          statements.get('INSERT INTO person_identities (issuer, subject, personId) VALUES (?, ?, ?)').run(i.issuer, i.subject, d._id);
        }
      }),
    },
  };
}
