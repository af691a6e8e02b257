import type { AlertPlace } from './alert-cursors.js';
import type { AlertObserver } from './alert-observer.js';
import type { AlertSink } from './alert-sink.js';
import type { Cohort } from './alert-cohorts.js';

/** One rendered event on its way to a subscriber. */
export interface Delivery {
  /** The event's log position: nothing at or below a subscriber's last one is sent again. */
  position: number;
  /** The event's time, ms: the `at` of its cursor. */
  at: number;
  /** The serialised execution result. */
  json: string;
  /** Whether it came from live dispatch (its lag is reported) rather than a replay's read of the log. */
  live: boolean;
}

export interface DeliveryLimits {
  /** Bytes a sink may have queued before its subscriber is closed as too slow. */
  maxBufferedBytes: number;
  /** Live events a resuming subscriber may have waiting while it replays. */
  maxPendingEvents: number;
}

/**
 * One subscriber's delivery: its place in the log, what waits while it replays, and the writes to
 * its sink, in order, once each. Slow consumers are closed (the sink's `closeSlow`), never
 * buffered without bound.
 */
export class AlertSubscriber {
  /** The last place delivered: the cursor a heartbeat repeats. */
  place: AlertPlace;
  /** Set while replaying: live deliveries wait here, in order. */
  pending: Delivery[] | null;
  closed = false;
  /** Positions at or below this were delivered or passed over: never sent (again). */
  private floor: number;
  /** Resolves when the subscriber ends (unsubscribed, closed as slow, hub stopping). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly cohort: Cohort,
    private readonly sink: AlertSink,
    start: AlertPlace,
    replaying: boolean,
    /** Whether it asked for HEARTBEAT events. */
    readonly heartbeats: boolean,
    private readonly limits: DeliveryLimits,
    private readonly observer: AlertObserver | undefined,
    private readonly clock: () => number,
  ) {
    this.place = start;
    this.floor = start.position;
    this.pending = replaying ? [] : null;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Ends the subscriber without closing its connection. */
  finish(): void {
    this.closed = true;
    this.resolveDone();
  }

  /**
   * A live delivery: queued while replaying, else added to this dispatch round's `outbox` (written
   * at the round's end, together) or written at once.
   */
  offer(delivery: Delivery, outbox: Map<AlertSubscriber, Delivery[]> | null): void {
    if (this.closed || delivery.position <= this.floor) return;
    if (this.pending) {
      this.pending.push(delivery);
      if (this.pending.length > this.limits.maxPendingEvents) this.closeSlow();
      return;
    }
    if (outbox) {
      let box = outbox.get(this);
      if (!box) outbox.set(this, (box = []));
      box.push(delivery);
      return;
    }
    this.writeAll([delivery]);
  }

  /** Writes deliveries (in position order) not yet delivered, as one write. */
  writeAll(deliveries: readonly Delivery[]): void {
    if (this.closed) return;
    const fresh = deliveries.filter((d) => d.position > this.floor);
    if (fresh.length === 0) return;
    if (this.sink.bufferedAmount() > this.limits.maxBufferedBytes) return this.closeSlow();
    if (!this.sink.write(fresh.map((d) => d.json))) return this.closeSlow();
    const last = fresh[fresh.length - 1]!;
    this.place = { position: last.position, at: last.at };
    this.floor = last.position;
    if (this.observer) {
      const now = this.clock();
      const lags = fresh.filter((d) => d.live).map((d) => Math.max(0, (now - d.at) / 1000));
      if (lags.length) this.observer.delivered(lags);
    }
  }

  /** A replay judged everything up to `position`: what it did not deliver is not sent live either. */
  passOver(position: number): void {
    this.floor = Math.max(this.floor, position);
  }

  /** Writes a HEARTBEAT payload; the subscriber's place does not move. */
  writeHeartbeat(json: string): void {
    if (this.closed || this.pending) return;
    if (this.sink.bufferedAmount() > this.limits.maxBufferedBytes) return this.closeSlow();
    if (!this.sink.write([json])) this.closeSlow();
  }

  /** Lets a replaying sink drain before writing more, so a replay cannot fill memory. */
  async waitForRoom(): Promise<void> {
    const limit = this.limits.maxBufferedBytes / 2;
    for (let waited = 0; this.sink.bufferedAmount() > limit; waited += 10) {
      if (waited > 30_000 || this.closed) return this.closeSlow();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Too slow: end it and have the transport close its connection. */
  closeSlow(): void {
    if (this.closed) return;
    this.finish();
    this.sink.closeSlow();
    this.observer?.slowConsumerClosed();
  }
}
