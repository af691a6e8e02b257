import type { EventDoc } from '../../domain/events.js';
import type { EventLogRepository } from '../ports.js';

export interface OrderedEventFeedOptions {
  /** Where missing positions are read from, and the trim point. */
  log: Pick<EventLogRepository, 'readAfter' | 'bounds'>;
  /** Receives events in position order, each position once. */
  deliver: (events: readonly EventDoc[]) => void;
  /** The last position not to deliver: the feed starts after it. */
  after: number;
  /**
   * How long a missing position may hold back the ones after it before it is given up (and
   * reported through `onGapSkipped`). Default 5 s. See the class comment for why this is only a
   * safety net.
   */
  gapGraceMs?: number;
  /** Events read from the log at once. Default 500. */
  pageSize?: number;
  /** Told when positions are skipped: trimmed, or missing past the grace period. */
  onGapSkipped?: (from: number, to: number, reason: 'trimmed' | 'missing') => void;
  /** Told when reading the log fails; the feed retries by itself. */
  onError?: (err: unknown) => void;
}

const RECHECK_MS = 100;
const RETRY_MS = 1_000;

/**
 * Turns "events arrived" (this instance's appends, a change stream, a poll) into deliveries in
 * position order, each position once, with no gap skipped silently: the rule the multi-instance
 * bus relies on.
 *
 * Positions are handed out by a counter, and an append commits counter and events in one
 * transaction (MongoEventLog), so the committed log has no gap and later positions never become
 * visible before earlier ones. The feed does not trust that alone: when it knows of position
 * n+2 but not n+1, it reads the log by position; if n+1 is still missing it waits up to
 * `gapGraceMs` for it to become visible (a writer that allocated n+1 but committed after n+2),
 * and only then moves on, reporting the skip. Positions at or below the log's trim point are
 * skipped at once: they are gone for good.
 */
export class OrderedEventFeed {
  private delivered: number;
  private readonly pending = new Map<number, EventDoc>();
  private readonly gapGraceMs: number;
  private readonly pageSize: number;
  private wantRead = false;
  private running = false;
  private again = false;
  private closed = false;
  private gapSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: OrderedEventFeedOptions) {
    this.delivered = options.after;
    this.gapGraceMs = options.gapGraceMs ?? 5_000;
    this.pageSize = options.pageSize ?? 500;
  }

  /** The last position delivered (or skipped). */
  get position(): number {
    return this.delivered;
  }

  /** Events known to exist (appended here, or seen on a change stream), in any order. */
  offer(events: readonly EventDoc[]): void {
    for (const e of events) if (e._id > this.delivered) this.pending.set(e._id, e);
    void this.run();
  }

  /** There may be events in the log not offered: read it by position. */
  poke(): void {
    this.wantRead = true;
    void this.run();
  }

  /** Resolves once the feed has nothing left to do right now (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
  }

  private async run(): Promise<void> {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.step();
      } while (this.again && !this.closed);
    } catch (err) {
      this.options.onError?.(err);
      this.wantRead = true;
      this.schedule(RETRY_MS);
    } finally {
      this.running = false;
    }
  }

  private async step(): Promise<void> {
    this.flush();
    if (this.pending.size === 0 && !this.wantRead) {
      this.gapSince = null;
      return;
    }
    this.wantRead = false;
    for (;;) {
      const page = await this.options.log.readAfter(this.delivered, this.pageSize);
      for (const e of page) if (e._id > this.delivered) this.pending.set(e._id, e);
      this.flush();
      if (this.closed) return;
      if (this.pending.size > 0) break;
      this.gapSince = null;
      if (page.length < this.pageSize) return;
    }
    // A gap: delivered + 1 is not visible, a later position is.
    const lowest = Math.min(...this.pending.keys());
    const { trimmedThrough } = await this.options.log.bounds();
    if (lowest - 1 > trimmedThrough) {
      const now = Date.now();
      this.gapSince ??= now;
      const waited = now - this.gapSince;
      if (waited < this.gapGraceMs) {
        this.schedule(Math.min(RECHECK_MS, this.gapGraceMs - waited));
        return;
      }
      this.options.onGapSkipped?.(this.delivered + 1, lowest - 1, 'missing');
    } else {
      this.options.onGapSkipped?.(this.delivered + 1, lowest - 1, 'trimmed');
    }
    this.delivered = lowest - 1;
    this.gapSince = null;
    this.again = true;
  }

  /** Delivers the run of consecutive positions after `delivered`. */
  private flush(): void {
    const out: EventDoc[] = [];
    for (let next = this.delivered + 1; this.pending.has(next); next++) {
      out.push(this.pending.get(next)!);
      this.pending.delete(next);
      this.delivered = next;
    }
    if (this.pending.size > 0) for (const position of this.pending.keys()) if (position <= this.delivered) this.pending.delete(position);
    if (out.length > 0 && !this.closed) this.options.deliver(out);
  }

  private schedule(ms: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.poke();
    }, ms);
    this.timer.unref();
  }
}
