import type { EventEmitter } from 'node:events';
import type { ChangeStream, ChangeStreamInsertDocument, Collection, Db, Filter as MongoFilter, ResumeToken } from 'mongodb';
import type { Logger } from 'pino';
import { LogFedEventBus } from '../log-fed-event-bus.js';
import type { EventLogRepository } from '../ports.js';
import { BOOKKEEPING, COLLECTIONS, DURABLE } from './mongo-collections.js';
import {
  fromStoredEvent,
  INSERTS_ONLY,
  memberChangesSince,
  type BusCursorDoc,
  type MemberChangeDoc,
  type StoredEvent,
} from './mongo-documents.js';

export interface MongoEventBusOptions {
  db: Db;
  /** The store's event log: where the bus reads by position. */
  log: EventLogRepository;
  logger: Logger;
  /** This instance's stable name (default: the host name): the key of its saved resume token. */
  instanceName: string;
  /** See OrderedEventFeed. Default 5 s. */
  gapGraceMs?: number;
  /** How often the log is read by position while a change stream is down. Default 1 s. */
  pollMs?: number;
  /** How long to wait before reopening a failed change stream. Default 1 s. */
  reopenMs?: number;
}

/** Errors after which a saved resume token is useless: open the stream afresh and catch up by position. */
const TOKEN_GONE = new Set([260, 280, 286]); // InvalidResumeToken, ChangeStreamFatalError, ChangeStreamHistoryLost
const SAVE_EVERY_MS = 1_000;
/** Member changes re-announced after a member-change stream outage: this much before it began. */
const MEMBER_CATCH_UP_SLACK_MS = 5_000;
/** A saved resume token is used after a restart only if it is at most this many events behind. */
const RESUME_WINDOW = 1_000;
/** How long start() waits for the change streams to be established. */
const STREAM_READY_TIMEOUT_MS = 5_000;

/**
 * Resolves when the server has answered the stream's first `aggregate`: the driver then sets the
 * stream's resume token (`resumeTokenChanged`). Changes committed from then on are seen.
 */
function started(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    stream.once('resumeTokenChanged', () => resolve());
    stream.once('change', () => resolve());
  });
}

/**
 * The event bus for several hub instances on one MongoDB.
 *
 * Events: every instance tails the event log with a change stream (inserts only) and hands the
 * events to its listeners through an OrderedEventFeed (LogFedEventBus): in position order, each once, whichever
 * instance appended them. `publish` (this instance's own appends) only offers the events to the
 * feed, so local and remote events interleave in position order too. The stream's resume token
 * is saved per instance (`busCursors`, at most once a second); after a restart or a stream error
 * the stream resumes from it, and whatever it cannot replay is read from the log by position.
 * Correctness never rests on the token: positions do.
 *
 * Member changes (tier, suspension, identity providers) are announced to this instance's
 * listeners at once and written to `memberChanges`, whose change stream tells the others.
 */
export class MongoEventBus extends LogFedEventBus {
  private readonly events: Collection<StoredEvent>;
  private readonly cursors: Collection<BusCursorDoc>;
  private readonly memberChanges: Collection<MemberChangeDoc>;
  private eventStream: ChangeStream<StoredEvent, ChangeStreamInsertDocument<StoredEvent>> | null = null;
  private memberStream: ChangeStream<MemberChangeDoc, ChangeStreamInsertDocument<MemberChangeDoc>> | null = null;
  private resumeToken: ResumeToken | undefined;
  private tokenDirty = false;
  private saveTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private memberStreamDownSince: Date | null = null;
  private closed = false;

  private constructor(private readonly options: MongoEventBusOptions) {
    super(options.logger.child({ component: 'mongo-event-bus', instance: options.instanceName }));
    const { db } = options;
    this.events = db.collection<StoredEvent>(COLLECTIONS.events, { readConcern: { level: 'majority' } });
    this.cursors = db.collection<BusCursorDoc>(COLLECTIONS.busCursors, { writeConcern: BOOKKEEPING });
    // A member change must reach the other instances' open sockets: durable like the change itself.
    this.memberChanges = db.collection<MemberChangeDoc>(COLLECTIONS.memberChanges, { writeConcern: DURABLE });
  }

  /** Starts after the log's current end: events already in it are replayed by subscribers that ask, not re-announced. */
  static async start(options: MongoEventBusOptions): Promise<MongoEventBus> {
    const bus = new MongoEventBus(options);
    await bus.init();
    return bus;
  }

  private async init(): Promise<void> {
    const { latest } = await this.options.log.bounds();
    this.startFeed(this.options.log, latest, this.options.gapGraceMs);
    // Resume the stream where this instance left it, unless that is so far back that replaying
    // the stream would only re-read events the feed drops (it starts at `latest`).
    const saved = await this.cursors.findOne({ _id: this.options.instanceName });
    if (saved && latest - saved.position <= RESUME_WINDOW) this.resumeToken = saved.resumeToken;
    const streams = [this.openEventStream(), this.openMemberStream()].filter((p): p is Promise<void> => p !== null);
    // Listening (or given up waiting) before start() resolves, so that the other instances'
    // changes from here on reach this one.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(streams), new Promise((resolve) => (timer = setTimeout(resolve, STREAM_READY_TIMEOUT_MS)))]);
    clearTimeout(timer);
    // Whatever was appended between reading `latest` and the stream starting.
    this.feed.poke();
  }

  protected tellOthers(memberId: string): void {
    this.memberChanges.insertOne({ memberId, origin: this.origin, at: new Date() }).catch((err: unknown) => {
      this.logger.error({ err, memberId }, 'could not tell the other instances of a member change');
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.feed.close();
    for (const t of this.timers) clearTimeout(t);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.stopPolling();
    await Promise.all([this.eventStream?.close(), this.memberStream?.close()].map((p) => p?.catch(() => undefined)));
    await this.saveToken().catch(() => undefined);
  }

  /** Opens the event log's stream; resolves once the server answered it (see `started`). */
  private openEventStream(): Promise<void> | null {
    if (this.closed) return null;
    const stream = this.events.watch<StoredEvent, ChangeStreamInsertDocument<StoredEvent>>(
      INSERTS_ONLY,
      this.resumeToken ? { resumeAfter: this.resumeToken } : {},
    );
    this.eventStream = stream;
    const ended = (reason: string, err?: unknown) => {
      // Once per stream: an error also closes it, and only the current stream is reopened.
      if (this.closed || this.eventStream !== stream) return;
      this.logger.warn({ err, reason }, 'event log change stream ended; reading the log by position until it is back');
      this.eventStream = null;
      void stream.close().catch(() => undefined);
      this.startPolling();
      this.later(() => {
        this.openEventStream();
        this.feed.poke();
      }, this.options.reopenMs ?? 1_000);
    };
    stream.on('change', (change) => {
      if (change.operationType !== 'insert') {
        // An invalidate (`events` dropped or renamed) ends the stream, and its token cannot be
        // resumed after: open afresh, and catch up by position.
        if ((change as { operationType: string }).operationType === 'invalidate') {
          this.resumeToken = undefined;
          ended('invalidate');
        }
        return;
      }
      this.stopPolling();
      this.feed.offer([fromStoredEvent(change.fullDocument)]);
      this.resumeToken = change._id;
      this.markTokenDirty();
    });
    stream.on('error', (err) => {
      const code = (err as { code?: number }).code;
      if (code !== undefined && TOKEN_GONE.has(code)) this.resumeToken = undefined;
      ended('error', err);
    });
    // The server may end the cursor without an error (an invalidate the $match hid, an
    // interrupted getMore the driver turns into an end): without this, events from other
    // instances would silently stop.
    stream.on('close', () => ended('closed by the server'));
    stream.on('end', () => ended('ended by the server'));
    // Once the server has the stream: stop polling, and read by position what was appended
    // before it started.
    return started(stream).then(() => {
      if (this.eventStream !== stream) return;
      this.stopPolling();
      this.feed.poke();
    });
  }

  private openMemberStream(): Promise<void> | null {
    if (this.closed) return null;
    const stream = this.memberChanges.watch<MemberChangeDoc, ChangeStreamInsertDocument<MemberChangeDoc>>(INSERTS_ONLY);
    this.memberStream = stream;
    const downSince = this.memberStreamDownSince;
    if (downSince) {
      // Changes written while the stream was down: re-announce them (a re-check is harmless).
      this.memberStreamDownSince = null;
      const since = new Date(downSince.getTime() - MEMBER_CATCH_UP_SLACK_MS);
      this.memberChanges
        .find(memberChangesSince(since, this.origin) as MongoFilter<MemberChangeDoc>, { projection: { memberId: 1 } })
        .toArray()
        .then((docs) => new Set(docs.map((d) => d.memberId)).forEach((id) => this.announceMember(id)))
        .catch((err: unknown) => this.logger.error({ err }, 'member-change catch-up failed'));
    }
    const ended = (reason: string, err?: unknown) => {
      if (this.closed || this.memberStream !== stream) return;
      this.logger.warn({ err, reason }, 'member-change stream ended; reopening');
      this.memberStream = null;
      this.memberStreamDownSince ??= new Date();
      void stream.close().catch(() => undefined);
      this.later(() => void this.openMemberStream(), this.options.reopenMs ?? 1_000);
    };
    stream.on('change', (change) => {
      if (change.operationType !== 'insert') {
        if ((change as { operationType: string }).operationType === 'invalidate') ended('invalidate');
        return;
      }
      const doc = change.fullDocument;
      if (doc.origin !== this.origin) this.announceMember(doc.memberId);
    });
    stream.on('error', (err) => ended('error', err));
    stream.on('close', () => ended('closed by the server'));
    stream.on('end', () => ended('ended by the server'));
    return started(stream);
  }

  private startPolling(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setInterval(() => this.feed.poke(), this.options.pollMs ?? 1_000);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private markTokenDirty(): void {
    this.tokenDirty = true;
    if (this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saveToken().catch((err: unknown) => this.logger.warn({ err }, 'could not save the change-stream resume token'));
    }, SAVE_EVERY_MS);
    this.saveTimer.unref();
  }

  private async saveToken(): Promise<void> {
    if (!this.tokenDirty || this.resumeToken === undefined) return;
    this.tokenDirty = false;
    await this.cursors.updateOne(
      { _id: this.options.instanceName },
      { $set: { resumeToken: this.resumeToken, position: this.feed.position, updatedAt: new Date() } },
      { upsert: true },
    );
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
