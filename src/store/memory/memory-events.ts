import type { EventDoc, NewEvent } from '../../domain/events.js';
import type { EventLogRepository } from '../ports.js';

/** The event log in memory: an array in position order, trimmed from the front. */
export class MemoryEventLog implements EventLogRepository {
  private events: EventDoc[] = [];
  private latest = 0;
  private trimmedThrough = 0;

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
