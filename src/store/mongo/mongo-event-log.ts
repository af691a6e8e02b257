import type { ClientSession, Collection, Filter as MongoFilter, MongoClient, TransactionOptions } from 'mongodb';
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

/**
 * The append's transaction: the position counter and the events commit together or not at all.
 * Every append updates the one counter document, so two appends at once conflict and MongoDB
 * makes the later one retry after the earlier commits: positions are handed out in commit order
 * and the committed log has no gap. Readers still tolerate a gap (see OrderedEventFeed), but
 * never wait on one in normal operation.
 */
const APPEND_TRANSACTION: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority', journal: true },
  readPreference: 'primary',
};

/**
 * The durable event log in MongoDB: `events` with the position as `_id`, and the highest
 * position and trim point in `counters` (`_id: 'eventLog'`). Positions are global to the
 * database, so an alert cursor stays valid across restarts and on every instance.
 *
 * Retention: each event carries `expiresAt` (occurredAt + HUB_EVENT_RETENTION) under a TTL index,
 * and every hub trims the log on its schedule with `trimBefore`, which records the trim point.
 */
export class MongoEventLog implements EventLogRepository {
  constructor(
    private readonly client: MongoClient,
    /** Read with majority read concern: never hand out an event a failover could roll back. */
    private readonly events: Collection<StoredEvent>,
    private readonly state: Collection<EventLogState>,
    private readonly retentionMs: number,
  ) {}

  async append(events: readonly NewEvent[]): Promise<EventDoc[]> {
    if (events.length === 0) return [];
    const session = this.client.startSession();
    try {
      return await session.withTransaction((s) => this.appendIn(s, events), APPEND_TRANSACTION);
    } finally {
      await session.endSession();
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
