import type Database from 'better-sqlite3';
import type { EventDoc, NewEvent } from '../../domain/events.js';
import type { EventLogRepository } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';

/**
 * The alert log in SQLite. An append is one immediate transaction (the log's counter row and the
 * events), and SQLite lets one writer at a time commit, so positions follow commit order across
 * processes too: a reader never sees position n+1 before n.
 */
export class SqliteEventLog implements EventLogRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
  ) {}

  async append(events: readonly NewEvent[]): Promise<EventDoc[]> {
    if (events.length === 0) return [];
    return this.db
      .transaction(() => {
        const latest = this.statements.get('SELECT latest FROM event_log WHERE id = 1').pluck().get() as number;
        const insert = this.statements.get('INSERT INTO events (position, occurredAt, doc) VALUES (?, ?, ?)');
        const written = events.map((e, i) => ({ ...e, _id: latest + i + 1 }) as EventDoc);
        for (const e of written) insert.run(e._id, e.occurredAt.getTime(), encodeDoc(e));
        this.statements.get('UPDATE event_log SET latest = ? WHERE id = 1').run(latest + events.length);
        return written;
      })
      .immediate();
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
