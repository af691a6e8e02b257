/**
 * The server's clock for time comparisons that several instances make on one document (lease
 * expiry, rate-limit refill, idempotency takeover): MongoDB's `$$NOW`, so that an instance whose
 * clock runs ahead cannot take a live lease, refill a bucket early or take over a running request.
 */
import type { Document } from 'mongodb';

/** An aggregation expression for "now": `$$NOW`, or a fixed date in unit tests of the documents. */
export type NowExpression = Date | string | Document;

/**
 * "Now" on the server's clock, for a caller that passed `now` on its own clock: `$$NOW` moved by
 * how far `now` is from this instance's clock. In production the two are the same clock, so the
 * shift is a few milliseconds and the server's time decides; a test that controls the hub's clock
 * (moves it 30 s ahead) moves the server's "now" by as much, so expiry and refill still follow it.
 */
export function serverNow(now: Date, localNow: number = Date.now()): NowExpression {
  const shift = now.getTime() - localNow;
  return shift === 0 ? '$$NOW' : { $add: ['$$NOW', shift] };
}

/** `now + ms` as an expression. */
export function nowPlus(now: NowExpression, ms: number): NowExpression {
  return { $add: [now, ms] };
}
