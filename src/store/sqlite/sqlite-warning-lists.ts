/** The SQLite store's member warning lists (src/domain/member-warning-list.ts): one row per list, the document as JSON. */
import type { MemberWarningListDoc } from '../../domain/member-warning-list.js';
import type { WarningListRepository } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';

export const WARNING_LISTS_DDL = [
  'CREATE TABLE IF NOT EXISTS warning_lists (_id TEXT PRIMARY KEY, source TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL, revoked INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID',
  // One list per (member, name): a concurrent second publish of a new name fails instead of duplicating it.
  'CREATE UNIQUE INDEX IF NOT EXISTS warning_lists_name ON warning_lists (source, name)',
  'CREATE INDEX IF NOT EXISTS warning_lists_seq ON warning_lists (seq)',
];

export class SqliteWarningLists implements WarningListRepository {
  constructor(private readonly s: StatementCache) {}

  async all(): Promise<MemberWarningListDoc[]> {
    return (this.s.get('SELECT doc FROM warning_lists ORDER BY seq').pluck().all() as string[]).map((text) => decodeDoc<MemberWarningListDoc>(text));
  }

  async lastSeq(): Promise<number> {
    return (this.s.get('SELECT coalesce(max(seq), 0) FROM warning_lists').pluck().get() as number) ?? 0;
  }

  async get(id: string): Promise<MemberWarningListDoc | null> {
    const text = this.s.get('SELECT doc FROM warning_lists WHERE _id = ?').pluck().get(id) as string | undefined;
    return text === undefined ? null : decodeDoc<MemberWarningListDoc>(text);
  }

  async byName(source: string, name: string): Promise<MemberWarningListDoc | null> {
    const text = this.s.get('SELECT doc FROM warning_lists WHERE source = ? AND name = ?').pluck().get(source, name) as string | undefined;
    return text === undefined ? null : decodeDoc<MemberWarningListDoc>(text);
  }

  async countActive(source: string): Promise<number> {
    return this.s.get('SELECT count(*) FROM warning_lists WHERE source = ? AND revoked = 0').pluck().get(source) as number;
  }

  async insert(doc: MemberWarningListDoc): Promise<boolean> {
    const r = this.s.get('INSERT INTO warning_lists (_id, source, name, seq, revoked, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(...row(doc));
    return r.changes === 1;
  }

  async replace(doc: MemberWarningListDoc, expectedSeq: number): Promise<boolean> {
    const r = this.s
      .get('UPDATE warning_lists SET name = ?, seq = ?, revoked = ?, doc = ? WHERE _id = ? AND seq = ?')
      .run(doc.name, doc.seq, doc.revoked ? 1 : 0, encodeDoc(doc), doc._id, expectedSeq);
    return r.changes === 1;
  }
}

/** The row's columns for an insert, in `WARNING_LISTS_DDL`'s order (also what a backup loads). */
export function row(doc: Pick<MemberWarningListDoc, '_id' | 'source' | 'name' | 'seq' | 'revoked'>): [string, string, string, number, number, string] {
  return [doc._id, doc.source, doc.name, doc.seq, doc.revoked ? 1 : 0, encodeDoc(doc)];
}
