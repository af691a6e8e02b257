import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { EventDoc } from '../../domain/events.js';
import type { EventBus } from '../../events/event-bus.js';
import type { EventLogRepository } from '../ports.js';
import { OrderedEventFeed } from '../mongo/ordered-event-feed.js';

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

type Listener<T> = (value: T) => void;

/**
 * The event bus for every process sharing one SQLite file (a hub and `hub` CLI commands, or
 * several hubs on one host). This process's appends are offered at once; the others' are found by
 * polling: `PRAGMA data_version` changes when another connection committed, and only then is the
 * log read after the last position delivered (one indexed range read), through the same
 * OrderedEventFeed as the MongoDB bus, so deliveries are in position order, each once. Member
 * changes travel through the `member_changes` table the same way.
 *
 * Polling, not a notification: SQLite has none across processes. At the default 100 ms a
 * change reaches the other processes within ~100-200 ms, and an idle poll is one pragma read.
 */
export class SqliteEventBus implements EventBus {
  private readonly eventListeners = new Set<Listener<readonly EventDoc[]>>();
  private readonly memberListeners = new Set<Listener<string>>();
  private readonly origin = randomUUID();
  private readonly feed: OrderedEventFeed;
  private readonly timer: NodeJS.Timeout;
  private readonly log: Logger;
  private dataVersion: number;
  private memberChangeSeen: number;
  private polls = 0;
  private closed = false;

  private constructor(
    private readonly options: SqliteEventBusOptions,
    latest: number,
  ) {
    const { db } = options;
    this.log = options.logger.child({ component: 'sqlite-event-bus' });
    this.dataVersion = db.pragma('data_version', { simple: true }) as number;
    this.memberChangeSeen = (db.prepare('SELECT coalesce(max(id), 0) FROM member_changes').pluck().get() as number) ?? 0;
    this.feed = new OrderedEventFeed({
      log: options.log,
      after: latest,
      deliver: (events) => this.deliver(events),
      onGapSkipped: (from, to, reason) =>
        (reason === 'trimmed' ? this.log.info.bind(this.log) : this.log.warn.bind(this.log))({ from, to, reason }, 'event positions skipped'),
      onError: (err) => this.log.error({ err }, 'reading the event log failed; retrying'),
    });
    this.timer = setInterval(() => this.poll(), options.pollMs ?? 100);
    this.timer.unref();
  }

  /** Starts after the log's current end: events already in it are replayed by subscribers that ask, not re-announced. */
  static async start(options: SqliteEventBusOptions): Promise<SqliteEventBus> {
    const { latest } = await options.log.bounds();
    return new SqliteEventBus(options, latest);
  }

  publish(events: readonly EventDoc[]): void {
    if (events.length > 0) this.feed.offer(events);
  }

  memberChanged(memberId: string): void {
    this.announceMember(memberId);
    try {
      this.options.db.prepare('INSERT INTO member_changes (memberId, origin, at) VALUES (?, ?, ?)').run(memberId, this.origin, Date.now());
    } catch (err) {
      this.log.error({ err, memberId }, 'could not tell the other processes of a member change');
    }
  }

  onEvents(listener: Listener<readonly EventDoc[]>): () => void {
    this.eventListeners.add(listener);
    return () => void this.eventListeners.delete(listener);
  }

  onMemberChanged(listener: Listener<string>): () => void {
    this.memberListeners.add(listener);
    return () => void this.memberListeners.delete(listener);
  }

  /** The last position handed to listeners. */
  get position(): number {
    return this.feed.position;
  }

  /** Resolves once what is known has been delivered (tests). */
  idle(): Promise<void> {
    return this.feed.idle();
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
      this.log.error({ err }, 'polling the store for other processes\' changes failed');
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

  private deliver(events: readonly EventDoc[]): void {
    for (const listener of this.eventListeners) {
      try {
        listener(events);
      } catch (err) {
        this.log.error({ err }, 'an event listener failed');
      }
    }
  }

  private announceMember(memberId: string): void {
    for (const listener of this.memberListeners) {
      try {
        listener(memberId);
      } catch (err) {
        this.log.error({ err }, 'a member-change listener failed');
      }
    }
  }
}
