import type Database from 'better-sqlite3';
import { PersonConflictError, type PersonDoc } from '../../domain/person.js';
import type { PersonRepository } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';

/**
 * People in SQLite: `people` by id (with `memberId` and `version` as columns, for the member's
 * listing and the compare-and-set), and `person_identities`, whose primary key `(issuer,
 * subject)` is the identities' uniqueness. A write changes both in one immediate transaction, so
 * it is atomic across the processes sharing the file; a taken identity rolls the whole write back.
 */
export class SqlitePeople implements PersonRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly s: StatementCache,
  ) {}

  async get(id: string): Promise<PersonDoc | null> {
    return this.read(id);
  }

  /** Synchronous, as every method's SQLite work must be (SqliteTransactionGate). */
  async getMany(ids: readonly string[]): Promise<PersonDoc[]> {
    const found: PersonDoc[] = [];
    for (const id of new Set(ids)) {
      const person = this.read(id);
      if (person) found.push(person);
    }
    return found;
  }

  private read(id: string): PersonDoc | null {
    const text = this.s.get('SELECT doc FROM people WHERE _id = ?').pluck().get(id) as string | undefined;
    return text === undefined ? null : decodeDoc<PersonDoc>(text);
  }

  async list(memberId: string | null, limit: number): Promise<PersonDoc[]> {
    if (limit <= 0) return [];
    const rows = (memberId === null
      ? this.s.get('SELECT doc FROM people ORDER BY _id LIMIT ?').pluck().all(limit)
      : this.s.get('SELECT doc FROM people WHERE memberId = ? ORDER BY _id LIMIT ?').pluck().all(memberId, limit)) as string[];
    return rows.map((text) => decodeDoc<PersonDoc>(text));
  }

  async findByIdentity(issuer: string, subject: string): Promise<PersonDoc | null> {
    const text = this.s
      .get('SELECT p.doc FROM person_identities i JOIN people p ON p._id = i.personId WHERE i.issuer = ? AND i.subject = ?')
      .pluck()
      .get(issuer, subject) as string | undefined;
    return text === undefined ? null : decodeDoc<PersonDoc>(text);
  }

  async insert(doc: PersonDoc): Promise<void> {
    this.db
      .transaction(() => {
        if (this.s.get('SELECT 1 FROM people WHERE _id = ?').pluck().get(doc._id) !== undefined) {
          throw new PersonConflictError('id', `duplicate person id ${doc._id}`);
        }
        this.s.get('INSERT INTO people (_id, memberId, version, doc) VALUES (?, ?, ?, ?)').run(doc._id, doc.memberId, doc.version, encodeDoc(doc));
        this.linkIdentities(doc);
      })
      .immediate();
  }

  async update(doc: PersonDoc, expectedVersion: number): Promise<PersonDoc | null> {
    return this.db
      .transaction((): PersonDoc | null => {
        const version = this.s.get('SELECT version FROM people WHERE _id = ?').pluck().get(doc._id) as number | undefined;
        if (version !== expectedVersion) return null;
        const next: PersonDoc = { ...doc, version: expectedVersion + 1 };
        this.s.get('DELETE FROM person_identities WHERE personId = ?').run(doc._id);
        this.linkIdentities(next);
        this.s.get('UPDATE people SET memberId = ?, version = ?, doc = ? WHERE _id = ?').run(next.memberId, next.version, encodeDoc(next), next._id);
        return next;
      })
      .immediate();
  }

  /** Inserts the person's identity rows; a pair another person holds throws (and the transaction rolls back). */
  private linkIdentities(doc: PersonDoc): void {
    for (const { issuer, subject } of doc.identities) {
      try {
        this.s.get('INSERT INTO person_identities (issuer, subject, personId) VALUES (?, ?, ?)').run(issuer, subject, doc._id);
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new PersonConflictError('identity', 'the identity is linked to another person');
        throw err;
      }
    }
  }
}
