import { randomUUID } from 'node:crypto';
import { MongoWriteConcernError, type ClientSession, type Collection, type Filter as MongoFilter, type MongoClient, type TransactionOptions } from 'mongodb';
import type { EventDoc, NewEvent } from '../../domain/events.js';
import type { EventLogRepository } from '../ports.js';
import {
  boundsOf,
  EVENT_LOG_STATE_ID,
  eventDocs,
  eventLogIncrement,
  firstKeptQuery,
  fromStoredEvent,
  readAfterQuery,
  type EventLogState,
  type StoredEvent,
} from './mongo-documents.js';
import { sessionScope } from './mongo-session-scope.js';
import { runTransaction } from './mongo-transaction.js';

/** How long a majority may take to acknowledge one commit (the collection's write concern does not apply inside a transaction). */
export const APPEND_WTIMEOUT_MS = 10_000;

/** How long one append may take, retries included, before it fails. */
export const APPEND_BUDGET_MS = 30_000;

/** At most this many events go into one group commit (a single larger append still goes alone). */
const MAX_GROUP_EVENTS = 10_000;

/**
 * The append's transaction: the position counter and the events commit together or not at all.
 * Every append updates the one counter document, so two appends at once conflict and MongoDB
 * makes the later one retry after the earlier commits: positions are handed out in commit order
 * and the committed log has no gap. Readers still tolerate a gap (see OrderedEventFeed), but
 * never wait on one in normal operation. The write concern carries its own timeout: without one
 * a commit that no majority acknowledges would wait for ever.
 */
export const APPEND_TRANSACTION: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority', journal: true, wtimeoutMS: APPEND_WTIMEOUT_MS },
  readPreference: 'primary',
};

/**
 * Record writes and their pending events (`appendWith`): majority, journaled, with the same
 * timeout as the append; snapshot reads, so a retry sees what it saw the first time.
 */
const RECORD_TRANSACTION: TransactionOptions = APPEND_TRANSACTION;

/** A pending event-log entry older than this is taken as left by a crash and appended by the sweep. */
export const OUTBOX_GRACE_MS = 2 * APPEND_BUDGET_MS;

/** Events whose records committed and whose log entries may not have (see appendWith). */
export interface OutboxDoc {
  _id: string;
  events: NewEvent[];
  createdAt: Date;
}

/** The event log could not be written; the message is for the operator (and the caller's error). */
export class EventLogWriteError extends Error {
  override readonly name = 'EventLogWriteError';
}

interface PendingAppend {
  events: readonly NewEvent[];
  /** The outbox document these events came from: deleted in the append's transaction. */
  outboxId?: string;
  resolve: (docs: EventDoc[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The durable event log in MongoDB: `events` with the position as `_id`, and the highest
 * position and trim point in `counters` (`_id: 'eventLog'`). Positions are global to the
 * database, so an alert cursor stays valid across restarts and on every instance.
 *
 * Group commit: appends made while one is committing wait and then go together in the next
 * transaction, in call order. Every append writes the one counter document, so n appends at once
 * as n transactions would conflict and retry, n(n+1)/2 attempts in the worst case; grouped, one
 * instance makes at most two at a time, and only other instances' appends can conflict with them.
 *
 * Retention: each event carries `expiresAt` (occurredAt + HUB_EVENT_RETENTION) under a TTL index,
 * and every hub trims the log on its schedule with `trimBefore`, which records the trim point.
 */
export class MongoEventLog implements EventLogRepository {
  private readonly queue: PendingAppend[] = [];
  private committing = false;

  constructor(
    private readonly client: MongoClient,
    /** Read with majority read concern: never hand out an event a failover could roll back. */
    private readonly events: Collection<StoredEvent>,
    private readonly state: Collection<EventLogState>,
    private readonly retentionMs: number,
    /** Pending events of committed record writes (appendWith), until they are in the log. */
    private readonly outbox: Collection<OutboxDoc>,
    /** See APPEND_BUDGET_MS. */
    private readonly budgetMs: number = APPEND_BUDGET_MS,
  ) {}

  append(events: readonly NewEvent[]): Promise<EventDoc[]> {
    return this.enqueue(events);
  }

  private enqueue(events: readonly NewEvent[], outboxId?: string): Promise<EventDoc[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ events, outboxId, resolve, reject });
      void this.drain();
    });
  }

  /**
   * The record writes and their events in one commit, without the position counter in it: `work`
   * runs in a transaction (the record repositories join it through sessionScope) that also
   * inserts its events into `eventOutbox`; then the events go into the log by group commit, whose
   * transaction deletes the outbox document. A crash in between leaves the outbox document, and
   * `appendPending` (at start and every minute, on any instance) appends it, exactly once: the
   * append's transaction deletes it, and appends nothing if another instance already had.
   * Keeping the counter out of the record transaction keeps it short: a publish's upserts never
   * conflict with other appends.
   */
  async appendWith<T>(work: () => Promise<{ value: T; events: NewEvent[] }>): Promise<{ value: T; events: EventDoc[] }> {
    const outboxId = randomUUID();
    const out = await runTransaction(
      this.client,
      (session) =>
        sessionScope.run(session, async () => {
          const result = await work();
          if (result.events.length > 0) await this.outbox.insertOne({ _id: outboxId, events: result.events, createdAt: new Date() }, { session });
          return result;
        }),
      RECORD_TRANSACTION,
      { budgetMs: this.budgetMs },
    );
    return { value: out.value, events: await this.enqueue(out.events, outboxId) };
  }

  /**
   * Appends the pending events that record writes left in `eventOutbox` older than `graceMs` (a
   * crash between the record commit and the log append), oldest first. Returns how many events.
   */
  async appendPending(graceMs: number = OUTBOX_GRACE_MS): Promise<number> {
    const left = await this.outbox.find({ createdAt: { $lte: new Date(Date.now() - graceMs) } }, { sort: [['createdAt', 1], ['_id', 1]], limit: 100 }).toArray();
    let appended = 0;
    for (const doc of left) appended += (await this.enqueue(doc.events, doc._id)).length;
    return appended;
  }

  private async drain(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        let count = 0;
        let take = 0;
        while (take < this.queue.length && (take === 0 || count + this.queue[take]!.events.length <= MAX_GROUP_EVENTS)) {
          count += this.queue[take]!.events.length;
          take++;
        }
        const group = this.queue.splice(0, take);
        try {
          const { docs, skipped } = await this.commit(group);
          let at = 0;
          for (const p of group) {
            if (skipped.has(p)) {
              p.resolve([]); // another instance appended them (its change stream brings them here)
              continue;
            }
            p.resolve(docs.slice(at, at + p.events.length));
            at += p.events.length;
          }
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  private async commit(group: readonly PendingAppend[]): Promise<{ docs: EventDoc[]; skipped: Set<PendingAppend> }> {
    try {
      return await runTransaction(
        this.client,
        async (session) => {
          // Each outbox document is appended by the transaction that deletes it: once.
          const skipped = new Set<PendingAppend>();
          for (const p of group) {
            if (p.outboxId === undefined) continue;
            const { deletedCount } = await this.outbox.deleteOne({ _id: p.outboxId }, { session });
            if (deletedCount === 0) skipped.add(p);
          }
          const events = group.filter((p) => !skipped.has(p)).flatMap((p) => p.events);
          return { docs: events.length > 0 ? await this.appendIn(session, events) : [], skipped };
        },
        APPEND_TRANSACTION,
        { budgetMs: this.budgetMs },
      );
    } catch (err) {
      if (err instanceof MongoWriteConcernError || (err as { code?: number }).code === 64) {
        throw new EventLogWriteError(
          `event log: the append was not acknowledged by a majority of the replica set within ${APPEND_WTIMEOUT_MS / 1000}s (retried for ${this.budgetMs / 1000}s): ${(err as Error).message}. It may still commit; a publish retried with its idempotency key is safe`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  private async appendIn(session: ClientSession, events: readonly NewEvent[]): Promise<EventDoc[]> {
    const state = await this.state.findOneAndUpdate({ _id: EVENT_LOG_STATE_ID }, eventLogIncrement(events.length), {
      upsert: true,
      returnDocument: 'after',
      session,
    });
    if (!state) throw new Error('the event log counter did not answer');
    const docs = eventDocs(events, state.latest - events.length + 1, this.retentionMs);
    await this.events.insertMany(docs, { session });
    return docs.map(fromStoredEvent);
  }

  async readAfter(after: number, limit: number): Promise<EventDoc[]> {
    if (limit <= 0) return [];
    const { filter, sort } = readAfterQuery(after);
    const docs = await this.events.find(filter as MongoFilter<StoredEvent>, { sort, limit, projection: { expiresAt: 0 } }).toArray();
    return docs.map(fromStoredEvent);
  }

  async bounds(): Promise<{ latest: number; trimmedThrough: number }> {
    const state = await this.state.findOne({ _id: EVENT_LOG_STATE_ID });
    const oldest = await this.events.findOne({}, { sort: [['_id', 1]], projection: { _id: 1 } });
    return boundsOf(state, oldest?._id ?? null);
  }

  /** Drops the events before the first one that occurred at or after `cutoff` (as the embedded log does). */
  async trimBefore(cutoff: Date): Promise<number> {
    const { filter, sort, hint } = firstKeptQuery(cutoff);
    const firstKept = await this.events.findOne(filter as MongoFilter<StoredEvent>, { sort, hint, projection: { _id: 1 } });
    let through: number;
    if (firstKept) through = firstKept._id - 1;
    else {
      const newest = await this.events.findOne({}, { sort: [['_id', -1]], projection: { _id: 1 } });
      if (!newest) return 0;
      through = newest._id;
    }
    const { deletedCount } = await this.events.deleteMany({ _id: { $lte: through } });
    if (deletedCount > 0) {
      await this.state.updateOne({ _id: EVENT_LOG_STATE_ID }, { $max: { trimmedThrough: through } }, { upsert: true });
    }
    return deletedCount;
  }
}
