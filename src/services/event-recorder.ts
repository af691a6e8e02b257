import { AsyncLocalStorage } from 'node:async_hooks';
import { factsOf, type AlertEventType, type NewEvent, type RecordKind } from '../domain/events.js';
import type { IndicatorDoc, NoticeDoc } from '../domain/types.js';
import type { EventBus } from '../events/event-bus.js';
import type { EventLogRepository } from '../store/ports.js';

type Recordable = IndicatorDoc | NoticeDoc;

export interface RecordedChange {
  type: AlertEventType;
  doc: Recordable;
  /** The record before the change (its sharing decides RELEASED); omit for new records. */
  before?: Recordable | null;
}

/**
 * Appends every change subscribers may hear about to the durable event log, then announces it
 * on the bus: an alert is in the log before anyone is told of it.
 */
export class EventRecorder {
  /** The events of the `recording` this call runs inside, if any: a nested one joins it. */
  private readonly open = new AsyncLocalStorage<NewEvent[]>();

  constructor(private readonly log: EventLogRepository, private readonly bus: EventBus, private readonly now: () => Date = () => new Date()) {}

  /** The log's highest position and how far it was trimmed (operators' and tests' view of retention). */
  bounds(): Promise<{ latest: number; trimmedThrough: number }> {
    return this.log.bounds();
  }

  async record(kind: RecordKind, changes: readonly RecordedChange[]): Promise<void> {
    if (changes.length === 0) return;
    this.bus.publish(await this.log.append(this.eventsOf(kind, changes)));
  }

  /**
   * Runs `write` (record writes, answering the changes they made) so that the writes and their
   * events commit together where the store can (`EventLogRepository.appendWith`): a crash between
   * them cannot keep a record and lose its event. Else the same as `write()` then `record()`.
   * Called inside another `recording` (an approval that applies a sharing change), it joins that
   * one: its writes and events commit with the outer ones.
   */
  async recording<T>(kind: RecordKind, write: () => Promise<{ value: T; changes: readonly RecordedChange[] }>): Promise<T> {
    const outer = this.open.getStore();
    if (outer) {
      const { value, changes } = await write();
      outer.push(...this.eventsOf(kind, changes));
      return value;
    }
    // A fresh list per attempt: the store may run the work again after a transient error.
    const run = async () => {
      const events: NewEvent[] = [];
      const out = await this.open.run(events, write);
      return { value: out.value, events: [...events, ...this.eventsOf(kind, out.changes)] };
    };
    if (!this.log.appendWith) {
      const { value, events } = await run();
      if (events.length > 0) this.bus.publish(await this.log.append(events));
      return value;
    }
    const { value, events } = await this.log.appendWith(run);
    if (events.length > 0) this.bus.publish(events);
    return value;
  }

  private eventsOf(kind: RecordKind, changes: readonly RecordedChange[]): NewEvent[] {
    if (changes.length === 0) return [];
    const occurredAt = this.now();
    return changes.map((c) => ({
      type: c.type,
      kind,
      recordId: c.doc._id,
      occurredAt,
      before: c.before ? factsOf(c.before) : null,
      after: factsOf(c.doc),
    }));
  }

  /** A notice's embargo ended: those it was withheld from may now see it. */
  async embargoEnded(notice: NoticeDoc): Promise<void> {
    const stillEmbargoed = { ...notice, embargoUntil: new Date(8.64e15) };
    await this.record('NOTICE', [{ type: 'RELEASED', doc: notice, before: stillEmbargoed }]);
  }
}
