import type { EventDoc } from '../domain/events.js';
import type { AlertSubscriber, Delivery } from './alert-subscriber.js';

/** What a replay reads and how it judges, supplied by the fan-out. */
export interface ReplaySource {
  /** Events after `position`, oldest first, at most `limit` (the event log). */
  readAfter(position: number, limit: number): Promise<EventDoc[]>;
  /**
   * The page's events this subscriber is told of, judged with its viewer as it is now and
   * rendered one at a time, in order (a page of large events is never held rendered at once).
   */
  deliveriesFor(subscriber: AlertSubscriber, page: readonly EventDoc[]): AsyncIterable<Delivery>;
}

/** Log events read per page. */
const REPLAY_PAGE = 200;

/**
 * The resume state machine. While replaying, live deliveries wait in the subscriber's `pending`
 * queue; the replay reads the log a page at a time from the cursor's position, writing each
 * delivery once the sink has room, until it reaches what waits live; then the queue goes out in
 * order and the subscriber turns live. No gap, no repeat: both sides drop what the subscriber's
 * floor already covers.
 */
export async function replayAlerts(subscriber: AlertSubscriber, from: number, source: ReplaySource): Promise<void> {
  let through = from;
  for (;;) {
    const page = await source.readAfter(through, REPLAY_PAGE);
    if (page.length === 0 || subscriber.closed) break;
    for await (const delivery of source.deliveriesFor(subscriber, page)) {
      await subscriber.waitForRoom();
      if (subscriber.closed) return;
      subscriber.writeAll([delivery]);
    }
    if (subscriber.closed) return;
    through = page[page.length - 1]!._id;
    subscriber.passOver(through);
    const firstPending = subscriber.pending?.[0]?.position;
    if (firstPending !== undefined && through >= firstPending - 1) break;
  }
  // What arrived live meanwhile goes out in order, with room as the replay had; later live
  // deliveries keep queuing behind it until the queue is empty.
  while (subscriber.pending && subscriber.pending.length > 0) {
    const next = subscriber.pending.shift()!;
    await subscriber.waitForRoom();
    if (subscriber.closed) return;
    subscriber.writeAll([next]);
  }
  subscriber.pending = null;
}
