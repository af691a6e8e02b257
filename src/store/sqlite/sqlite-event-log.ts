import type Database from 'better-sqlite3';
import type { EventDoc, NewEvent } from '../../domain/events.js';
import type { EventLogRepository } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';
import type { SqliteTransactionGate } from './sqlite-transaction-gate.js';

/**
 * The alert log in SQLite. An append is one immediate transaction (the log's counter row and the
 * events), and SQLite lets one writer at a time commit, so positions follow commit order across
 * processes too: a reader never sees position n+1 before n. `appendWith` puts record writes in
 * that transaction (SqliteTransactionGate): a record and its events commit together.
 */
export class SqliteEventLog implements EventLogRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    private readonly gate: SqliteTransactionGate,
  ) {}

  async append(events: readonly NewEvent[]): Promise<EventDoc[]> {
    if (events.length === 0) return [];
    return this.db.transaction(() => this.write(events)).immediate();
  }

  /** `work`'s record writes and its events in one commit: a crash keeps both or neither. */
  async appendWith<T>(work: () => Promise<{ value: T; events: NewEvent[] }>): Promise<{ value: T; events: EventDoc[] }> {
    return this.gate.run(work, ({ value, events }) => ({ value, events: events.length > 0 ? this.write(events) : [] }));
  }

  /** Gives the events the next positions; inside the caller's transaction. */
  private write(events: readonly NewEvent[]): EventDoc[] {
    const latest = this.statements.get('SELECT latest FROM event_log WHERE id = 1').pluck().get() as number;
    const insert = this.statements.get('INSERT INTO events (position, occurredAt, doc) VALUES (?, ?, ?)');
    const written = events.map((e, i) => ({ ...e, _id: latest + i + 1 }) as EventDoc);
    for (const e of written) insert.run(e._id, e.occurredAt.getTime(), encodeDoc(e));
    this.statements.get('UPDATE event_log SET latest = ? WHERE id = 1').run(latest + events.length);
    return written;
  }

  async readAfter(after: number, limit: number): Promise<EventDoc[]> {
    if (limit <= 0) return [];
    const rows = this.statements.get('SELECT doc FROM events WHERE position > ? ORDER BY position LIMIT ?').pluck().all(after, limit) as string[];
    return rows.map((text) => decodeDoc<EventDoc>(text));
  }

  async bounds(): Promise<{ latest: number; trimmedThrough: number }> {
    return this.statements.get('SELECT latest, trimmedThrough FROM event_log WHERE id = 1').pluck(false).get() as { latest: number; trimmedThrough: number };
  }

  /** Trims the log's prefix up to the first event that occurred at or after `cutoff`. */
  async trimBefore(cutoff: Date): Promise<number> {
    return this.db
      .transaction(() => {
        const keep = this.statements.get('SELECT min(position) FROM events WHERE occurredAt >= ?').pluck().get(cutoff.getTime()) as number | null;
        const { latest, trimmedThrough } = this.statements.get('SELECT latest, trimmedThrough FROM event_log WHERE id = 1').pluck(false).get() as {
          latest: number;
          trimmedThrough: number;
        };
        const through = keep === null ? latest : keep - 1;
        if (through <= trimmedThrough) return 0;
        const { changes } = this.statements.get('DELETE FROM events WHERE position <= ?').run(through);
        this.statements.get('UPDATE event_log SET trimmedThrough = ? WHERE id = 1').run(through);
        return changes;
      })
      .immediate();
  }
}
