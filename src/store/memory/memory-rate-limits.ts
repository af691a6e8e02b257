import type { RateBucket, RateDecision, RateLimitRepository } from '../ports.js';

/** Above this many tracked keys, buckets that have refilled completely are forgotten (a forgotten bucket is full). */
const PRUNE_ABOVE = 10_000;

interface Bucket {
  tokens: number;
  /** ms since the epoch of the last take. */
  at: number;
}

/** Token buckets in this process. Each `take` runs without an await, so it is atomic. */
export class MemoryRateLimits implements RateLimitRepository {
  private readonly buckets = new Map<string, Bucket>();

  async take(key: string, now: Date, { capacity, refillPerMs }: RateBucket): Promise<RateDecision> {
    const at = now.getTime();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_ABOVE) this.prune(at, capacity, refillPerMs);
      bucket = { tokens: capacity, at };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, at - bucket.at) * refillPerMs);
    bucket.at = Math.max(bucket.at, at);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000)) };
  }

  private prune(at: number, capacity: number, refillPerMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (at - bucket.at) * refillPerMs >= capacity) this.buckets.delete(key);
    }
  }
}
