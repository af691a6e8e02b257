import { factsOf, vulnerabilityFacts, type AlertEventType, type NewEvent, type RecordKind, type VisibilityFacts } from '../domain/events.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import type { IndicatorDoc, NoticeDoc } from '../domain/types.js';
import type { EventBus } from '../events/event-bus.js';
import type { EventLogRepository } from '../store/ports.js';

type Recordable = IndicatorDoc | NoticeDoc | VulnerabilityDoc;

/** A change with its facts as computed by the caller (`recordingFacts`). */
export interface FactsChange {
  type: AlertEventType;
  /** The change's record kind when it is not the call's: a model review's close releases its findings (notices, cases) in the same commit. */
  kind?: RecordKind;
  recordId: string;
  /** Null for a new record. */
  before: VisibilityFacts | null;
  after: VisibilityFacts;
}

export interface RecordedChange {
  type: AlertEventType;
  doc: Recordable;
  /**
   * The record before the change (its sharing decides RELEASED); omit for new records. A
   * clearinghouse case's write that widened its audience (validated, a vendor notified, fixed,
   * published) is recorded as UPDATED with its `before`: each viewer it newly reaches is told
   * RELEASED (`alertVerdict`), those who saw it already UPDATED.
   */
  before?: Recordable | null;
}

/**
 * Appends every change subscribers may hear about to the durable event log, then announces it
 * on the bus: an alert is in the log before anyone is told of it.
 */
export class EventRecorder {
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
   */
  async recording<T>(kind: RecordKind, write: () => Promise<{ value: T; changes: readonly RecordedChange[] }>): Promise<T> {
    return this.committing(write, (changes) => this.eventsOf(kind, changes));
  }

  /**
   * As `recording`, for changes whose facts the caller computed (clearinghouse cases: their facts
   * depend on the schedule's clocks, src/domain/disclosure-facts.ts).
   */
  async recordingFacts<T>(kind: RecordKind, write: () => Promise<{ value: T; changes: readonly FactsChange[] }>): Promise<T> {
    return this.committing(write, (changes) => {
      const occurredAt = this.now();
      return changes.map((c) => ({ type: c.type, kind: c.kind ?? kind, recordId: c.recordId, occurredAt, before: c.before, after: c.after }));
    });
  }

  /** `write` and the events `eventsOf` makes of its changes, in one commit where the log can; then announced. */
  private async committing<T, C>(write: () => Promise<{ value: T; changes: readonly C[] }>, eventsOf: (changes: readonly C[]) => NewEvent[]): Promise<T> {
    if (!this.log.appendWith) {
      const { value, changes } = await write();
      if (changes.length > 0) this.bus.publish(await this.log.append(eventsOf(changes)));
      return value;
    }
    const { value, events } = await this.log.appendWith(async () => {
      const out = await write();
      return { value: out.value, events: out.changes.length > 0 ? eventsOf(out.changes) : [] };
    });
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
      before: c.before ? facts(kind, c.before) : null,
      after: facts(kind, c.doc),
    }));
  }

  /** A notice's embargo ended: those it was withheld from may now see it. */
  async embargoEnded(notice: NoticeDoc): Promise<void> {
    const stillEmbargoed = { ...notice, embargoUntil: new Date(8.64e15) };
    await this.record('NOTICE', [{ type: 'RELEASED', doc: notice, before: stillEmbargoed }]);
  }
}

function facts(kind: RecordKind, doc: Recordable): VisibilityFacts {
  return kind === 'VULNERABILITY' ? vulnerabilityFacts(doc as VulnerabilityDoc) : factsOf(doc as IndicatorDoc | NoticeDoc);
}
