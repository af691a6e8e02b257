import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventDoc } from '../domain/events.js';
import type { EventBus } from '../events/event-bus.js';
import { OrderedEventFeed } from './mongo/ordered-event-feed.js';
import type { EventLogRepository } from './ports.js';

type Listener<T> = (value: T) => void;

/**
 * What the buses of a store several processes share (SqliteEventBus, MongoEventBus) have in
 * common: events reach the listeners through one OrderedEventFeed over the store's event log (in
 * position order, each once, whichever process appended them), and a member change is announced
 * here at once and written where the other processes find it. A subclass says how it learns of
 * the others' appends (`feed.offer` / `feed.poke`) and how it tells them of a member change
 * (`tellOthers`); a listener that throws is logged and never stops the others.
 */
export abstract class LogFedEventBus implements EventBus {
  private readonly eventListeners = new Set<Listener<readonly EventDoc[]>>();
  private readonly memberListeners = new Set<Listener<string>>();
  /** This process, in the member-change records: its own changes are not announced twice. */
  protected readonly origin = randomUUID();
  /** Set by `startFeed`, before the bus is handed out. */
  protected feed!: OrderedEventFeed;

  protected constructor(protected readonly logger: Logger) {}

  /** Starts delivering after position `after` (the log's end at start: older events are replayed by subscribers that ask). */
  protected startFeed(log: EventLogRepository, after: number, gapGraceMs?: number): void {
    this.feed = new OrderedEventFeed({
      log,
      after,
      gapGraceMs,
      deliver: (events) => this.deliver(events),
      onGapSkipped: (from, to, reason) =>
        (reason === 'trimmed' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger))({ from, to, reason }, 'event positions skipped'),
      onError: (err) => this.logger.error({ err }, 'reading the event log failed; retrying'),
    });
  }

  /** Tells the other processes that `memberId` changed (best effort: failures are logged). */
  protected abstract tellOthers(memberId: string): void;

  abstract close(): Promise<void>;

  publish(events: readonly EventDoc[]): void {
    if (events.length > 0) this.feed.offer(events);
  }

  memberChanged(memberId: string): void {
    this.announceMember(memberId);
    this.tellOthers(memberId);
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

  /** Tells this process's listeners (another process's change, or this one's). */
  protected announceMember(memberId: string): void {
    for (const listener of this.memberListeners) {
      try {
        listener(memberId);
      } catch (err) {
        this.logger.error({ err }, 'a member-change listener failed');
      }
    }
  }

  private deliver(events: readonly EventDoc[]): void {
    for (const listener of this.eventListeners) {
      try {
        listener(events);
      } catch (err) {
        this.logger.error({ err }, 'an event listener failed');
      }
    }
  }
}
