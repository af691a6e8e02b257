import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { LogFedEventBus } from '../log-fed-event-bus.js';
import type { EventLogRepository } from '../ports.js';

export interface SqliteEventBusOptions {
  db: Database.Database;
  /** The store's event log: where the bus reads by position. */
  log: EventLogRepository;
  logger: Logger;
  /** How often the file is checked for other processes' commits. Default 100 ms. */
  pollMs?: number;
  /** Member changes older than this are deleted (other processes have long read them). Default 1 h. */
  memberChangeRetentionMs?: number;
}

/**
 * The event bus for every process sharing one SQLite file (a hub and `hub` CLI commands, or
 * several hubs on one host). This process's appends are offered at once; the others' are found by
 * polling: `PRAGMA data_version` changes when another connection committed, and only then is the
 * log read after the last position delivered (one indexed range read), through the same
 * OrderedEventFeed as the MongoDB bus (LogFedEventBus), so deliveries are in position order, each
 * once. Member changes travel through the `member_changes` table the same way.
 *
 * Polling, not a notification: SQLite has none across processes. At the default 100 ms a
 * change reaches the other processes within ~100-200 ms, and an idle poll is one pragma read.
 */
export class SqliteEventBus extends LogFedEventBus {
  private readonly timer: NodeJS.Timeout;
  private dataVersion: number;
  private memberChangeSeen: number;
  private polls = 0;
  private closed = false;

  private constructor(
    private readonly options: SqliteEventBusOptions,
    latest: number,
  ) {
    super(options.logger.child({ component: 'sqlite-event-bus' }));
    const { db } = options;
    this.dataVersion = db.pragma('data_version', { simple: true }) as number;
    this.memberChangeSeen = (db.prepare('SELECT coalesce(max(id), 0) FROM member_changes').pluck().get() as number) ?? 0;
    this.startFeed(options.log, latest);
    this.timer = setInterval(() => this.poll(), options.pollMs ?? 100);
    this.timer.unref();
  }

  /** Starts after the log's current end: events already in it are replayed by subscribers that ask, not re-announced. */
  static async start(options: SqliteEventBusOptions): Promise<SqliteEventBus> {
    const { latest } = await options.log.bounds();
    return new SqliteEventBus(options, latest);
  }

  protected tellOthers(memberId: string): void {
    try {
      this.options.db.prepare('INSERT INTO member_changes (memberId, origin, at) VALUES (?, ?, ?)').run(memberId, this.origin, Date.now());
    } catch (err) {
      this.logger.error({ err, memberId }, 'could not tell the other processes of a member change');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.feed.close();
  }

  /** One check: did another connection commit? Then read the log and the member changes. */
  private poll(): void {
    if (this.closed || !this.options.db.open) return;
    try {
      const version = this.options.db.pragma('data_version', { simple: true }) as number;
      if (version === this.dataVersion) return;
      this.dataVersion = version;
      this.feed.poke();
      this.readMemberChanges();
      if (++this.polls % 600 === 0) {
        this.options.db.prepare('DELETE FROM member_changes WHERE at < ?').run(Date.now() - (this.options.memberChangeRetentionMs ?? 3_600_000));
      }
    } catch (err) {
      this.logger.error({ err }, 'polling the store for other processes\' changes failed');
    }
  }

  private readMemberChanges(): void {
    const rows = this.options.db
      .prepare('SELECT id, memberId, origin FROM member_changes WHERE id > ? ORDER BY id')
      .all(this.memberChangeSeen) as Array<{ id: number; memberId: string; origin: string }>;
    for (const row of rows) {
      this.memberChangeSeen = row.id;
      if (row.origin !== this.origin) this.announceMember(row.memberId);
    }
  }
}
