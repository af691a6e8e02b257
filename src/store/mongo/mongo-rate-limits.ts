import type { Collection, Document } from 'mongodb';
import type { RateBucket, RateDecision, RateLimitRepository } from '../ports.js';
import { nowPlus, serverNow, type NowExpression } from './mongo-clock.js';
import { isDuplicateKey } from './mongo-documents.js';

/** One bucket in `rateLimits`, `_id` the key. `expiresAt` (TTL index `rateLimits_expiry`) is when it is surely full again. */
export interface RateLimitDoc {
  _id: string;
  tokens: number;
  updatedAt: Date;
  /** Whether the last take spent a token. */
  taken: boolean;
  expiresAt: Date;
}

/**
 * The update pipeline of one take: refill for the time since `updatedAt` (none when `now` is
 * behind it: another instance's clock ran ahead), spend a token if there is a whole one, move
 * `updatedAt` forward. A missing bucket starts full. The stages read the fields the previous
 * stage wrote, so `taken` is decided on the refilled count. `now` is the server's clock (`$$NOW`,
 * see serverNow), so instances with different clocks refill one bucket alike.
 */
export function rateLimitTakePipeline(now: NowExpression, { capacity, refillPerMs }: RateBucket): Document[] {
  const last = { $ifNull: ['$updatedAt', now] };
  const elapsedMs = { $max: [0, { $subtract: [now, last] }] };
  return [
    { $set: { tokens: { $min: [capacity, { $add: [{ $ifNull: ['$tokens', capacity] }, { $multiply: [elapsedMs, refillPerMs] }] }] } } },
    { $set: { taken: { $gte: ['$tokens', 1] } } },
    {
      $set: {
        tokens: { $cond: ['$taken', { $subtract: ['$tokens', 1] }, '$tokens'] },
        updatedAt: { $max: [now, last] },
        // An empty bucket is full again after capacity / refillPerMs: forgetting it then changes nothing.
        expiresAt: nowPlus(now, Math.ceil(capacity / refillPerMs)),
      },
    },
  ];
}

/** The decision a bucket after a take stands for. */
export function rateDecisionOf(doc: Pick<RateLimitDoc, 'tokens' | 'taken'>, refillPerMs: number): RateDecision {
  if (doc.taken) return { ok: true };
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - doc.tokens) / refillPerMs / 1000)) };
}

/**
 * Token buckets in `rateLimits`, shared by every instance: each take is ONE
 * `findOneAndUpdate({_id: key}, <pipeline>, {upsert: true})`, atomic on the document.
 *
 * A token bucket rather than a fixed-window `$inc` counter: it keeps exactly the semantics of the
 * embedded store (a burst of `capacity`, then a steady refill, the same Retry-After), so the
 * limit does not depend on the adapter and allows no double burst at a window edge; it is still
 * one document and one round trip per take. Written with `w: 1` (the collection's write concern):
 * a failover that rolls a take back only hands a token back, and every request pays this write.
 */
export class MongoRateLimits implements RateLimitRepository {
  constructor(private readonly collection: Collection<RateLimitDoc>) {}

  async take(key: string, now: Date, bucket: RateBucket): Promise<RateDecision> {
    const pipeline = rateLimitTakePipeline(serverNow(now), bucket);
    let doc: RateLimitDoc | null = null;
    for (let attempt = 0; !doc; attempt++) {
      try {
        doc = await this.collection.findOneAndUpdate({ _id: key }, pipeline, { upsert: true, returnDocument: 'after' });
        if (!doc) throw new Error(`rate limit bucket ${key} did not answer`);
      } catch (err) {
        // Two first takes of one key race on _id: the loser's upsert now finds the document.
        if (attempt > 0 || !isDuplicateKey(err)) throw err;
      }
    }
    return rateDecisionOf(doc, bucket.refillPerMs);
  }
}
