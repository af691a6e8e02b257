import type Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

/** Prepared statements kept, least recently used first out: the hub's queries take a few hundred shapes. */
const STATEMENT_LIMIT = 1_000;

/**
 * Prepared statements by SQL text. Why: preparing costs tens of microseconds and the translated
 * filters repeat (one shape per query and number of `$in` values), so each shape is parsed once.
 */
export class StatementCache {
  private readonly cache = new LRUCache<string, Database.Statement>({ max: STATEMENT_LIMIT });

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}
