import type { EventDoc, NewEvent } from '../../domain/events.js';
import type { CollectionAccess, EventLogRepository } from '../ports.js';
import { scanSorted } from './memory-audit.js';

/** The event log in memory: an array in position order, trimmed from the front. */
export class MemoryEventLog implements EventLogRepository {
  private events: EventDoc[] = [];
  private latest = 0;
  private trimmedThrough = 0;

  /** The events, raw (export and import). Loading them moves `latest` up to the highest position. */
  readonly eventsAccess: CollectionAccess = {
    scan: () => scanSorted(this.events),
    load: async (docs) => {
      const held = new Set(this.events.map((e) => e._id));
      for (const doc of docs) if (held.has(doc._id as number)) throw new Error(`duplicate event position ${doc._id}`);
      this.events = [...this.events, ...docs.map((d) => structuredClone(d) as unknown as EventDoc)].sort((a, b) => a._id - b._id);
      this.latest = Math.max(this.latest, this.events[this.events.length - 1]?._id ?? 0);
    },
  };

  /** The log's bounds as one document, `{_id: 'eventLog', latest, trimmedThrough}` (none while empty and untrimmed). */
  readonly boundsAccess: CollectionAccess = {
    scan: () => scanSorted(this.latest > 0 ? [{ _id: 'eventLog', latest: this.latest, trimmedThrough: this.trimmedThrough }] : []),
    load: async (docs) => {
      for (const doc of docs) {
        this.latest = Math.max(this.latest, doc.latest as number);
        this.trimmedThrough = Math.max(this.trimmedThrough, (doc.trimmedThrough as number | undefined) ?? 0);
      }
    },
  };

  async append(events: readonly NewEvent[]): Promise<EventDoc[]> {
    const written = events.map((e) => ({ ...e, _id: ++this.latest }));
    this.events.push(...written);
    return written;
  }

  async readAfter(after: number, limit: number): Promise<EventDoc[]> {
    const list = this.events;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!._id <= after) lo = mid + 1;
      else hi = mid;
    }
    return list.slice(lo, lo + limit);
  }

  async bounds() {
    return { latest: this.latest, trimmedThrough: this.trimmedThrough };
  }

  async trimBefore(cutoff: Date): Promise<number> {
    let n = 0;
    while (n < this.events.length && this.events[n]!.occurredAt < cutoff) n++;
    if (n > 0) {
      this.trimmedThrough = this.events[n - 1]!._id;
      this.events = this.events.slice(n);
    }
    return n;
  }
}
