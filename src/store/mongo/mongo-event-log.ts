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

/** The event log could not be written; the message is for the operator (and the caller's error). */
export class EventLogWriteError extends Error {
  override readonly name = 'EventLogWriteError';
}

interface PendingAppend {
  events: readonly NewEvent[];
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
    /** See APPEND_BUDGET_MS. */
    private readonly budgetMs: number = APPEND_BUDGET_MS,
  ) {}

  append(events: readonly NewEvent[]): Promise<EventDoc[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      void this.drain();
    });
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
          const docs = await this.commit(group.flatMap((p) => p.events));
          let at = 0;
          for (const p of group) {
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

  private async commit(events: readonly NewEvent[]): Promise<EventDoc[]> {
    try {
      return await runTransaction(this.client, (s) => this.appendIn(s, events), APPEND_TRANSACTION, { budgetMs: this.budgetMs });
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
